"""Named shape sets for ``kopt bench``.

Row-wise kernels (softmax, norms, cross entropy) use ``(M, N)``: M rows reduced over the last
dimension N. Matmul uses ``(M, N, K)``: ``[M, K] @ [K, N]``. Attention uses ``(BH, S, D)``: batch*heads,
sequence length (queries and keys), head dim.
"""

from __future__ import annotations

# tritonbench's softmax sweep: M = 4096, N = 128 * i for i in 2..99 (98 shapes).
_TRITONBENCH = [(4096, 128 * i) for i in range(2, 100)]

# 15 of those, evenly spaced in steps of 7 (i = 2, 9, ..., 93) plus the last one (i = 99):
# N = 256 ... 12672, the subset the anchor figures were measured on.
_TRITONBENCH15 = [(4096, 128 * i) for i in list(range(2, 99, 7)) + [99]]

# QuACK's long-row sweep; 16K x 131K and 8K x 262K keep the tensor at 2^31 elements.
_LONGROWS_SWEEP = [(32768, 1 << k) for k in range(8, 17)] + [(16384, 131072), (8192, 262144)]
# the long rows the row-kernel issue is judged on (N >= 32K)
_LONGROWS = [(32768, 32768), (32768, 65536), (16384, 131072), (8192, 262144)]

_NORM = [(4096, n) for n in (512, 1024, 2048, 4096, 8192, 16384)]

# QuACK's norm sweep, M = 8192 (the first, 8192 x 1024, is launch-bound on an H200: a few us of kernel)
_NORM8K = [(8192, 1024 << k) for k in range(6)]

# Vocabulary-sized rows for cross entropy (GPT-2, Llama-2, Llama-3 vocabularies among them).
_VOCAB_SWEEP = [(4096, n) for n in (4096, 8192, 16384, 32000, 50257, 128256)]
# the vocabularies the row-kernel issue is judged on (4096 x 4K, 32K, 64K, 128K)
_VOCAB = [(4096, n) for n in (4096, 32768, 65536, 131072)]

_MATMUL = [(s, s, s) for s in (512, 1024, 2048, 4096, 8192)] + [(4096, 4096, 1024), (8192, 1024, 4096)]

# The matmul shapes the dot-kernel issue (17) is judged on, as (M, N, K): square; tall-skinny (M 16384, K 1024,
# N 4096); small M*N with large K (1024 x 1024, K 16384); odd sizes (M 4097, K 4095, N 1023); and an LLM's
# projections of a 4096-wide model (Llama-3-8B: MLP 14336) for M = 16, 128, 2048 tokens.
_MATMUL_MIX = ([(s, s, s) for s in (2048, 4096, 8192)] + [(16384, 4096, 1024), (1024, 1024, 16384), (4097, 1023, 4095)]
               + [(m, n, k) for m in (16, 128, 2048) for n, k in ((4096, 4096), (14336, 4096), (4096, 14336))])

# Attention as (batch*heads, seq, head dim): seq 1024, 4096, 8192 x head dim 64, 128, 32 batch*heads
_ATTENTION = [(32, s, d) for s in (1024, 4096, 8192) for d in (64, 128)]

# Tiny, awkward shapes for CPU smoke tests (the Triton interpreter and eager torch are slow).
_SMALL = [(7, 33), (16, 128), (3, 257)]
_SMALL_MATMUL = [(16, 16, 16), (33, 17, 40)]
_SMALL_ATTENTION = [(2, 33, 16), (3, 64, 32)]

SHAPE_SETS: dict[str, list[tuple[int, ...]]] = {
    "tritonbench": _TRITONBENCH,
    "tritonbench15": _TRITONBENCH15,
    "longrows": _LONGROWS,
    "longrows_sweep": _LONGROWS_SWEEP,
    "norm": _NORM,
    "norm8k": _NORM8K,
    "vocab": _VOCAB,
    "vocab_sweep": _VOCAB_SWEEP,
    "matmul": _MATMUL,
    "matmul_mix": _MATMUL_MIX,
    "attention": _ATTENTION,
    "small": _SMALL,
    "small_matmul": _SMALL_MATMUL,
    "small_attention": _SMALL_ATTENTION,
}

_THREE_D = {"matmul": "small_matmul", "attention": "small_attention", "causal_attention": "small_attention"}

# Default set per kernel when ``--shapes`` is not given.
DEFAULT_SET = {
    "softmax": "tritonbench15",
    "layer_norm": "norm",
    "rms_norm": "norm",
    "cross_entropy": "vocab",
    "matmul": "matmul",
    "attention": "attention",
    "causal_attention": "attention",
}


def get_shapes(name: str, kernel: str | None = None) -> list[tuple[int, ...]]:
    """Return the shapes of set ``name``; ``small`` maps to the 3-D shapes of matmul and attention kernels.

    Raises ``KeyError`` with the known names when ``name`` is unknown, and ``ValueError`` when
    the set's rank does not fit the kernel (2-D sets for row kernels, 3-D for matmul and attention).
    """
    if name == "small" and kernel in _THREE_D:
        name = _THREE_D[kernel]
    if name not in SHAPE_SETS:
        raise KeyError(f"unknown shape set {name!r}; known: {', '.join(sorted(SHAPE_SETS))}")
    shapes = list(SHAPE_SETS[name])
    if kernel is not None:
        want = 3 if kernel in _THREE_D else 2
        if len(shapes[0]) != want:
            raise ValueError(f"shape set {name!r} has {len(shapes[0])}-D shapes; {kernel} needs {want}-D")
    return shapes


def default_shape_set(kernel: str) -> str:
    """Name of the shape set ``kopt bench KERNEL`` uses when none is given."""
    return DEFAULT_SET[kernel]
