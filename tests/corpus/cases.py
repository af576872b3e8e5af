"""The kernel corpus as data: for every example kernel, how to make its inputs and what torch says.

One table serves the CPU tests (tests/corpus), the shape fuzzing of the gauntlet
(tests/gauntlet) and the GPU sweep (benchmarks/gpu_corpus_check.py). A case names
its free sizes; `make(sizes, dtype, layout, gen)` builds the arguments (floating
inputs in `dtype`, laid out as `layout` says), `reference(*args)` computes the
expected result in float64 (cast to the kernel's output dtype by the checker).

Known interpreter limits, which set `cpu_dtypes`: the Triton CPU interpreter (3.9)
computes bf16 arithmetic wrongly (`x + 1.0`, `x + y`, `max(x, 0)` on bf16 blocks
give garbage; loads, stores and casts are right), and its bf16 `tl.dot` is wrong
too. So on the CPU bf16 is checked only for kernels that move bf16 data or
compute in fp32; the GPU sweep checks every dtype.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import torch

F32, F16, BF16 = torch.float32, torch.float16, torch.bfloat16
FLOATS = (F32, F16, BF16)
LAYOUTS = ("contiguous", "transposed", "sliced", "offset")


def lay(t: torch.Tensor, layout: str) -> torch.Tensor:
    """The same values as `t`, in a non-contiguous layout (strides are kernel arguments: no copies)."""
    if layout == "contiguous" or t.dim() == 0 or t.numel() == 0:
        return t
    if layout == "transposed" and t.dim() >= 2:
        return t.transpose(-1, -2).contiguous().transpose(-1, -2)
    if layout in ("transposed", "sliced"):  # every other element of the last dim
        big = torch.zeros(*t.shape[:-1], 2 * t.shape[-1] + 1, dtype=t.dtype, device=t.device)
        big[..., 1::2] = t
        return big[..., 1::2]
    if layout == "offset":  # a view that starts 7 elements into its storage
        flat = torch.zeros(t.numel() + 7, dtype=t.dtype, device=t.device)
        flat[7:] = t.reshape(-1)
        return flat[7:].view(t.shape)
    raise ValueError(layout)


def randn(shape, dtype, layout, gen, device="cpu", scale=1.0) -> torch.Tensor:
    t = (torch.randn(*shape, generator=gen) * scale).to(dtype=dtype, device=device)
    return lay(t, layout)


def _f64(args):
    return [a.double() if isinstance(a, torch.Tensor) and a.is_floating_point() else a for a in args]


@dataclass(frozen=True)
class Case:
    """One corpus kernel: examples/<module>.py defines `name`."""

    name: str
    module: str
    sizes: tuple[str, ...]  # the free sizes, e.g. ("m", "n")
    make: Callable  # (sizes: dict, dtype, layout, gen, device) -> tuple of arguments
    reference: Callable  # (*float64 args) -> expected tensor (any float dtype)
    dtypes: tuple = FLOATS  # what the GPU sweep checks
    cpu_dtypes: tuple = (F32, F16, BF16)  # what the CPU checks (see the module docstring)
    choices: dict = field(default_factory=dict)  # sizes drawn from a fixed set, e.g. {"d": (16, 32, 64)}
    caps: dict = field(default_factory=dict)  # CPU upper bound per size (default 1100)
    work: Callable = math.prod  # cost of one CPU run in element-steps, from the size values in order
    terms: Callable = lambda s: 1  # how many values are summed into one output (scales the tolerance)
    out: Callable = lambda args, got: got  # which output to compare (for in-place kernels)
    tf32: bool = False  # fp32 products go through tl.dot, which on a GPU multiplies in TF32 (as Helion's default)
    call: Callable | None = None  # how to call the kernel with the made arguments (default: kernel(*args))
    base_tol: tuple | None = None  # (atol, rtol) before growth, where the output's dtype is not `dtype`'s

    def tolerance(self, dtype: torch.dtype, sizes: dict, device: str = "cpu") -> dict:
        growth = math.sqrt(max(1, self.terms(sizes)))
        base = self.base_tol or {F32: (1e-5, 1e-4), F16: (2e-3, 1e-2), BF16: (1.6e-2, 2e-2)}[dtype]
        if self.tf32 and dtype == F32 and device != "cpu":
            base = (5e-3, 1e-2)  # TF32 keeps 10 mantissa bits: ~1e-3 relative error per product
        return dict(atol=base[0] * growth, rtol=base[1])

    def expected(self, args) -> torch.Tensor:
        return self.reference(*_f64(args))


def _size_terms(name):
    return lambda s: s[name]


def _softmax_ref(x):
    return torch.softmax(x, dim=1)


def _segment_lengths(count: int, longest: int, gen) -> torch.Tensor:
    """`count` segment lengths in 0..longest, with an empty one, one of length 1 and one of `longest` among them
    (where there are that many), in random places."""
    lengths = torch.randint(0, longest + 1, (count,), generator=gen)
    lengths[: min(count, 3)] = torch.tensor([longest, 0, 1])[: min(count, 3)]
    return lengths[torch.randperm(count, generator=gen)]


def _offsets(lengths: torch.Tensor, device) -> torch.Tensor:
    return torch.cat([torch.zeros(1, dtype=torch.int64), lengths.cumsum(0)]).to(device)


def _jagged(s, dtype, layout, gen, device="cpu"):
    offsets = _offsets(_segment_lengths(s["rows"], s["max_len"], gen), device)
    return randn((int(offsets[-1]), s["d"]), dtype, layout, gen, device), offsets


def _segments(values, offsets):
    return [values[offsets[b]:offsets[b + 1]] for b in range(offsets.numel() - 1)]


def _per_segment(fn):
    """A reference that stacks fn(segment) (a row per segment, [0, d] when there are none)."""
    def ref(values, offsets, *rest):
        rows = [fn(seg, *rest) for seg in _segments(values, offsets)]
        return torch.stack(rows) if rows else values.new_zeros(0, values.size(1))
    return ref


def _in_place(fn):
    """A reference whose result has the values' layout: fn(segment) concatenated."""
    def ref(values, offsets, *rest):
        parts = [fn(seg, *rest) for seg in _segments(values, offsets)]
        return torch.cat(parts, 0) if parts else values.clone()
    return ref


