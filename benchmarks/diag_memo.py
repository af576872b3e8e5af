"""Diagnostic (GPU): the host cost per call of the matmul example over matmul_mix in one kernel object, and how
many whole-call memo entries it holds after each shape (MEMO_MAX=N patches launch_memo.MAX_ENTRIES). Prints per
shape: checked against torch, do_bench us, CUDA-graph us, host us per call (200 calls, no sync), memo entries.
Usage: [KOPT_AUTOTUNE=0] [MEMO_MAX=64] python3 benchmarks/diag_memo.py"""
import os, sys, time
import torch, triton
sys.path.insert(0, os.getcwd())
from tests.helpers import load_example
from kopt.runtime import launch_memo
from kopt.runtime.autotune import graph_timer
if os.environ.get("MEMO_MAX"):
    launch_memo.MAX_ENTRIES = int(os.environ["MEMO_MAX"])
from kopt.tools.bench.shapes import get_shapes
mm = load_example("matmul").matmul
rows = []
for (m, n, k) in get_shapes("matmul_mix"):
    a = torch.randn(m, k, device="cuda", dtype=torch.float16); b = torch.randn(k, n, device="cuda", dtype=torch.float16)
    for _ in range(3):
        out = mm(a, b)
    torch.cuda.synchronize()
    ok = torch.allclose(out.float(), a.float() @ b.float(), atol=1e-1, rtol=1e-2)
    db = triton.testing.do_bench(lambda: mm(a, b), warmup=25, rep=100, return_mode="median") * 1e3
    gr = graph_timer(lambda: mm(a, b)) * 1e3
    torch.cuda.synchronize(); t0 = time.perf_counter()
    for _ in range(200):
        mm(a, b)
    host = (time.perf_counter() - t0) / 200 * 1e6
    torch.cuda.synchronize()
    memo = len(mm.__dict__.get("_memo", []))
    rows.append((f"{m}x{n}x{k}", ok, round(db, 1), round(gr, 1), round(host, 1), memo))
    print(*rows[-1], flush=True)
