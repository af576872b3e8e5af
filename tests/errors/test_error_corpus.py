"""The malformed-input corpus: every case file here, run through `kopt.tools.cli.main(argv)` in-process.

A case is a file whose leading comment lines (`#` or `//`) hold directives:
  EXPECT: <first stderr line>      exact; FILE stands for the case's path, EXAMPLES for examples/,
                                   CASES for this directory
  EXPECT-RE: <regex>               the same, matched with re.fullmatch (for text kopt does not own)
  ARGS: <argv>                     shlex-split; FILE, EXAMPLES and CASES are replaced; without FILE
                                   the case file itself is the input, put first
  STDIN: <path>                    feed this file on stdin (with ARGS: -)
Every case must exit 1, print no traceback, and begin with one of the three diagnostic forms:
`file:line:col: error: ...` (a caret under col follows the source line), `file:line: error: ...`,
or `error: ...` where no location applies. Files without an EXPECT line are inputs of other cases.
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
EXAMPLES = HERE.parent.parent / "examples"
DIRECTIVE = re.compile(r"^(?:#|//)\s*(EXPECT|EXPECT-RE|ARGS|STDIN):\s?(.*)$")
FIRST_LINE = re.compile(r"^(?:(?P<file>.+?):(?P<line>\d+)(?::(?P<col>\d+))?: )?error: \S.*$")


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


def expand(text: str, case: Path) -> str:
    return text.replace("FILE", str(case)).replace("EXAMPLES", str(EXAMPLES)).replace("CASES", str(HERE))


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
    args = shlex.split(expand(d.get("ARGS", ""), case))
    if "FILE" not in d.get("ARGS", "") and case.suffix != ".cmd":
        args.insert(0, str(case))
    source_text = None
    if "STDIN" in d:
        source_text = Path(expand(d["STDIN"], case)).read_text()
        monkeypatch.setattr(sys, "stdin", io.StringIO(source_text))

    code = main(args)
    err = capsys.readouterr().err

    assert code == 1, err
    assert "Traceback" not in err and "internal compiler error" not in err, err
    lines = err.splitlines()
    first = lines[0].replace(str(case), "FILE").replace(str(EXAMPLES), "EXAMPLES").replace(str(HERE), "CASES")
    if "EXPECT" in d:
        assert first == d["EXPECT"], err
    else:
        assert re.fullmatch(d["EXPECT-RE"], first), err
    m = FIRST_LINE.match(lines[0])
    assert m, f"not a diagnostic line: {lines[0]!r}"
    if m["col"]:  # the source line, then a caret under the column
        col = int(m["col"])
        assert lines[2] == " " * (col - 1) + "^", err
        path = Path(m["file"])
        text = source_text if m["file"] == "<stdin>" else path.read_text() if path.is_file() else None
        if text is not None:
            assert lines[1] == text.splitlines()[int(m["line"]) - 1], err
