"""fp16 rows of 8K-13K elements, which a persistent kernel pads to 16384 lanes: kopt's persistent kernel against
its online (looped) one with chunks of 4096, for softmax, layer_norm and rms_norm, beside the hand-written
Triton kernel and the copy bandwidth. Decides whether the auto launcher should run the online kernel there
(softmax: yes, benchmarks/results/h100_2026-11-25c/softmax_fp16_band.txt). GPU only, GB/s of 4096 x N.
Usage: python benchmarks/rows_fp16_band.py [--out FILE.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
import triton  # noqa: E402

import kopt  # noqa: E402
from kopt.tools.bench import triton_rows  # noqa: E402
from tests.helpers import load_example  # noqa: E402

NS = (7424, 8320, 9216, 10112, 11008, 11904, 12672, 13568)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out")
    args = p.parse_args()
    fns = {"softmax": load_example("softmax").softmax.fn, "layer_norm": load_example("layer_norm").layer_norm.fn,
           "rms_norm": load_example("rms_norm").rms_norm.fn}
    rows = []
    print(f"{'kernel':>10} {'N':>6} {'copy':>6} {'auto':>6} {'pers':>6} {'onl4096':>7} {'onl8192':>7} {'triton':>6}"
          f"   GB/s fp16 4096 x N, {torch.cuda.get_device_name()}", flush=True)
    for name, fn in fns.items():
        ks = {"auto": kopt.kernel(fn, autotune=False),
              "pers": kopt.kernel(fn, config=kopt.Config(reduction="persistent")),
              "onl4096": kopt.kernel(fn, config=kopt.Config(reduction="online", reduction_block=4096)),
              "onl8192": kopt.kernel(fn, config=kopt.Config(reduction="online", reduction_block=8192))}
        for n in NS:
            x = torch.randn(4096, n, device="cuda", dtype=torch.float16)
            w, b = torch.randn(n, device="cuda", dtype=torch.float16), torch.randn(n, device="cuda", dtype=torch.float16)
            a = {"softmax": (x,), "layer_norm": (x, w, b, 1e-5), "rms_norm": (x, w, 1e-5)}[name]
            peer = {"softmax": lambda: triton_rows.softmax(x), "layer_norm": lambda: triton_rows.layer_norm(x, w, b),
                    "rms_norm": lambda: triton_rows.rms_norm(x, w)}[name]
            want = peer()
            y = torch.empty_like(x)
            row = {"kernel": name, "N": n, "copy": triton.testing.do_bench(lambda: y.copy_(x), warmup=10, rep=50)}
            for k, kern in ks.items():
                torch.testing.assert_close(kern(*a), want, atol=2e-2, rtol=2e-2)
                row[k] = triton.testing.do_bench(lambda kern=kern: kern(*a), warmup=10, rep=50)
            row["triton"] = triton.testing.do_bench(peer, warmup=10, rep=50)
            gbs = {k: 2 * x.numel() * 2 / v / 1e6 for k, v in row.items() if k not in ("kernel", "N")}
            rows.append({"kernel": name, "N": n, **gbs})
            print(f"{name:>10} {n:>6} " + " ".join(f"{gbs[k]:>{max(6, len(k))}.0f}" for k in
                                                  ("copy", "auto", "pers", "onl4096", "onl8192", "triton")), flush=True)
            if args.out:
                Path(args.out).write_text(json.dumps({"device": torch.cuda.get_device_name(), "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
