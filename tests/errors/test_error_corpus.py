"""The malformed-input corpus: every case file here, run through `kopt.tools.cli.main(argv)` in-process.

A case is a file whose leading comment lines (`#` or `//`) hold directives:
  EXPECT: <first stderr line>      exact; FILE stands for the case's path, EXAMPLES for examples/,
                                   CASES for this directory
  EXPECT-RE: <regex>               the same, matched with re.fullmatch (for text kopt does not own)
  ARGS: <argv>                     shlex-split; FILE, EXAMPLES and CASES are replaced; without FILE
                                   the case file itself is the input, put first
  STDIN: <path>                    feed this file on stdin (with ARGS: -)
Every case must exit 1, print no traceback, and begin with a located diagnostic, `file:line:col: error: ...`,
followed by the source line and a caret under col (where the line is not empty). Input that is not a file has
a pseudo-file: `<command line>` (the command line as one line, `kopt ARG ...`), `<signature>`, `<assume>`,
`<pass-pipeline>`, `<stdin>`. Files without an EXPECT line are inputs of other cases.
"""

from __future__ import annotations

import io
import re
import shlex
import sys
from pathlib import Path

import pytest

from kopt.passes import registry
from kopt.tools.cli import main

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
EXAMPLES = ROOT / "examples"
# Cases run from the repository root with relative paths, so that columns on `<command line>` are stable.
REL_EXAMPLES, REL_CASES = "examples", "tests/errors"
DIRECTIVE = re.compile(r"^(?:#|//)\s*(EXPECT|EXPECT-RE|ARGS|STDIN):\s?(.*)$")
FIRST_LINE = re.compile(r"^(?P<file>.+?):(?P<line>[1-9]\d*):(?P<col>[1-9]\d*): error: \S.*$")


def directives(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        if not line.startswith(("#", "//")):
            break
        if m := DIRECTIVE.match(line):
            found[m.group(1)] = m.group(2).strip()
    return found


CASES = sorted(p for p in HERE.iterdir() if p.is_file() and p.name != Path(__file__).name
               and {"EXPECT", "EXPECT-RE"} & set(directives(p)))


def rel(case: Path) -> str:
    return f"{REL_CASES}/{case.name}"


def expand(text: str, case: Path) -> str:
    return text.replace("FILE", rel(case)).replace("EXAMPLES", REL_EXAMPLES).replace("CASES", REL_CASES)


def normalize(line: str, case: Path) -> str:
    """A diagnostic line with the case's path as FILE, examples/ as EXAMPLES/, this folder as CASES/."""
    line = line.replace(str(ROOT) + "/", "")
    return line.replace(rel(case), "FILE").replace(REL_EXAMPLES + "/", "EXAMPLES/").replace(REL_CASES + "/", "CASES/")


@pytest.fixture
def clean_registry():
    """Plugin cases register passes; leave the registry as it was for the tests that follow."""
    saved = dict(registry._PASSES), dict(registry._ORIGIN)
    yield
    for table, before in zip((registry._PASSES, registry._ORIGIN), saved):
        table.clear()
        table.update(before)


def test_corpus_is_large_enough():
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=[p.name for p in CASES])
def test_first_diagnostic(case: Path, capsys, monkeypatch, clean_registry):
    d = directives(case)
    monkeypatch.chdir(ROOT)
    args = shlex.split(expand(d.get("ARGS", ""), case))
    if "FILE" not in d.get("ARGS", "") and case.suffix != ".cmd":
        args.insert(0, rel(case))
    source_text = None
    if "STDIN" in d:
        source_text = Path(expand(d["STDIN"], case)).read_text()
        monkeypatch.setattr(sys, "stdin", io.StringIO(source_text))

    code = main(args)
    err = capsys.readouterr().err

    assert code == 1, err
    assert "Traceback" not in err and "internal compiler error" not in err, err
    lines = err.splitlines()
    first = normalize(lines[0], case)
    if "EXPECT" in d:
        assert first == d["EXPECT"], err
    else:
        assert re.fullmatch(d["EXPECT-RE"], first), err
    check_located(lines, source_text)


def check_located(lines: list[str], source_text: str | None = None) -> None:
    """The first line is `file:line:col: error: ...`; the source line and a caret under col follow (a file on
    disk or stdin: its line; a pseudo-file: whatever line it shows), unless that line is empty."""
    err = "\n".join(lines)
    m = FIRST_LINE.match(lines[0])
    assert m, f"not a located diagnostic line: {lines[0]!r}"
    line, col = int(m["line"]), int(m["col"])
    path = Path(m["file"])
    if m["file"] == "<stdin>" or path.is_file():
        text = source_text if m["file"] == "<stdin>" else path.read_bytes().decode("utf-8", "replace")
        shown = text.replace("\0", " ").splitlines()
        assert line <= max(1, len(shown)), err
        if line > len(shown) or not shown[line - 1].strip():
            return  # an empty file or line: nothing to put a caret under
        assert lines[1] == shown[line - 1], err
    else:
        assert m["file"].startswith("<") and m["file"].endswith(">"), f"not a file nor a pseudo-file: {err}"
    assert len(lines) > 2 and lines[2] == " " * (col - 1) + "^", err
