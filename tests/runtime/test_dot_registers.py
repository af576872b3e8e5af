"""The register-pressure estimate of dot kernels (kopt/launch/dot_registers.py): it agrees with what ptxas did in
Triton's sm_90 builds (the fit's data, and two builds made here), and the dot autotune space leaves out what it
calls spilling."""

from __future__ import annotations

import csv
from pathlib import Path

import torch

import kopt
import kopt.language as hl
from kopt.launch.dot_registers import MARGIN, MAX_REGISTERS, estimated_registers, spills
from tests.helpers import built_for_sm90, load_example

BUILDS = Path(__file__).resolve().parents[2] / "benchmarks/results/cpu_2026-12-02d_registers/builds.csv"


def _tiles(row: dict) -> tuple:
    return row["kind"] == "attention", int(row["bm"]), int(row["bn"]), int(row["bk_or_d"]), int(row["warps"])


def test_the_estimate_prunes_only_builds_that_spilled():
    """Over the 56 sm_90 builds (benchmarks/register_fit.py): every build the estimate calls spilling spilled, and
    every build that spilled more than 8 bytes is called spilling."""
    rows = list(csv.DictReader(open(BUILDS)))
    assert len(rows) == 56 and sum(int(r["stack"]) > 0 for r in rows) == 8
    for r in rows:
        called, stack = spills(*_tiles(r)), int(r["stack"])
        assert not called or stack > 0, (r, estimated_registers(*_tiles(r)))
        assert called or stack <= 8, (r, estimated_registers(*_tiles(r)))


def _space(name, args: list):
    """(block sizes, warps) of the configs the autotuner tries for these arguments."""
    fn = getattr(load_example(name), name) if isinstance(name, str) else name
    return {(c.block_sizes, c.num_warps) for c in fn.tune_candidates(list(args), fn.compile(*args))}


def test_the_dot_space_leaves_out_spilling_tiles():
    """Attention: 128 x 64 tiles at head dim 128 and 128 x 128 at head dim 64 spilled on 4 warps (248 and 16 bytes)
    and are not tried; on 8 warps (182 and 221 registers) they are. Matmul: 128 x 256 on 4 warps spilled (1024
    bytes); on 8 warps it is tried."""
    att128 = _space("attention", [torch.randn(32, 4096, 128, dtype=torch.float16)] * 3)
    assert ((1, 128, 64), 4) not in att128 and ((1, 128, 64), 8) in att128
    att64 = _space("attention", [torch.randn(32, 4096, 64, dtype=torch.float16)] * 3)
    assert ((1, 128, 128), 4) not in att64 and ((1, 128, 128), 8) in att64
    mm = _space("matmul", [torch.randn(4096, 4096, dtype=torch.float16)] * 2)
    assert not any(b[:2] in ((128, 256), (256, 128)) and w == 4 for b, w in mm if b)
    assert ((128, 256, 64), 8) in mm


def attention_dv(q, k, v):
    """Attention whose values have a head dim of their own (`dv`): a program holds two whole dims."""
    bh, m, d = q.size()
    dv = v.size(2)
    out = torch.empty([bh, m, dv], dtype=q.dtype, device=q.device)
    for tile_b, tile_m in hl.tile([bh, m]):
        m_i = hl.full([tile_b, tile_m], float("-inf"), dtype=torch.float32)
        l_i = hl.zeros([tile_b, tile_m], dtype=torch.float32)
        acc = hl.zeros([tile_b, tile_m, dv], dtype=torch.float32)
        for tile_n in hl.tile(k.size(1)):
            qk = torch.bmm(q[tile_b, tile_m, :], k[tile_b, tile_n, :].transpose(1, 2)).to(torch.float32)
            m_ij = torch.maximum(m_i, torch.amax(qk, -1))
            p = torch.exp(qk - m_ij[:, :, None])
            alpha = torch.exp(m_i - m_ij)
            l_i = l_i * alpha + torch.sum(p, -1)
            acc = torch.baddbmm(acc * alpha[:, :, None], p.to(v.dtype), v[tile_b, tile_n, :])
            m_i = m_ij
        out[tile_b, tile_m, :] = (acc / l_i[:, :, None]).to(out.dtype)
    return out


def test_every_attention_space_keeps_tiles_to_try():
    """Head dim 256 (fp16: only 2 stages fit 64 x 64 tiles), fp32 at 128, and a kernel holding two whole dims (q's
    and v's head dims: counted as the wider, as the launcher counts it, not their product) all keep tile candidates;
    the kernel of two head dims computes attention."""
    for d, dtype in ((256, torch.float16), (128, torch.float32)):
        tiles = {(b, w) for b, w in _space("attention", [torch.randn(4, 1024, d, dtype=dtype)] * 3) if b}
        assert ((1, 64, 64), 4) in tiles, (d, dtype, tiles)
    two = kopt.kernel(attention_dv)
    q, k, v = torch.randn(2, 1024, 64).half(), torch.randn(2, 1024, 64).half(), torch.randn(2, 1024, 64).half()
    assert len({b for b, _ in _space(two, [q, k, v]) if b}) >= 4
    q, k, v = torch.randn(2, 37, 16), torch.randn(2, 45, 16), torch.randn(2, 45, 32)
    torch.testing.assert_close(two(q, k, v), torch.softmax(q @ k.transpose(1, 2), -1) @ v, atol=1e-4, rtol=1e-4)


BUILD = """
import torch, kopt
from tests.helpers import load_example
mm = load_example("matmul").matmul
a = torch.randn(512, 512, dtype=torch.float16)
for blocks, warps in (([128, 256, 64], 4), ([128, 128, 64], 8)):
    for b in kopt.build_for_target(mm, a, a, config=kopt.Config(block_sizes=blocks, num_warps=warps, num_stages=3)):
        print("BUILT", b.kernel, b.registers, b.stack, b.error)
q = torch.randn(4, 1024, 256, dtype=torch.float16)
for b in kopt.build_for_target(load_example("attention").attention, q, q, q):  # the launcher's own choice
    print("DEFAULT", b.constexprs, b.options, b.registers, b.stack, b.error)
"""


def test_build_for_target_reads_registers_and_spills(tmp_path):
    """A TargetBuild says how many registers its thread takes and what ptxas spilled; the estimate agrees."""
    built, stdout = built_for_sm90(BUILD, tmp_path)
    assert len(built) == 2, stdout
    (_, _, regs4, stack4, err4), (_, _, regs8, stack8, err8) = (line.split() for line in built)
    assert err4 == err8 == "None", stdout
    assert int(regs4) == MAX_REGISTERS and int(stack4) > 0 and spills(False, 128, 256, 64, 4), stdout
    assert int(regs8) <= MAX_REGISTERS and int(stack8) == 0 and not spills(False, 128, 128, 64, 8), stdout
    assert estimated_registers(False, 128, 128, 64, 8) <= MAX_REGISTERS + MARGIN


def test_the_launchers_attention_tiles_at_head_dim_256_do_not_spill(tmp_path):
    """At head dim 256 the launcher's 128 x 64 tile on 4 warps spilled 1240 bytes (sm_90): it takes 8 warps there."""
    _, stdout = built_for_sm90(BUILD, tmp_path)
    line = next(line for line in stdout.splitlines() if line.startswith("DEFAULT"))
    assert "'num_warps': 8" in line and line.endswith(" 0 None"), line
