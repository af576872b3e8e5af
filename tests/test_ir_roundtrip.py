"""Every level prints and parses back to identical text: after the frontend and after every pass."""

from __future__ import annotations

import pytest

from kopt.frontend.builder import build_module
from kopt.frontend.infer import infer_specs
from kopt.frontend.source import from_module_text
from kopt.passes.pipeline import Pipeline
from kopt.runtime.compiler import run_pipeline
from kopt.dialects.parse import parse_tile
from tests.helpers import EXAMPLES

CASES = [("softmax", None), ("row_sum", None), ("long_sum", None), ("residual_add", None), ("add", "x: f32[M, N], y: f32[M, N]"), ("add", "x: f16[N], y: f16[N]"),
         # batch-to-grid rewrites it: a block-1 range and its `begin`, 2-D tiles, a `dot_batch` attribute
         ("attention", None)]


def assert_round_trip(module) -> None:
    text = str(module)
    again = str(parse_tile(text, "<roundtrip>"))
    assert again == text


@pytest.mark.parametrize("name,signature", CASES)
def test_round_trip_after_every_pass(name, signature):
    path = EXAMPLES / f"{name}.py"
    seen = []
    for src in from_module_text(path.read_text(), str(path)):
        module = build_module(src, infer_specs(src, signature))
        assert_round_trip(module)

        def hook(prev, mod, nxt):
            if prev is not None:
                assert_round_trip(mod)
                seen.append(prev.name)

        run_pipeline(module, Pipeline.default(), verify=True, hook=hook)
    assert set(seen) == set(Pipeline.default().names())
