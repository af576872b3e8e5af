"""Diagnostic (temporary): per-call CPU overhead and do_bench of kopt's softmax launch paths."""
import importlib.util, sys, time
from pathlib import Path
import torch, triton, triton.testing

root = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("ex", root / "examples" / "softmax.py")
ex = importlib.util.module_from_spec(spec); spec.loader.exec_module(ex)
sys.path.insert(0, str(root))
from kopt.tools.bench import triton_rows
sm = ex.softmax
for shape, dt, cfg in [((4096, 896), torch.float16, {"_BLOCK_SIZE_0": 1, "num_warps": 2}),
                       ((4096, 768), torch.float16, {"_BLOCK_SIZE_0": 1, "num_warps": 2}),
                       ((4096, 384), torch.float32, {"_BLOCK_SIZE_0": 4, "num_warps": 16})]:
    x = torch.randn(shape, device="cuda", dtype=dt)
    c = sm.compile(x)
    from kopt.runtime.autotune import graph_timer
    paths = {"launcher default": lambda: c.launcher(x), "launcher tuned": lambda: c.launcher(x, _config=cfg),
             "Kernel call (autotune off)": lambda: sm(x), "triton peer": lambda: triton_rows.softmax(x)}
    print("graph_timer default / tuned us:", [round(graph_timer(paths["launcher default"]) * 1e3, 2) for _ in range(3)],
          [round(graph_timer(paths["launcher tuned"]) * 1e3, 2) for _ in range(3)], flush=True)
    for name, fn in paths.items():
        fn(); torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(2000): fn()
        cpu_us = (time.perf_counter() - t0) / 2000 * 1e6
        torch.cuda.synchronize()
        gpu_us = (time.perf_counter() - t0) / 2000 * 1e6
        b = [triton.testing.do_bench(fn, warmup=10, rep=40, return_mode="median") * 1e3 for _ in range(3)]
        print(f"{shape} {dt}: {name:28s} cpu/call {cpu_us:6.1f} us  wall/call {gpu_us:6.1f} us  do_bench {['%.1f' % v for v in b]} us", flush=True)
