"""Autotuning (on by default on CUDA) of the 2-D batched kernels after batch-to-grid, against torch. GPU only:
    python benchmarks/autotune_batched_check.py
"""
import sys, time
sys.path.insert(0, ".")
import torch, torch.nn.functional as F
import kopt
from tests.helpers import load_example
att = kopt.kernel(load_example("attention").attention.fn)
bmm = kopt.kernel(load_example("bmm").bmm.fn)
for bh, s, d in [(8, 1021, 64), (4, 512, 128)]:
    q, k, v = (torch.randn(bh, s, d, device="cuda", dtype=torch.float16) for _ in range(3))
    t = time.perf_counter()
    got = att(q, k, v)
    torch.testing.assert_close(got, F.scaled_dot_product_attention(q[None], k[None], v[None])[0], atol=2e-2, rtol=2e-2)
    print(f"attention {bh}x{s}x{d} autotuned in {time.perf_counter() - t:.1f}s: matches SDPA; config {att.tuned_config(q, k, v)}", flush=True)
x, y = torch.randn(8, 1021, 1024, device="cuda", dtype=torch.float16), torch.randn(8, 1024, 769, device="cuda", dtype=torch.float16)
t = time.perf_counter()
torch.testing.assert_close(bmm(x, y), torch.bmm(x, y), atol=1e-1, rtol=1e-2)
print(f"bmm autotuned in {time.perf_counter() - t:.1f}s: matches torch; config {bmm.tuned_config(x, y)}", flush=True)
