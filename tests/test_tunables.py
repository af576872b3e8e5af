"""hl.register_tunable: the config's value (else the fragment's default) is compiled in, usable in device code
and in block shapes; each value is a compile of its own; the autotuner's candidates include the fragment's
choices; a config field the kernel does not register is a located error; literal host sizes are facts."""

from __future__ import annotations

import pytest
import torch

import kopt
import kopt.language as hl
from kopt.autotuner import BooleanFragment, EnumFragment, IntegerFragment, PowerOfTwoFragment
from kopt.errors import KoptError


def chunked_row_sums(x: torch.Tensor) -> torch.Tensor:
    chunk = hl.register_tunable("chunk", PowerOfTwoFragment(8, 128, 32))
    scale = hl.register_tunable("scale", EnumFragment([1.0, 0.5]))
    m, n = x.size()
    out = torch.empty([m], dtype=x.dtype, device=x.device)
    for tile_m in hl.tile(m):
        acc = hl.zeros([tile_m, chunk], dtype=torch.float32)
        for tile_n in hl.tile(n, block_size=chunk):
            acc = acc + x[tile_m, tile_n]
        out[tile_m] = acc.sum(-1) * scale
    return out


@pytest.mark.parametrize("shape", [(1, 1), (7, 45), (33, 257)])
def test_defaults_compile_in(shape):
    x = torch.randn(shape)
    k = kopt.kernel(chunked_row_sums)
    torch.testing.assert_close(k(x), x.sum(1), rtol=1e-5, atol=1e-5)
    assert "tl.range(0, 32*(n // 32), 32)" in k.compile(x).triton_source  # whole chunks, then the rest


@pytest.mark.parametrize("chunk,scale", [(8, 1.0), (128, 0.5), (64, 0.5)])
def test_config_values_compile_in_and_key_the_cache(chunk, scale):
    x = torch.randn(9, 131)
    k = kopt.kernel(chunked_row_sums, config=kopt.Config(chunk=chunk, scale=scale))
    torch.testing.assert_close(k(x), x.sum(1) * scale, rtol=1e-5, atol=1e-5)
    src = k.compile(x).triton_source
    assert f"tl.full([_BLOCK_SIZE_0, {chunk}]" in src and f"tl.range(0, {chunk}*(n // {chunk}), {chunk})" in src


def test_an_unknown_field_is_located_at_the_def():
    k = kopt.kernel(chunked_row_sums, config=kopt.Config(chunck=16))
    with pytest.raises(KoptError) as info:
        k(torch.randn(3, 4))
    e = info.value
    assert "unknown field 'chunck'" in e.message and "chunk, scale" in " ".join(e.notes), e.format()
    assert e.loc is not None and "def chunked_row_sums" in open(e.loc.file).read().splitlines()[e.loc.line - 1]


def test_autotuner_candidates_include_the_choices():
    k = kopt.kernel(chunked_row_sums)
    k(torch.randn(2, 3))  # reads the registrations
    tried = {(c.tunables.get("chunk"), c.tunables.get("scale")) for c in k._tunable_candidates()}
    assert tried == {(8, None), (16, None), (64, None), (128, None), (None, 0.5)}
    for cfg in k._tunable_candidates():  # each candidate compiles and runs right
        x = torch.randn(5, 70)
        want = x.sum(1) * cfg.tunables.get("scale", 1.0)
        torch.testing.assert_close(kopt.kernel(chunked_row_sums, config=cfg)(x), want, rtol=1e-5, atol=1e-5)


def test_configs_differing_in_a_tunable_differ():
    assert kopt.Config(chunk=16) != kopt.Config(chunk=32) and kopt.Config() != kopt.Config(chunk=16)
    assert len({kopt.Config(chunk=16), kopt.Config(chunk=16), kopt.Config(chunk=32)}) == 2


def test_fragments():
    assert PowerOfTwoFragment(16, 256).choices() == [16, 32, 64, 128, 256]
    assert PowerOfTwoFragment(16, 256, 64).default() == 64
    assert len(IntegerFragment(1, 100).choices()) == 8 and IntegerFragment(1, 100).choices()[-1] == 100
    assert BooleanFragment(True).choices() == [True, False]
    with pytest.raises(KoptError):
        PowerOfTwoFragment(3, 64)


def test_a_literal_host_size_is_a_block_shape():
    def padded(x: torch.Tensor) -> torch.Tensor:
        width = 16
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            acc = hl.zeros([t, width], dtype=torch.float32)
            out[t] = x[t] + acc.sum(-1)
        return out

    k = kopt.kernel(padded)
    x = torch.randn(11)
    torch.testing.assert_close(k(x), x)
    assert "tl.full([_BLOCK_SIZE_0, 16]" in k.compile(x).triton_source
