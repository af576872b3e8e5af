"""Loops bounded by data, on CUDA: what skipping work buys, against the peers, in one process.

1. Causal attention, fp16/bf16, seq 4096, head dim 64 and 128: examples/causal_attention.py (its key loop
   stops at the query block's end: `hl.tile(0, tile_m.end)`) against benchmarks/causal_attention_masked.py
   (every key block, masked), torch's scaled_dot_product_attention(is_causal=True) (flash, 4-D inputs), the
   hand-written Triton kernel (kopt/tools/bench/triton_attention.py, which also skips), and, in fp16, the
   math in eager torch and under torch.compile. TFLOP/s = 2 * bh * s * s * d (the causal half of 4 * ...).
   "kopt masked, same math" is the skipping kernel's arithmetic over every key block: what skipping alone buys.
2. Grouped GEMM, fp16: examples/grouped_gemm.py against a loop of torch.mm over the groups, torch.compile of
   that loop, and one torch.mm over all rows (cuBLAS on the same FLOPs: the ceiling). TFLOP/s = 2 * M * N * K.
3. MoE matmul, bf16 (per-expert weights): examples/moe_matmul.py against a loop of torch.mm and torch._grouped_mm.
The kopt kernels run with autotuning off (their default configs), so that the skip/masked ratio compares the
same tiles. Every result is checked against SDPA / torch.mm before it is timed.

Usage: python benchmarks/data_dependent_bench.py [--out DIR]   (writes .txt, .csv, .png there)
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import triton  # noqa: E402

import kopt  # noqa: E402
import kopt.language as hl  # noqa: E402
from kopt.tools.bench import triton_attention  # noqa: E402
from tests.helpers import load_example  # noqa: E402

ATTENTION = [(32, 4096, 64), (16, 4096, 128)]
GROUPED = [(8, 8192, 4096, 4096), (64, 8192, 4096, 4096), (128, 4096, 2048, 2048)]  # groups, total M, N, K


def _masked_kernel():
    spec = importlib.util.spec_from_file_location("causal_attention_masked", ROOT / "benchmarks" /
                                                  "causal_attention_masked.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.causal_attention_masked.fn


@kopt.kernel(autotune=False)
def causal_masked_same_math(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """The skipping kernel's arithmetic (fp32 scores from hl.dot), over every key block, masked: what skipping
    alone buys, beside the masked baseline as it was written."""
    bh, m, d = q.size()
    _, n, d_k = k.size()
    assert d_k == d and v.size(1) == n and v.size(2) == d
    out = torch.empty_like(q)
    qk_scale = 1.44269504 / math.sqrt(d)
    for tile_b, tile_m in hl.tile([bh, m]):
        m_i = hl.full([tile_b, tile_m], float("-inf"), dtype=torch.float32)
        l_i = hl.zeros([tile_b, tile_m], dtype=torch.float32)
        acc = hl.zeros([tile_b, tile_m, d], dtype=torch.float32)
        q_blk = q[tile_b, tile_m, :]
        for tile_n in hl.tile(n):
            qk = hl.dot(q_blk, k[tile_b, tile_n, :].transpose(1, 2), out_dtype=torch.float32) * qk_scale
            qk = torch.where(tile_m.index[None, :, None] >= tile_n.index[None, None, :], qk, float("-inf"))
            m_ij = torch.maximum(m_i, torch.amax(qk, -1))
            p = torch.exp2(qk - m_ij[:, :, None])
            alpha = torch.exp2(m_i - m_ij)
            l_i = l_i * alpha + torch.sum(p, -1)
            acc = torch.baddbmm(acc * alpha[:, :, None], p.to(v.dtype), v[tile_b, tile_n, :])
            m_i = m_ij
        out[tile_b, tile_m, :] = (acc / l_i[:, :, None]).to(out.dtype)
    return out


def _eager_causal(q, k, v):
    s = (q @ k.transpose(1, 2)).float() / math.sqrt(q.shape[-1])
    s = s.masked_fill(torch.ones(s.shape[-2:], dtype=torch.bool, device=q.device).triu(1), float("-inf"))
    return torch.softmax(s, -1).to(q.dtype) @ v


def _time(call, want, tol) -> float:
    torch.testing.assert_close(call(), want, atol=tol, rtol=tol)
    return triton.testing.do_bench(call, warmup=25, rep=100)


def attention_rows(dtype) -> list[dict]:
    skip = kopt.kernel(load_example("causal_attention").causal_attention.fn, autotune=False)
    masked = kopt.kernel(_masked_kernel(), autotune=False)
    compiled = torch.compile(_eager_causal, dynamic=False)
    rows = []
    for bh, s, d in ATTENTION:
        q, k, v = (torch.randn(bh, s, d, device="cuda", dtype=dtype) for _ in range(3))
        calls = {"kopt skip": lambda: skip(q, k, v), "kopt masked": lambda: masked(q, k, v),
                 "kopt masked, same math": lambda: causal_masked_same_math(q, k, v),
                 "triton": lambda: triton_attention.attention(q, k, v, True),
                 "sdpa": lambda: F.scaled_dot_product_attention(q[None], k[None], v[None], is_causal=True)[0]}
        if dtype == torch.float16:
            calls |= {"eager": lambda: _eager_causal(q, k, v), "compile": lambda: compiled(q, k, v)}
        want = calls["sdpa"]()
        flops = 2 * bh * s * s * d
        for name, call in calls.items():
            ms = _time(call, want, 2e-2)
            rows.append({"bench": "causal_attention", "dtype": str(dtype).removeprefix("torch."),
                         "shape": f"{bh}x{s}x{d}", "impl": name, "ms": ms, "tflops": flops / ms / 1e9})
    return rows


def _group_offsets(groups: int, total: int, gen) -> list[int]:
    """Uneven groups: one empty, one of a single row, the rest random, summing to `total`."""
    cuts = sorted(torch.randint(0, total + 1, (groups - 3,), generator=gen).tolist())
    return [0, 0, 1] + [1 + c * (total - 1) // total for c in cuts] + [total]


def grouped_rows() -> list[dict]:
    kernel = kopt.kernel(load_example("grouped_gemm").grouped_gemm.fn, autotune=False)
    rows, gen = [], torch.Generator().manual_seed(0)
    for groups, total, n, k in GROUPED:
        offsets = _group_offsets(groups, total, gen)
        a = torch.randn(total, k, device="cuda", dtype=torch.float16) / k ** 0.25
        b = torch.randn(k, n, device="cuda", dtype=torch.float16) / k ** 0.25
        offs = torch.tensor(offsets, device="cuda")
        pairs = list(zip(offsets[:-1], offsets[1:]))

        def loop(a, b):
            out = a.new_empty(a.size(0), b.size(1))
            for lo, hi in pairs:
                out[lo:hi] = torch.mm(a[lo:hi], b)
            return out

        compiled = torch.compile(loop, dynamic=False)
        calls = {"kopt": lambda: kernel(a, b, offs), "torch.mm loop": lambda: loop(a, b),
                 "compile": lambda: compiled(a, b), "one torch.mm": lambda: torch.mm(a, b)}
        want = loop(a, b)
        for name, call in calls.items():
            ms = _time(call, want, 2e-2)
            rows.append({"bench": "grouped_gemm", "dtype": "float16", "shape": f"G{groups}:{total}x{n}x{k}",
                         "impl": name, "ms": ms, "tflops": 2 * total * n * k / ms / 1e9})
    return rows


MOE = [(8, 8192, 2048, 2048), (64, 8192, 2048, 2048)]  # experts, tokens, N, K


def moe_rows() -> list[dict]:
    """MoE matmul, bf16: per-expert weights, so a loop of torch.mm is the natural baseline; torch._grouped_mm
    (cuBLAS grouped GEMM, where this torch has it) is the library peer."""
    kernel = kopt.kernel(load_example("moe_matmul").moe_matmul.fn, autotune=False)
    rows, gen = [], torch.Generator().manual_seed(1)
    for experts, tokens, n, k in MOE:
        offsets = _group_offsets(experts, tokens, gen)
        counts = torch.tensor([b - a for a, b in zip(offsets[:-1], offsets[1:])], device="cuda")
        x = torch.randn(tokens, k, device="cuda", dtype=torch.bfloat16) / k ** 0.25
        w = torch.randn(experts, k, n, device="cuda", dtype=torch.bfloat16) / k ** 0.25
        pairs = list(zip(offsets[:-1], offsets[1:]))

        def loop(x, w):
            out = x.new_empty(x.size(0), w.size(2))
            for e, (lo, hi) in enumerate(pairs):
                out[lo:hi] = torch.mm(x[lo:hi], w[e])
            return out

        calls = {"kopt": lambda: kernel(x, w, counts), "torch.mm loop": lambda: loop(x, w)}
        if hasattr(torch, "_grouped_mm"):
            ends = torch.tensor(offsets[1:], device="cuda", dtype=torch.int32)
            calls["torch._grouped_mm"] = lambda: torch._grouped_mm(x, w, offs=ends)
        want = loop(x, w)
        for name, call in calls.items():
            try:
                ms = _time(call, want, 3e-2)
            except Exception as exc:  # a peer this torch build cannot run: say so, keep going
                print(f"moe {name}: {type(exc).__name__}: {str(exc)[:200]}")
                continue
            rows.append({"bench": "moe_matmul", "dtype": "bfloat16", "shape": f"E{experts}:{tokens}x{n}x{k}",
                         "impl": name, "ms": ms, "tflops": 2 * tokens * n * k / ms / 1e9})
    return rows


def table(rows: list[dict]) -> str:
    lines = [f"{torch.cuda.get_device_name()}, torch {torch.__version__}, triton {triton.__version__}; TFLOP/s"]
    for key in sorted({(r["bench"], r["dtype"], r["shape"]) for r in rows}, key=str):
        here = {r["impl"]: r["tflops"] for r in rows if (r["bench"], r["dtype"], r["shape"]) == key}
        cells = "  ".join(f"{name} {value:7.1f}" for name, value in here.items())
        extra = ""
        if "kopt skip" in here:
            extra = (f"  | skip/masked {here['kopt skip'] / here['kopt masked']:.2f}x, skip/masked same math "
                     f"{here['kopt skip'] / here['kopt masked, same math']:.2f}x, skip/sdpa {here['kopt skip'] / here['sdpa']:.2f}x")
        elif "torch._grouped_mm" in here or "torch.mm loop" in here and "one torch.mm" not in here:
            extra = f"  | kopt/loop {here['kopt'] / here['torch.mm loop']:.2f}x"
        elif "torch.mm loop" in here:
            extra = f"  | kopt/loop {here['kopt'] / here['torch.mm loop']:.2f}x, kopt/one mm {here['kopt'] / here['one torch.mm']:.2f}x"
        lines.append(f"{key[0]:<17} {key[1]:<9} {key[2]:<20} {cells}{extra}")
    return "\n".join(lines)


def plot(rows: list[dict], path: Path) -> None:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        print("note: matplotlib is not installed; no plot written")
        return
    cases = sorted({(r["bench"], r["dtype"], r["shape"]) for r in rows}, key=str)
    impls = list(dict.fromkeys(r["impl"] for r in rows))
    fig = Figure(figsize=(12, 5), dpi=110)
    ax = fig.subplots()
    width = 0.8 / len(impls)
    for j, impl in enumerate(impls):
        xs, ys = [], []
        for i, case in enumerate(cases):
            hit = [r["tflops"] for r in rows if (r["bench"], r["dtype"], r["shape"]) == case and r["impl"] == impl]
            if hit:
                xs.append(i + j * width)
                ys.append(hit[0])
        ax.bar(xs, ys, width, label=impl)
    ax.set_xticks([i + 0.4 for i in range(len(cases))], [" ".join(c) for c in cases], rotation=20, fontsize=7)
    ax.set_ylabel("TFLOP/s")
    ax.legend(fontsize=7, ncol=4)
    ax.set_title(f"loops bounded by data — {torch.cuda.get_device_name()}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="out/data_dependent")
    args = p.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for dtype in (torch.float16, torch.bfloat16):
        rows += attention_rows(dtype)
        print(table(rows), flush=True)
    rows += grouped_rows()
    rows += moe_rows()
    text = table(rows)
    print(text)
    (out / "data_dependent.txt").write_text(text + "\n")
    with open(out / "data_dependent.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, ["bench", "dtype", "shape", "impl", "ms", "tflops"])
        w.writeheader()
        w.writerows(rows)
    plot(rows, out / "data_dependent.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
