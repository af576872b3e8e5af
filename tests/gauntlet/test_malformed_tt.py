"""Malformed Triton-level (`tt`) IR: a bad eviction policy (a typed enum) or a loop bound that is no size
(a typed size) is one located KoptError on its line, as for the tile level (test_malformed.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.gauntlet.test_malformed import cli_error

PIPELINE = ("decompose,shape-inference,tiling,reciprocal-divisions,reduction-lowering{mode=online reduction-block=128},masking,"
            "mask-elision,canonicalize,lower-to-tt,reread-hints")


@pytest.fixture(scope="module")
def tt_text(tmp_path_factory) -> str:
    out = subprocess.run([sys.executable, "-m", "kopt.tools.cli", str(Path(__file__).resolve().parents[2] / "examples" / "softmax.py"), f"--pass-pipeline={PIPELINE}",
                          "--emit=tt"], capture_output=True, text=True, check=True)
    assert "evict evict_last" in out.stdout and "reverse" in out.stdout
    return out.stdout


TT_MUTANTS = [  # (old, new, a fragment of the message): one replacement in the tt IR of softmax
    ("evict evict_last", "evict evict_sometimes", "Expected `evict_first`, or `evict_last`"),
    ("step _REDUCTION_BLOCK_1", 'step "_REDUCTION_BLOCK_1 +"', "not a size expression"),
]


@pytest.mark.parametrize("old, new, expected", TT_MUTANTS)
def test_bad_tt_ir_is_a_located_error(tt_text, tmp_path, old, new, expected):
    path = tmp_path / "bad.tile"
    path.write_text(tt_text.replace(old, new, 1))
    m, text = cli_error(path, "--pass-pipeline=", "--emit=triton")
    assert int(m["line"]) == tt_text[: tt_text.index(old)].count("\n") + 1, text
    assert expected in text, text
