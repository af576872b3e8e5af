"""The README shows the Triton kernel and launcher `kopt examples/softmax.py` prints: they must stay what it prints."""

from __future__ import annotations

import re

from kopt.tools.cli import main
from tests.helpers import EXAMPLES, ROOT


def test_readme_softmax_listings_match_the_compiler(capsys):
    assert main([str(EXAMPLES / "softmax.py")]) == 0
    printed = capsys.readouterr().out
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    shown = [b for b in blocks if "def _softmax_kernel(" in b or "def softmax(x):" in b]
    assert len(shown) == 2
    for block in shown:
        for line in block.strip().splitlines():
            if line.strip() and not line.startswith("@triton.jit"):
                assert line in printed, f"README line not in `kopt examples/softmax.py`'s output:\n{line}"