def _mean_or_zero(seg):
    return seg.mean(0) if seg.size(0) else seg.new_zeros(seg.size(1))


def _jagged_dense(s, dtype, layout, gen, device="cpu"):
    offsets = _offsets(_segment_lengths(s["rows"], s["max_len"], gen), device)
    return (randn((int(offsets[-1]),), dtype, layout, gen, device), offsets,
            randn((s["rows"], s["n"]), dtype, layout, gen, device))


def _jagged_dense_ref(x_values, x_offsets, y):
    out = y.clone()
    for b, seg in enumerate(_segments(x_values, x_offsets)):
        out[b, : min(seg.numel(), y.size(1))] += seg[: y.size(1)]
    return out


def _grouped(s, dtype, layout, gen, device="cpu"):
    offsets = _offsets(_segment_lengths(s["groups"], s["max_m"], gen), device)
    return (randn((int(offsets[-1]), s["k"]), dtype, layout, gen, device),
            randn((s["k"], s["n"]), dtype, layout, gen, device), offsets)


def _grouped_ref(a, b, offsets):
    return torch.cat([seg @ b for seg in _segments(a, offsets)] or [a.new_zeros(0, b.size(1))], 0)


def _moe(s, dtype, layout, gen, device="cpu"):
    counts = _segment_lengths(s["experts"], s["max_t"], gen)
    return (randn((int(counts.sum()), s["k"]), dtype, layout, gen, device),
            randn((s["experts"], s["k"], s["n"]), dtype, layout, gen, device, scale=0.125), counts.to(device))


def _moe_ref(x, w, counts):
    parts = [seg @ w[e] for e, seg in enumerate(_segments(x, _offsets(counts.cpu(), x.device)))]
    return torch.cat(parts or [x.new_zeros(0, w.size(2))], 0)


