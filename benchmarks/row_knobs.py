"""Which launch knobs would move kopt's row kernels where the 2026-12-02 tables left them behind (GPU).

Each case is one example kernel at one shape, timed with its default launch and with a few other choices in one
process: more warps (`kopt.Config(num_warps=...)`), no software pipelining of the chunk loops (`num_stages=1`, the
hand-written Triton peers' choice), and the online variant from narrower rows (`reduction-variants{persistent-max=N}`
in the pipeline: cross-entropy reads a row once either way). Every output is checked against the fp32 torch
reference first (kopt.tools.bench's specs and tolerances); GB/s as `kopt bench` counts them.
Usage (GPU): python benchmarks/row_knobs.py [--out F.json]
"""

from __future__ import annotations

import argparse
import json

import torch

import kopt
from kopt.passes.pipeline import DEFAULT_PIPELINE
from kopt.tools.bench import harness, specs
from kopt.tools.bench.kopt_impl import _KERNELS, _example


def _online_from(n: int) -> str:
    return DEFAULT_PIPELINE.replace("reduction-variants", f"reduction-variants{{persistent-max={n}}}")


# (kernel, dtype, shapes, {label: (Config kwargs, pipeline or None)})
CASES = [
    ("cross_entropy", "bf16", [(4096, n) for n in (8192, 16384, 32768, 65536, 131072)],
     {"stages1": ({"num_stages": 1}, None), "online8k": ({}, _online_from(8192)),
      "online8k_stages1": ({"num_stages": 1}, _online_from(8192)), "online4k": ({}, _online_from(4096))}),
    ("layer_norm", "bf16", [(8192, 16384), (8192, 32768)],
     {"warps32": ({"num_warps": 32}, None), "stages1": ({"num_stages": 1}, None),
      "online8k": ({}, _online_from(8192))}),
    ("softmax", "fp16", [(4096, 9344), (4096, 11392), (4096, 12672), (32768, 32768)],
     {"warps32": ({"num_warps": 32}, None), "warps8": ({"num_warps": 8}, None)}),
    ("softmax", "fp32", [(32768, 65536), (8192, 262144)], {"stages1": ({"num_stages": 1}, None)}),
    ("rms_norm", "fp16", [(8192, 32768)], {"warps32": ({"num_warps": 32}, None), "stages1": ({"num_stages": 1}, None)}),
]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--out", default="row_knobs.json")
    args = p.parse_args()
    results = []
    for kernel, dtype, shapes, variants in CASES:
        spec = specs.get_spec(kernel)
        file, name = _KERNELS[kernel]
        base = getattr(_example(file), name)
        impls = {"default": base}
        for label, (cfg, pipeline) in variants.items():
            opts = {"config": kopt.Config(**cfg)} if cfg else {}
            impls[label] = kopt.kernel(base.fn, pipeline=pipeline, **opts) if (cfg or pipeline) else base
        for shape in shapes:
            inputs = spec.inputs(shape, specs.dtype_of(dtype), "cuda")
            ref = spec.reference(inputs)
            rec = {"kernel": kernel, "dtype": dtype, "shape": "x".join(map(str, shape))}
            for label, fn in impls.items():
                try:
                    why = harness.compare(fn(*inputs), ref, *spec.tolerance(specs.dtype_of(dtype)))
                    rec[label] = why or round(spec.rate(shape, inputs[0].element_size(),
                                                        harness.cuda_timer(lambda: fn(*inputs))))
                except Exception as exc:  # noqa: BLE001 - a choice that fails is a result
                    rec[label] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}"
            print(json.dumps(rec), flush=True)
            results.append(rec)
            torch.cuda.empty_cache()
    with open(args.out, "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
