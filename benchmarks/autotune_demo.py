"""Autotune kopt's softmax example on a few shapes (GPU); a second run takes the results from disk.

Usage: python benchmarks/autotune_demo.py [fp32|fp16]. Prints, per shape: the first call's time
(kopt compile or disk load, plus tuning on a new size bucket), the tuned config, and do_bench
medians of the tuned launch against the heuristic default, then cache_info().
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

SHAPES = [(4096, 384), (4096, 1152), (4096, 4736), (4096, 12672)]


def main() -> int:
    import torch
    import triton.testing

    root = Path(__file__).resolve().parent.parent
    spec = importlib.util.spec_from_file_location("kopt_example_softmax", root / "examples" / "softmax.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    softmax = example.softmax
    dtype = {"fp32": torch.float32, "fp16": torch.float16}[sys.argv[1] if len(sys.argv) > 1 else "fp32"]
    print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}, triton {triton.__version__}")
    for shape in SHAPES:
        x = torch.randn(shape, device="cuda", dtype=dtype)
        t0 = time.perf_counter()
        y = softmax(x)
        torch.cuda.synchronize()
        first = time.perf_counter() - t0
        torch.testing.assert_close(y.float(), torch.softmax(x.float(), dim=1), atol=1e-2 if dtype != torch.float32
                                   else 1e-5, rtol=1e-2 if dtype != torch.float32 else 1e-5)
        default = softmax.compile(x)  # the same kernel with the launcher's heuristic choices
        # best of 3 do_bench medians: one window can catch a hiccup of the host
        tuned_ms = min(triton.testing.do_bench(lambda: softmax(x), return_mode="median") for _ in range(3))
        default_ms = min(triton.testing.do_bench(lambda: default(x), return_mode="median") for _ in range(3))
        gbps = lambda ms: 2 * x.numel() * x.element_size() / ms / 1e6  # noqa: E731
        print(f"{'x'.join(map(str, shape))} {str(dtype)[6:]}: first call {first:.2f} s; tuned "
              f"{softmax.tuned_config(x)} {tuned_ms * 1e3:.1f} us ({gbps(tuned_ms):.0f} GB/s) vs heuristic "
              f"{default_ms * 1e3:.1f} us ({gbps(default_ms):.0f} GB/s)", flush=True)
    print(f"cache_info: {softmax.cache_info()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
