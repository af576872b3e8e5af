"""What the README and docs/ show must stay true: the listings of kopt's output are what kopt prints now, the
set-up is the two commands CI runs, and the README's example leaves nothing to commit.

A listing of kopt's output is marked, in the markdown, by a comment just before its fenced block:

    <!-- kopt-output: kopt examples/softmax.py --emit=tile -->

The test runs that command (in-process, from the repository root; `$(kopt ...)` inside it is substituted with that
command's output, as the shell would) and compares the block with what it prints, on stdout or on stderr:

- the block is an excerpt: a line `...` (alone) skips any number of output lines; between those, the block's lines
  are consecutive lines of the output, in order;
- `...` inside a line stands for any text (`: ... -> !tile.tile<...>` elides long types);
- indentation is compared relative to the excerpt's first line (a listing may drop the common indentation);
- `kopt-output(words):` compares only the words (text between commas and whitespace), for output that the page
  wraps to its width, such as `kopt --print-pipeline`.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import io
import re
import shlex
import shutil
import subprocess
import sys
import tomllib

import pytest

from kopt.tools.cli import main
from tests.helpers import ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MARKER = re.compile(r"^<!-- kopt-output(\(words\))?: (.*?) -->\n```[\w-]*\n(.*?)^```", re.M | re.S)


def _listings():
    out = []
    for page in PAGES:
        text = page.read_text()
        for m in MARKER.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            out.append(pytest.param(m.group(2), bool(m.group(1)), m.group(3), id=f"{page.name}:{line}"))
    return out


LISTINGS = _listings()


@functools.lru_cache(maxsize=None)
def _kopt(command: str) -> tuple[str, str]:
    """stdout and stderr of a `kopt ...` command line, run in-process from the repository root."""
    command = re.sub(r"\$\((kopt [^)]*)\)", lambda m: _kopt(m.group(1))[0].strip(), command)
    argv = shlex.split(command)
    assert argv[0] == "kopt", f"a kopt-output marker runs kopt, not {argv[0]!r}"
    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(ROOT), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        main(argv[1:])  # the exit status does not matter: a listing may show an error
    return out.getvalue(), err.getvalue()


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _line_matches(shown: str, printed: str) -> bool:
    pattern = ".*".join(re.escape(part) for part in shown.strip().split("..."))
    return re.fullmatch(pattern, printed.strip()) is not None


def _segment_at(segment: list[str], printed: list[str], i: int) -> bool:
    if i + len(segment) > len(printed):
        return False
    base_shown, base_printed = _indent(segment[0]), _indent(printed[i])
    return all(_line_matches(s, p) and _indent(s) - base_shown == _indent(p) - base_printed
               for s, p in zip(segment, printed[i:]))


def missing_from(listing: str, output: str) -> str | None:
    """None if `listing` is an excerpt of `output` (the rules above); else the first shown line not found, with the
    printed line closest to it."""
    printed = output.splitlines()
    segments, current = [], []
    for line in listing.rstrip("\n").splitlines():
        if line.strip() == "...":
            segments.append(current)
            current = []
        else:
            current.append(line)
    segments.append(current)
    pos = 0
    for segment in (s for s in segments if s):
        at = next((i for i in range(pos, len(printed)) if _segment_at(segment, printed, i)), None)
        if at is None:
            for k in range(len(segment), 0, -1):  # the longest head of the segment that is there, to name the line
                if any(_segment_at(segment[:k], printed, i) for i in range(pos, len(printed))):
                    break
            else:
                k = 0
            line = segment[min(k, len(segment) - 1)]
            close = difflib.get_close_matches(line.strip(), [p.strip() for p in printed], n=1, cutoff=0.0)
            return f"shown:   {line.strip()}\nclosest: {close[0] if close else '(nothing)'}"
        pos = at + len(segment)
    return None


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[,\s]+", text) if w]


def test_every_page_with_kopt_output_is_marked():
    pages = {p.split(":")[0] for p in (param.id for param in LISTINGS)}
    assert {"README.md", "architecture.md", "shapes.md", "writing-a-pass.md"} <= pages
    assert sum(param.id.startswith("README.md") for param in LISTINGS) == 4


@pytest.mark.parametrize("command, words, listing", LISTINGS)
def test_listing_matches_what_kopt_prints(command, words, listing):
    out, err = _kopt(command)
    if words:
        assert _words(listing) in (_words(out), _words(err)), f"`{command}` prints:\n{out}{err}"
        return
    problems = [missing_from(listing, stream) for stream in (out, err)]
    assert None in problems, f"the listing is not what `{command}` prints:\n" \
        f"against its stdout:\n{problems[0]}\nagainst its stderr:\n{problems[1]}"


def test_the_comparison_catches_a_stale_listing():
    out, _ = _kopt("kopt examples/softmax.py")
    assert missing_from("    v_1 = load - amax\n    exp = tl.exp(v_1)\n", out) is None
    assert missing_from("v_1 = load - amax\n...\nreturn out\n", out) is None
    assert "closest: v_1 = load - amax" in missing_from("    v_0 = load - amax\n", out)  # renumbered value
    assert missing_from("    exp = tl.exp(v_1)\n    v_1 = load - amax\n", out) is not None  # order
    assert missing_from("    v_1 = load - amax\n  exp = tl.exp(v_1)\n", out) is not None  # relative indentation
    assert missing_from("v_1 = ... - amax\n", out) is None and missing_from("v_1 = ... - amin\n", out) is not None


# ------------------------------------------------------------------------------------ the set-up and CI


def _readme_setup() -> list[str]:
    """The lines of the set-up's command block: the fenced bash block of the set-up that installs kopt."""
    section = (ROOT / "README.md").read_text().split("## Set-up", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, re.S)
    commands = [b for b in blocks if "pip install" in b]
    assert len(commands) == 1, blocks
    return commands[0].strip().splitlines()


