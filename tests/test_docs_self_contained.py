"""The repository is self-contained: no document, link or code comment points at a file outside it (such as
`../shared/DESIGN.md`), or at a file that is not there. A reader of a fresh clone can follow every reference."""

from __future__ import annotations

import re
from pathlib import Path

from tests.helpers import ROOT

# folders that are not part of the repository's text: VCS data, environments, caches, build and run outputs
SKIP = {".git", ".venv", "venv", "out", "build", "dist", ".whl", ".kopt_cache", ".pytest_cache", ".hypothesis",
        ".ruff_cache", ".import_linter_cache", "__pycache__", "Output", "node_modules"}
SUFFIXES = {".md", ".py", ".sh", ".toml", ".tile", ".cfg", ".txt"}

LINK = re.compile(r"\]\(([^)\s]+)\)")  # a markdown link's target
PARENT = re.compile(r"(?<![\w./-])((?:\.\./)+[\w.-][\w./-]*\w)")  # a path that climbs: ../x, ../../x/y.md
MD_FILE = re.compile(r"(?<![\w./-])([\w./-]*\w\.md)\b")  # a mention of a markdown file: docs/shapes.md, DESIGN.md

# References known to point outside, in code another change owns: each is to go, and its entry here with it.
PENDING: set[tuple[str, str]] = set()  # (file, reference) allowed for now: none


def _files() -> list[Path]:
    out = []
    for p in sorted(ROOT.rglob("*")):
        rel = p.relative_to(ROOT)
        if any(part in SKIP or part.endswith(".egg-info") for part in rel.parts[:-1]):
            continue
        if p == Path(__file__).resolve():  # this file shows references that leave, on purpose
            continue
        if p.is_file() and (p.suffix in SUFFIXES or rel.as_posix() == ".ci/run") and not p.name.startswith(".lit"):
            out.append(p)
    return out


def _resolves(source: Path, target: str) -> bool:
    """`target`, as written in `source`, names a file or folder inside the repository: relative to the file, or
    (for a path that does not climb) to the repository root or docs/ (as the docs write `shapes.md`)."""
    target = target.split("#", 1)[0]
    if not target:
        return True
    bases = [source.parent] + ([] if target.startswith("..") else [ROOT, ROOT / "docs"])
    for base in bases:
        path = (base / target).resolve()
        if path.is_relative_to(ROOT) and path.exists():
            return True
    return False


def _bad_references(path: Path) -> list[tuple[int, str]]:
    text = path.read_text(errors="replace")
    found: list[tuple[int, str]] = []
    patterns = [PARENT, MD_FILE] + ([LINK] if path.suffix == ".md" else [])
    for rx in patterns:
        for m in rx.finditer(text):
            target = m.group(1)
            if rx is LINK and re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:: not a file
                continue
            where = (text.count("\n", 0, m.start()) + 1, target)
            if not _resolves(path, target) and where not in found:
                found.append(where)
    return sorted(found)


def test_the_scan_sees_the_documents():
    names = {p.relative_to(ROOT).as_posix() for p in _files()}
    assert {"README.md", "docs/architecture.md", "docs/writing-a-pass.md", "kopt/runtime/mode.py",
            ".ci/run"} <= names


def test_the_scan_catches_references_outside(tmp_path):
    doc = ROOT / "docs" / "architecture.md"
    assert not _resolves(doc, "../shared/DESIGN.md") and not _resolves(doc, "../../x") and not _resolves(doc, "DESIGN.md")
    assert _resolves(doc, "../examples/softmax.py") and _resolves(doc, "shapes.md") and _resolves(doc, "#the-ir")
    fake = tmp_path / "note.md"
    fake.write_text("See [the design](../shared/DESIGN.md), notes/triton-facts.md and [ok](https://example.com).\n")
    assert [t for _, t in _bad_references(fake)] == ["../shared/DESIGN.md", "notes/triton-facts.md"]


def test_no_reference_leaves_the_repository():
    bad = []
    for path in _files():
        rel = path.relative_to(ROOT).as_posix()
        bad += [f"{rel}:{line}: {t}" for line, t in _bad_references(path) if (rel, t) not in PENDING]
    assert not bad, "not files of this repository:\n" + "\n".join(bad)
