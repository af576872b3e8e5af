"""What each benchmarked kernel is: its inputs, its eager definition, and its work.

A kernel's inputs are a tuple passed positionally to every implementation:
``softmax (x,)``, ``layer_norm (x, w, b, eps)``, ``rms_norm (x, w, eps)``,
``cross_entropy (logits, labels)``, ``matmul (a, b)``, ``attention`` / ``causal_attention (q, k, v)``
(each ``[batch*heads, seq, head_dim]``).
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import torch
import torch.nn.functional as F

DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
EPS = 1e-5

# (rtol, atol) against an fp32 reference, atol in units of the reference's mean |value| (softmax
# outputs are ~1/N: a fixed atol would let an all-zero result pass). Low-precision outputs are
# rounded, and eager multi-op formulas round every intermediate, hence bounds near the epsilon.
_TOL = {torch.float32: (1e-4, 1e-4), torch.float16: (1e-2, 1e-2), torch.bfloat16: (4e-2, 4e-2)}
# tl.dot on fp32 inputs uses TF32 (10-bit mantissa) by default, as cuBLAS may with allow_tf32.
_TOL_MATMUL_FP32 = (1e-2, 1e-2)
# bf16 attention: flash attention rounds the probabilities to bf16 before the product with V (SDPA, the Triton
# kernel and kopt all do), an absolute error of ~2^-9 |v| on an output that may cancel to near zero. On an H200 all
# three failed (4e-2, 4e-2) identically, on 2 of 8M elements of causal 32 x 4096 x 64 (0.0021 against 0.0016
# allowed: benchmarks/results/h200_2026-12-02d/causal_attention/), so the absolute part is 1e-1 of the mean |value|.
_TOL_ATTENTION_BF16 = (4e-2, 1e-1)


def dtype_of(name: str | torch.dtype) -> torch.dtype:
    """Map ``fp32``/``fp16``/``bf16`` (or a torch dtype) to the torch dtype."""
    if isinstance(name, torch.dtype):
        return name
    if name not in DTYPES:
        raise ValueError(f"unknown dtype {name!r}; expected one of {', '.join(DTYPES)}")
    return DTYPES[name]


def dtype_name(dtype: torch.dtype) -> str:
    """Short name (``fp32``...) of a torch dtype."""
    return {v: k for k, v in DTYPES.items()}[dtype]


def _rms_norm_eager(x, w, eps):
    if hasattr(F, "rms_norm"):
        return F.rms_norm(x, (x.shape[-1],), w, eps)
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


@dataclasses.dataclass(frozen=True)
class KernelSpec:
    """One benchmarked kernel.

    ``eager`` is the torch definition (also the correctness reference, run in fp32);
    ``work(shape, elem_size)`` is bytes moved (read + written) for memory-bound kernels and
    flops for compute-bound ones (``compute_bound``), where the metric is TFLOP/s, not GB/s.
    """

    name: str
    eager: Callable[..., torch.Tensor]
    make: Callable[[tuple, torch.dtype, torch.device], tuple]
    work: Callable[[tuple, int], float]
    compute_bound: bool = False

    @property
    def unit(self) -> str:
        return "TFLOP/s" if self.compute_bound else "GB/s"

    def inputs(self, shape: tuple, dtype: torch.dtype, device, seed: int = 0) -> tuple:
        """Random inputs of ``shape``; the same for every implementation and run (seeded)."""
        torch.manual_seed(seed)
        return self.make(tuple(shape), dtype, torch.device(device))

    def reference(self, inputs: tuple) -> torch.Tensor:
        """The eager result computed in fp32 (low-precision inputs upcast), as ground truth."""
        up = tuple(t.float() if torch.is_tensor(t) and t.is_floating_point() else t for t in inputs)
        return self.eager(*up).float()

    def tolerance(self, dtype: torch.dtype) -> tuple[float, float]:
        """(rtol, atol) for ``harness.compare``; atol is relative to the mean |reference|."""
        if self.compute_bound and dtype == torch.float32:  # tl.dot (and cuBLAS, SDPA) may use TF32
            return _TOL_MATMUL_FP32
        if self.name.endswith("attention") and dtype == torch.bfloat16:
            return _TOL_ATTENTION_BF16
        return _TOL[dtype]

    def rate(self, shape: tuple, elem_size: int, ms: float) -> float:
        """GB/s (or TFLOP/s when compute bound) of one call that took ``ms`` milliseconds."""
        return self.work(shape, elem_size) / (ms * 1e-3) / (1e12 if self.compute_bound else 1e9)


def _rows(shape, dtype, device):
    return torch.randn(shape, dtype=dtype, device=device)


def _affine(n, dtype, device):
    # Weights near 1 and small biases, as trained norms have; random so a dropped term shows.
    w = (1 + 0.1 * torch.randn(n, device=device)).to(dtype)
    b = (0.1 * torch.randn(n, device=device)).to(dtype)
    return w, b


def _make_layer_norm(shape, dtype, device):
    w, b = _affine(shape[-1], dtype, device)
    return _rows(shape, dtype, device), w, b, EPS


def _make_rms_norm(shape, dtype, device):
    w, _ = _affine(shape[-1], dtype, device)
    return _rows(shape, dtype, device), w, EPS


def _make_cross_entropy(shape, dtype, device):
    m, n = shape
    return _rows(shape, dtype, device), torch.randint(0, n, (m,), device=device)


def _make_matmul(shape, dtype, device):
    m, n, k = shape
    # Scale so that outputs are O(1) whatever K is; absolute tolerances then stay meaningful.
    s = k ** -0.25
    return (torch.randn(m, k, device=device) * s).to(dtype), (torch.randn(k, n, device=device) * s).to(dtype)


def _make_attention(shape, dtype, device):
    bh, seq, d = shape
    return tuple(torch.randn(bh, seq, d, device=device).to(dtype) for _ in range(3))


def _sdpa(causal: bool):
    # as [1, bh, seq, d]: torch 2.11 runs 3-D inputs through its math path (14-25 TFLOP/s on an H200, 2026-12-02),
    # 4-D ones through flash attention
    return lambda q, k, v: F.scaled_dot_product_attention(q[None], k[None], v[None], is_causal=causal)[0]


def _attention_flops(causal: bool):
    # two matmuls of bh x seq x seq x d, 2 flops a multiply-add; causal: half the (query, key) pairs
    return lambda s, e: (2 if causal else 4) * s[0] * s[1] * s[1] * s[2]


SPECS: dict[str, KernelSpec] = {
    "softmax": KernelSpec(
        "softmax", lambda x: torch.softmax(x, dim=-1), lambda s, d, dev: (_rows(s, d, dev),),
        lambda s, e: 2 * s[0] * s[1] * e),
    "layer_norm": KernelSpec(
        "layer_norm", lambda x, w, b, eps: F.layer_norm(x, (x.shape[-1],), w, b, eps), _make_layer_norm,
        lambda s, e: (2 * s[0] * s[1] + 2 * s[1]) * e),
    "rms_norm": KernelSpec(
        "rms_norm", _rms_norm_eager, _make_rms_norm, lambda s, e: (2 * s[0] * s[1] + s[1]) * e),
    "cross_entropy": KernelSpec(
        # Logits read once, int64 labels read; the scalar loss written is negligible.
        "cross_entropy", lambda x, y: F.cross_entropy(x, y), _make_cross_entropy,
        lambda s, e: s[0] * s[1] * e + 8 * s[0]),
    "matmul": KernelSpec(
        "matmul", torch.matmul, _make_matmul, lambda s, e: 2 * s[0] * s[1] * s[2], compute_bound=True),
    "attention": KernelSpec("attention", _sdpa(False), _make_attention, _attention_flops(False), compute_bound=True),
    "causal_attention": KernelSpec("causal_attention", _sdpa(True), _make_attention, _attention_flops(True),
                                   compute_bound=True),
}

KERNELS = tuple(SPECS)


def get_spec(kernel: str) -> KernelSpec:
    """The ``KernelSpec`` of ``kernel``; ``KeyError`` lists the known kernels."""
    if kernel not in SPECS:
        raise KeyError(f"unknown kernel {kernel!r}; known: {', '.join(KERNELS)}")
    return SPECS[kernel]
