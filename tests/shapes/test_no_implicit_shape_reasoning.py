"""docs/architecture.md principle 2: no torch ShapeEnv, no FakeTensor, no unbounded sympy simplification in kopt."""

from __future__ import annotations

import re
from pathlib import Path

KOPT = Path(__file__).resolve().parents[2] / "kopt"
FORBIDDEN = re.compile(r"ShapeEnv|FakeTensor|sympy\.(n)?simplify|\.simplify\(\)")


def test_kopt_source_uses_no_implicit_shape_reasoning():
    # the same as: grep -rnE "ShapeEnv|FakeTensor|sympy\.(n)?simplify|\.simplify\(\)" kopt/
    hits = [f"{path.relative_to(KOPT.parent)}:{i}: {line.strip()}"
            for path in sorted(KOPT.rglob("*.py"))
            for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if FORBIDDEN.search(line)]
    assert not hits, "\n".join(hits)