def _jagged_work(values) -> int:
    """rows * max_len * d, doubled: each jagged kernel runs its masked loop over the longest segment."""
    return 2 * math.prod(values)


def _histogram(s, dtype, layout, gen, device="cpu"):
    values = lay(torch.randint(0, s["bins"], (s["n"],), generator=gen).to(device), layout)
    return values, torch.zeros(s["bins"], dtype=dtype, device=device)


def _attention_inputs(s, dtype, layout, gen, device="cpu", causal=False):
    n = s["m"] if causal else s["n"]
    q = randn((s["bh"], s["m"], s["d"]), dtype, layout, gen, device)
    k = randn((s["bh"], n, s["d"]), dtype, layout, gen, device)
    v = randn((s["bh"], n, s["d"]), dtype, layout, gen, device)
    return q, k, v


def _sdpa(causal):
    return lambda q, k, v: torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal)


def _polyval_ref(coeffs, x):
    return sum(coeffs[i] * x ** i for i in range(5))


def _dot_work(values) -> int:
    """A product's multiply-adds, discounted: the interpreter runs a tl.dot as one numpy matmul."""
    return math.prod(values) // 64


MATMUL_DTYPES = (F32, F16)  # CPU: the interpreter's bf16 tl.dot is wrong

CASES: list[Case] = [
    # ---- the skeleton's examples
    Case("add", "add", ("m", "n"), lambda s, dt, l, g, d="cpu": (randn((s["m"], s["n"]), dt, l, g, d),
                                                                 randn((s["m"], s["n"]), dt, l, g, d)),
         lambda x, y: x + y, cpu_dtypes=(F32, F16)),
    Case("softmax", "softmax", ("m", "n"), lambda s, dt, l, g, d="cpu": (randn((s["m"], s["n"]), dt, l, g, d),),
         _softmax_ref, cpu_dtypes=(F32, F16)),
    Case("softmax_decomposed", "softmax", ("m", "n"),
         lambda s, dt, l, g, d="cpu": (randn((s["m"], s["n"]), dt, l, g, d),), _softmax_ref, cpu_dtypes=(F32, F16)),
    Case("row_sum", "row_sum", ("m", "n"), lambda s, dt, l, g, d="cpu": (randn((s["m"], s["n"]), dt, l, g, d),),
         lambda x: x.sum(-1), cpu_dtypes=(F32, F16), terms=_size_terms("n")),
    Case("long_sum", "long_sum", ("m", "n"), lambda s, dt, l, g, d="cpu": (randn((s["m"], s["n"]), dt, l, g, d),),
         lambda x: x.sum(-1), terms=_size_terms("n")),
    # ---- the reductions family
    Case("log_softmax", "log_softmax", ("m", "n"), lambda s, dt, l, g, d="cpu": (randn((s["m"], s["n"]), dt, l, g, d),),
         lambda x: torch.log_softmax(x, dim=1), terms=_size_terms("n")),
    Case("mean_rows", "mean_rows", ("m", "n"), lambda s, dt, l, g, d="cpu": (randn((s["m"], s["n"]), dt, l, g, d),),
         lambda x: x.mean(1)),
    Case("welford_var", "welford_var", ("m", "n"), lambda s, dt, l, g, d="cpu": (randn((s["m"], s["n"]), dt, l, g, d),),
         lambda x: x.var(1)),
    Case("argmax_rows", "argmax_rows", ("m", "n"), lambda s, dt, l, g, d="cpu": (randn((s["m"], s["n"]), dt, l, g, d),),
         lambda x: x.argmax(1), dtypes=(F32,), cpu_dtypes=(F32,)),  # fp16 values tie, and ties may break either way
    Case("layer_norm", "layer_norm", ("m", "n"),
         lambda s, dt, l, g, d="cpu": (randn((s["m"], s["n"]), dt, l, g, d), randn((s["n"],), dt, "contiguous", g, d),
                                       randn((s["n"],), dt, "contiguous", g, d), 1e-5),
         lambda x, w, b, eps: torch.nn.functional.layer_norm(x, (x.size(1),), w, b, eps),
         # a row of nearly equal values (short rows) has var ~ eps: x - mean's fp32 rounding is divided by ~sqrt(eps)
         terms=lambda s: 16),
    Case("rms_norm", "rms_norm", ("m", "n"),
         lambda s, dt, l, g, d="cpu": (randn((s["m"], s["n"]), dt, l, g, d), randn((s["n"],), dt, "contiguous", g, d),
                                       1e-5),
         lambda x, w, eps: x * torch.rsqrt((x * x).mean(1, keepdim=True) + eps) * w),
    Case("cross_entropy", "cross_entropy", ("m", "v"),
         lambda s, dt, l, g, d="cpu": (randn((s["m"], s["v"]), dt, l, g, d),
                                       torch.randint(0, s["v"], (s["m"],), generator=g).to(d)),
         lambda logits, labels: torch.nn.functional.cross_entropy(logits, labels), terms=_size_terms("m")),
    # ---- elementwise
    Case("exp", "exp", ("m", "n"), lambda s, dt, l, g, d="cpu": (randn((s["m"], s["n"]), dt, l, g, d),), torch.exp),
    Case("relu", "relu", ("m", "n"), lambda s, dt, l, g, d="cpu": (randn((s["m"], s["n"]), dt, l, g, d),),
         torch.relu, cpu_dtypes=(F32, F16)),
    Case("silu", "silu", ("n",), lambda s, dt, l, g, d="cpu": (randn((s["n"],), dt, l, g, d),),
         torch.nn.functional.silu),
    Case("gelu", "gelu", ("m", "n"), lambda s, dt, l, g, d="cpu": (randn((s["m"], s["n"]), dt, l, g, d),),
         torch.nn.functional.gelu),
    Case("swiglu", "swiglu", ("m", "n"), lambda s, dt, l, g, d="cpu": (randn((s["m"], s["n"]), dt, l, g, d),
                                                                       randn((s["m"], s["n"]), dt, l, g, d)),
         lambda a, b: torch.nn.functional.silu(a) * b),
    Case("geglu", "geglu", ("m", "n"), lambda s, dt, l, g, d="cpu": (randn((s["m"], s["n"]), dt, l, g, d),
                                                                     randn((s["m"], s["n"]), dt, l, g, d)),
         lambda a, b: torch.nn.functional.gelu(a, approximate="tanh") * b),
    Case("residual_add", "residual_add", ("m", "n"),
         lambda s, dt, l, g, d="cpu": (randn((s["m"], s["n"]), dt, l, g, d), randn((s["m"], s["n"]), dt, l, g, d),
                                       randn((s["n"],), dt, l, g, d)),
         lambda x, r, b: x + r + b),
    Case("polyval", "polyval", ("n",), lambda s, dt, l, g, d="cpu": (randn((5,), dt, "contiguous", g, d, 0.5),
                                                                     randn((s["n"],), dt, l, g, d)),
         _polyval_ref),
    # ---- data movement: views, gathers, scatters
    Case("transpose", "transpose", ("m", "n"), lambda s, dt, l, g, d="cpu": (randn((s["m"], s["n"]), dt, l, g, d),),
         lambda x: x.t()),
    Case("concat_dim0", "concat_dim0", ("m1", "m2", "n"),
         lambda s, dt, l, g, d="cpu": (randn((s["m1"], s["n"]), dt, l, g, d), randn((s["m2"], s["n"]), dt, l, g, d)),
         lambda x, y: torch.cat([x, y], 0), work=lambda v: (v[0] + v[1]) * v[2]),
    Case("concat_dim1", "concat_dim1", ("m", "n1", "n2"),
         lambda s, dt, l, g, d="cpu": (randn((s["m"], s["n1"]), dt, l, g, d), randn((s["m"], s["n2"]), dt, l, g, d)),
         lambda x, y: torch.cat([x, y], 1), work=lambda v: v[0] * (v[1] + v[2])),
    Case("embedding", "embedding", ("b", "vocab", "e"),
         lambda s, dt, l, g, d="cpu": (lay(torch.randint(0, s["vocab"], (s["b"],), generator=g).to(d), l),
                                       randn((s["vocab"], s["e"]), dt, l, g, d)),
         lambda ids, w: torch.nn.functional.embedding(ids, w), work=lambda v: (v[0] + v[1]) * v[2]),
    # ---- jagged layouts and data-dependent loops (each draw holds an empty segment, one of length 1, a long one)
    Case("jagged_sum", "jagged_sum", ("rows", "max_len", "d"), _jagged, _per_segment(lambda seg: seg.sum(0)),
         caps={"rows": 200, "max_len": 64}, terms=_size_terms("max_len"), work=_jagged_work),
    Case("jagged_mean", "jagged_mean", ("rows", "max_len", "d"), _jagged, _per_segment(_mean_or_zero),
         caps={"rows": 200, "max_len": 64}, work=_jagged_work),
    Case("jagged_softmax", "jagged_softmax", ("rows", "max_len", "d"), _jagged,
         _in_place(lambda seg: torch.softmax(seg, 0)), caps={"rows": 200, "max_len": 64}, work=_jagged_work),
    Case("jagged_layer_norm", "jagged_layer_norm", ("rows", "max_len", "d"),
         lambda s, dt, l, g, d="cpu": (*_jagged(s, dt, l, g, d), 1e-5),
         _in_place(lambda seg, eps: torch.nn.functional.layer_norm(seg, seg.shape, eps=eps)),
         caps={"rows": 100, "max_len": 64}, work=lambda v: 3 * _jagged_work(v), terms=lambda s: 16),
    Case("jagged_dense_add", "jagged_dense_add", ("rows", "max_len", "n"), _jagged_dense, _jagged_dense_ref,
         cpu_dtypes=(F32, F16), caps={"rows": 200, "max_len": 200}, work=lambda v: v[0] * v[2]),
    Case("segment_reduction", "segment_reduction", ("rows", "max_len", "d"), _jagged,
         _per_segment(lambda seg: seg.sum(0)), caps={"rows": 100, "max_len": 300}, terms=_size_terms("max_len"),
         work=_jagged_work),
    Case("grouped_gemm", "grouped_gemm", ("groups", "max_m", "k", "n"), _grouped, _grouped_ref,
         cpu_dtypes=MATMUL_DTYPES, caps={"groups": 12, "max_m": 200, "k": 200, "n": 200}, work=_dot_work,
         terms=_size_terms("k")),
    Case("moe_matmul", "moe_matmul", ("experts", "max_t", "k", "n"), _moe, _moe_ref,
         cpu_dtypes=MATMUL_DTYPES, caps={"experts": 12, "max_t": 200, "k": 200, "n": 200}, work=_dot_work,
         terms=_size_terms("k")),
    Case("histogram", "histogram", ("n", "bins"), _histogram, lambda v, c: torch.bincount(v, minlength=c.numel()).to(c),
         dtypes=(F32,), cpu_dtypes=(F32,), work=lambda v: v[0], out=lambda args, got: got),
    # ---- contractions
    Case("matmul", "matmul", ("m", "k", "n"),
         lambda s, dt, l, g, d="cpu": (randn((s["m"], s["k"]), dt, l, g, d), randn((s["k"], s["n"]), dt, l, g, d)),
         torch.matmul, cpu_dtypes=MATMUL_DTYPES, caps={"m": 300, "k": 300, "n": 300}, work=_dot_work,
         terms=_size_terms("k")),
    Case("bmm", "bmm", ("b", "m", "k", "n"),
         lambda s, dt, l, g, d="cpu": (randn((s["b"], s["m"], s["k"]), dt, l, g, d),
                                       randn((s["b"], s["k"], s["n"]), dt, l, g, d)),
         torch.bmm, cpu_dtypes=MATMUL_DTYPES, caps={"b": 4, "m": 200, "k": 200, "n": 200}, work=_dot_work,
         terms=_size_terms("k")),
    Case("matmul_bias_relu", "matmul_bias_relu", ("m", "k", "n"),
         lambda s, dt, l, g, d="cpu": (randn((s["m"], s["k"]), dt, l, g, d), randn((s["k"], s["n"]), dt, l, g, d),
                                       randn((s["n"],), dt, l, g, d)),
         lambda x, w, b: torch.relu(x @ w + b), cpu_dtypes=MATMUL_DTYPES, caps={"m": 300, "k": 300, "n": 300},
         work=_dot_work, terms=_size_terms("k")),
    Case("linear_gelu", "linear_gelu", ("m", "k", "n"),
         lambda s, dt, l, g, d="cpu": (randn((s["m"], s["k"]), dt, l, g, d), randn((s["k"], s["n"]), dt, l, g, d),
                                       randn((s["n"],), dt, l, g, d)),
         lambda x, w, b: torch.nn.functional.gelu(x @ w + b), cpu_dtypes=MATMUL_DTYPES,
         caps={"m": 300, "k": 300, "n": 300}, work=_dot_work, terms=_size_terms("k")),
    Case("attention", "attention", ("bh", "m", "n", "d"), _attention_inputs, _sdpa(False),
         cpu_dtypes=MATMUL_DTYPES, choices={"d": (16, 32, 64)}, caps={"bh": 4, "m": 160, "n": 160},
         work=_dot_work, terms=_size_terms("n")),
    Case("causal_attention", "causal_attention", ("bh", "m", "d"),
         lambda s, dt, l, g, d="cpu": _attention_inputs(s, dt, l, g, d, causal=True), _sdpa(True),
         cpu_dtypes=MATMUL_DTYPES, choices={"d": (16, 32, 64)}, caps={"bh": 4, "m": 160},
         work=lambda v: _dot_work([v[0], v[1], v[1], v[2]]), terms=_size_terms("m")),
]