def _ci_commands() -> list[str]:
    return [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def test_readme_setup_is_two_commands_and_ci_runs_them():
    install, tests = _readme_setup()  # exactly two: install + example, then the tests
    assert install.startswith('python -m pip install torch==2.13.0 -e ".[test]" && kopt examples/softmax.py')
    assert tests == "python -m pytest -q -n auto"
    ci = _ci_commands()
    assert ci.count(tests) == 1, "CI must run the README's test command as it is written"
    assert "python -m pip install -q torch==2.13.0 -e \".[test]\"" in ci  # the README's install, quietly
    assert ci.index("python -m pytest -q -n auto -m slow") > ci.index(tests)  # then the slow tests
    readme = (ROOT / "README.md").read_text()
    assert "python3.11 -m venv .venv && . .venv/bin/activate" in readme


def test_the_slow_tests_are_out_of_the_default_run():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pytest_ini = config["tool"]["pytest"]["ini_options"]
    addopts = pytest_ini["addopts"]
    addopts = " ".join(addopts) if isinstance(addopts, list) else addopts
    assert "-m not slow" in addopts or '-m "not slow"' in addopts
    assert any(m.startswith("slow:") for m in pytest_ini["markers"])
    extras = config["project"]["optional-dependencies"]["test"]
    assert any(r.startswith("pytest-xdist") for r in extras)
    torch_req = next(r for r in config["project"]["dependencies"] if r.startswith("torch"))
    assert "==" not in torch_req  # a range: GPU users bring their own CUDA build; README and CI pin it
    from tests.corpus import test_target_build

    marks = getattr(test_target_build.test_every_corpus_kernel_builds_for_sm90, "pytestmark", [])
    assert "slow" in [m.name for m in marks]


# ------------------------------------------------------------------------------------ outputs stay out of git


def _git(cwd, *args) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout


@pytest.mark.skipif(shutil.which("git") is None or shutil.which("bash") is None, reason="needs git and bash")
def test_readme_round_trip_example_leaves_nothing_to_commit(tmp_path):
    readme = (ROOT / "README.md").read_text()
    command = re.search(r"`(mkdir -p out && kopt examples/softmax\.py --emit=tile[^`]*)`", readme).group(1)
    (tmp_path / "examples").mkdir()
    shutil.copy(ROOT / "examples" / "softmax.py", tmp_path / "examples")
    shutil.copy(ROOT / ".gitignore", tmp_path)
    _git(tmp_path, "init", "-q")
    before = _git(tmp_path, "status", "--porcelain", "--untracked-files=all")
    env_path = f"{sys.executable.rsplit('/', 1)[0]}:/usr/bin:/bin"  # `kopt` of this environment
    r = subprocess.run(["bash", "-c", command], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                       env={"PATH": env_path, "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    assert _git(tmp_path, "status", "--porcelain", "--untracked-files=all") == before  # out/ is ignored
    # the round trip gives the same Triton source, but for the error locations (they name the .tile file)
    direct = _kopt("kopt examples/softmax.py")[0]
    strip_locations = lambda s: re.sub(r"SourceLoc\([^)]*\)", "SourceLoc(...)", s)  # noqa: E731
    assert strip_locations(r.stdout) == strip_locations(direct)
