"""The shapes a corpus kernel is checked at on a GPU (benchmarks/gpu_corpus_check.py) and built at for a GPU
target without one (tests/corpus/target_sweep.py): small-and-odd sizes, then large-and-odd ones, capped where
a kernel's work grows as a product of them."""

from __future__ import annotations

SHAPE_SETS = {"odd": (1, 97, 13, 257, 33, 129), "large": (4099, 1021, 2049, 769, 4097, 1023)}
GPU_CAPS = {
    "attention": {"bh": 8, "m": 1024, "n": 1024}, "causal_attention": {"bh": 8, "m": 1024},
    "bmm": {"b": 8, "m": 1024, "k": 1024, "n": 1024}, "jagged_sum": {"rows": 1024, "max_len": 256, "d": 1024},
    "histogram": {"n": 1 << 20, "bins": 1000}, "embedding": {"b": 4096, "vocab": 32000, "e": 1024},
    **{name: {"rows": 1024, "max_len": 256, "d": 1024}
       for name in ("jagged_mean", "jagged_softmax", "jagged_layer_norm", "segment_reduction")},
    "jagged_dense_add": {"rows": 1024, "max_len": 1024, "n": 1024},
    "grouped_gemm": {"groups": 16, "max_m": 1024, "k": 1024, "n": 1024},
    "moe_matmul": {"experts": 16, "max_t": 1024, "k": 1024, "n": 1024},
}


def sizes_for(case, shape_set: str) -> dict:
    values = SHAPE_SETS[shape_set]
    caps = GPU_CAPS.get(case.name, {})
    out = {}
    for i, name in enumerate(case.sizes):
        if name in case.choices:
            out[name] = case.choices[name][-1 if shape_set == "large" else 0]
        else:
            out[name] = min(values[i % len(values)], caps.get(name, 1 << 30))
    return out