def _epilogue_call(kernel, x, y, bias):
    return kernel(x, y, lambda acc, tile: torch.relu(acc + bias[tile[1]]))


def _fp8(s, dtype, layout, gen, device="cpu"):
    a = randn((s["m"], s["k"]), F32, "contiguous", gen, device).to(torch.float8_e4m3fn)
    b = randn((s["k"], s["n"]), F32, "contiguous", gen, device).to(torch.float8_e4m3fn)
    if layout != "contiguous":  # column-major b, as torch._scaled_mm takes it
        b = b.t().contiguous().t()
    return a, b, torch.tensor([0.5], device=device), torch.tensor([0.25], device=device)


def _kl_inputs(s, dtype, layout, gen, device="cpu", log_target=False):
    x = torch.log_softmax(randn((s["b"], s["c"]), F32, "contiguous", gen, device), -1).to(dtype)
    t = torch.softmax(randn((s["b"], s["c"]), F32, "contiguous", gen, device), -1)
    return lay(x, layout), lay((t.log() if log_target else t).to(dtype), layout), log_target


def _kl_ref(x, t, log_target):
    return torch.nn.functional.kl_div(x, t, reduction="batchmean", log_target=log_target)


def _rope_inputs(s, dtype, layout, gen, device="cpu"):
    angles = torch.randn(s["t"], s["head"] // 2, generator=gen).to(device)
    return randn((s["t"], s["head"]), dtype, layout, gen, device), angles.cos(), angles.sin()


def _rope_ref(x, cos, sin):
    xe, xo = x[:, 0::2], x[:, 1::2]
    return torch.stack([xe * cos - xo * sin, xe * sin + xo * cos], -1).reshape(x.shape)


CASES += [
    # ---- the Helion surface: arguments, dtypes, fp8, slices, scans, split/join, epilogues
    Case("rope", "rope", ("t", "head"), _rope_inputs, _rope_ref, choices={"head": (16, 64, 128)},
         caps={"t": 600}, cpu_dtypes=(F32, F16, BF16)),
    Case("cumsum", "cumsum", ("m", "n"), lambda s, dt, l, g, d="cpu": (randn((s["m"], s["n"]), dt, l, g, d),),
         lambda x: torch.cumsum(x, 1), terms=_size_terms("n"), caps={"n": 1100}),
    # hl.reduce / hl.associative_scan with the user's combine function (`tl.reduce` / `tl.associative_scan`)
    Case("row_argmax_combine", "reduce_scan", ("m", "n"),
         lambda s, dt, l, g, d="cpu": (randn((s["m"], s["n"]), dt, l, g, d),), lambda x: x.argmax(1)),
    Case("suffix_max", "reduce_scan", ("m", "n"), lambda s, dt, l, g, d="cpu": (randn((s["m"], s["n"]), dt, l, g, d),),
         lambda x: torch.flip(torch.cummax(torch.flip(x, [1]), 1).values, [1]), caps={"n": 1100},
         cpu_dtypes=(F32, F16)),  # the interpreter's bf16 maximum is wrong (see the module docstring)
    Case("matmul_epilogue", "matmul_epilogue", ("m", "k", "n"),
         lambda s, dt, l, g, d="cpu": (randn((s["m"], s["k"]), dt, l, g, d), randn((s["k"], s["n"]), dt, l, g, d),
                                       randn((s["n"],), dt, "contiguous", g, d)),
         lambda x, y, bias: torch.relu(x @ y + bias), call=_epilogue_call, cpu_dtypes=MATMUL_DTYPES,
         caps={"m": 300, "k": 300, "n": 300}, work=_dot_work, terms=_size_terms("k"), tf32=True),
    Case("concat_slices", "concat_slices", ("m", "n1", "n2"),
         lambda s, dt, l, g, d="cpu": (randn((s["m"], s["n1"]), dt, l, g, d), randn((s["m"], s["n2"]), dt, l, g, d)),
         lambda x, y: torch.cat([x, y], 1), work=lambda v: v[0] * (v[1] + v[2])),
    Case("layer_norm_optional", "layer_norm_optional", ("m", "n"),
         lambda s, dt, l, g, d="cpu": (randn((s["m"], s["n"]), dt, l, g, d), randn((s["n"],), dt, "contiguous", g, d),
                                       randn((s["n"],), dt, "contiguous", g, d)),
         lambda x, w, b: torch.nn.functional.layer_norm(x, (x.size(1),), w, b, 1e-5), terms=lambda s: 16),
    Case("layer_norm_no_affine", "layer_norm_optional", ("m", "n"),
         lambda s, dt, l, g, d="cpu": (randn((s["m"], s["n"]), dt, l, g, d),),
         lambda x: torch.nn.functional.layer_norm(x, (x.size(1),), None, None, 1e-5), terms=lambda s: 16,
         call=lambda k, x: k(x, None, None)),
    Case("kl_div", "kl_div", ("b", "c"), _kl_inputs, _kl_ref, terms=lambda s: s["b"] * s["c"],
         cpu_dtypes=(F32, F16)),
    Case("kl_div_log_target", "kl_div", ("b", "c"),
         lambda s, dt, l, g, d="cpu": _kl_inputs(s, dt, l, g, d, log_target=True), _kl_ref,
         terms=lambda s: s["b"] * s["c"], cpu_dtypes=(F32, F16)),
    Case("fp8_gemm", "fp8_gemm", ("m", "k", "n"), _fp8,
         lambda a, b, sa, sb: (a.double() @ b.double() * (sa * sb)).to(torch.bfloat16),
         dtypes=(F32,), cpu_dtypes=(F32,), caps={"m": 300, "k": 300, "n": 300}, work=_dot_work,
         base_tol=(2e-3, 1.6e-2), terms=_size_terms("k")),
]

# fp32 products of these kernels run through tl.dot (TF32 on a GPU)
_TF32 = {"matmul", "bmm", "matmul_bias_relu", "linear_gelu", "attention", "causal_attention", "grouped_gemm",
         "moe_matmul"}
CASES = [replace(c, tf32=True) if c.name in _TF32 else c for c in CASES]
BY_NAME = {c.name: c for c in CASES}
