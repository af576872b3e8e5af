"""Peer implementations kopt is compared with.

A *factory* takes a kernel's input tuple (see ``specs``) and returns a zero-argument callable
that computes the result; it raises ``Unavailable`` (with the reason) when the peer cannot run
here, e.g. a package is missing. The harness treats every other exception as a failure.
Factories do their set-up (imports, weight conversion) outside the returned callable, so that
only the kernel is timed.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Callable

import torch

from . import specs

Factory = Callable[[tuple], Callable[[], torch.Tensor]]

PEER_NAMES = ("torch", "compile", "triton", "quack", "helion", "naive")


class Unavailable(Exception):
    """The implementation cannot run in this environment; the message says why."""


def _import(name: str, hint: str):
    try:
        return importlib.import_module(name)
    except Exception as exc:  # ImportError, or a broken install raising anything else
        raise Unavailable(f"{name} not importable ({type(exc).__name__}: {exc}); {hint}") from None


def _need_cuda(inputs: tuple, who: str) -> None:
    if not inputs[0].is_cuda:
        raise Unavailable(f"{who} needs CUDA tensors")


# ------------------------------------------------------------------------ eager, compile
def _eager(kernel: str) -> Factory:
    fn = specs.get_spec(kernel).eager
    return lambda inputs: (lambda: fn(*inputs))


def _raise_dynamo_limits() -> None:
    # Every shape is a recompile of the same code object; past the default limit of 8 dynamo
    # silently falls back to eager and the "compile" column would measure eager.
    import torch._dynamo  # not always loaded before the first torch.compile

    cfg = torch._dynamo.config
    for name in ("recompile_limit", "cache_size_limit"):
        if hasattr(cfg, name):
            setattr(cfg, name, max(getattr(cfg, name), 1024))
    for name in ("accumulated_recompile_limit", "accumulated_cache_size_limit"):
        if hasattr(cfg, name):
            setattr(cfg, name, max(getattr(cfg, name), 8192))


def _compiled(kernel: str) -> Factory:
    def factory(inputs):
        _raise_dynamo_limits()
        fn = torch.compile(specs.get_spec(kernel).eager, dynamic=False)
        return lambda: fn(*inputs)
    return factory


# torch.compile(mode="max-autotune-no-cudagraphs") tunes every matmul shape for minutes: it is timed on three
# shapes of matmul_mix, as (M, N, K) (issue 17): square, small M*N with a long K, a decode-sized M
MAX_AUTOTUNE_MATMUL = ((4096, 4096, 4096), (1024, 1024, 16384), (128, 4096, 4096))


def _compiled_max_autotune_matmul(inputs):
    a, b = inputs
    shape = (a.shape[0], b.shape[1], a.shape[1])
    if shape not in MAX_AUTOTUNE_MATMUL:
        raise Unavailable("torch.compile max-autotune tunes each shape for minutes: timed on "
                          + ", ".join("x".join(map(str, s)) for s in MAX_AUTOTUNE_MATMUL) + " only")
    _raise_dynamo_limits()
    fn = torch.compile(specs.get_spec("matmul").eager, dynamic=False, mode="max-autotune-no-cudagraphs")
    return lambda: fn(a, b)


# --------------------------------------------------------------------------------- naive
def _naive_softmax(x):
    e = (x - x.amax(-1, keepdim=True)).exp()
    return e / e.sum(-1, keepdim=True)


def _naive_layer_norm(x, w, b, eps):
    xc = x - x.mean(-1, keepdim=True)
    return xc * torch.rsqrt(xc.pow(2).mean(-1, keepdim=True) + eps) * w + b


def _naive_rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def _naive_cross_entropy(x, y):
    m = x.amax(-1, keepdim=True)
    lse = (x - m).exp().sum(-1).log() + m.squeeze(-1)
    return (lse - x.gather(1, y[:, None]).squeeze(1)).float().mean()


def _plain(fn) -> Factory:
    return lambda inputs: (lambda: fn(*inputs))


# ------------------------------------------------------------------------- hand-written Triton
def _triton(name: str) -> Factory:
    def factory(inputs):
        # Imported lazily: importing triton fixes interpreter mode for the whole process.
        mod = importlib.import_module(".triton_matmul" if name == "matmul" else ".triton_rows", __package__)
        fn = getattr(mod, name)
        return lambda: fn(*inputs)
    return factory


def _triton_attention(causal: bool) -> Factory:
    def factory(inputs):
        mod = importlib.import_module(".triton_attention", __package__)  # (lazily, as _triton)
        return lambda: mod.attention(*inputs, causal)
    return factory


# ---------------------------------------------------------------------------------- QuACK
_QUACK_HINT = "pip install quack-kernels (needs an H100/B200 and nvidia-cutlass-dsl)"


# Where a QuACK version keeps a function it does not export at the top (0.6.5: layernorm_fwd in quack.rmsnorm,
# the RMSNorm kernel with is_layernorm=True)
_QUACK_ELSEWHERE = {"layernorm": ("rmsnorm", "layernorm_fwd")}


def _quack_fn(attr: str):
    quack = _import("quack", _QUACK_HINT)
    fn = getattr(quack, attr, None)
    if inspect.ismodule(fn):  # some versions export the submodule, not the function
        fn = getattr(fn, attr, None)
    if not callable(fn) and attr in _QUACK_ELSEWHERE:
        module, name = _QUACK_ELSEWHERE[attr]
        try:
            fn = getattr(importlib.import_module(f"quack.{module}"), name, None)
        except ImportError:
            fn = None
    if not callable(fn):
        raise Unavailable(f"quack {getattr(quack, '__version__', '?')} has no {attr}")
    return fn


def _first(out):
    return out[0] if isinstance(out, (tuple, list)) else out


def _quack_softmax(inputs):
    _need_cuda(inputs, "QuACK")
    fn = _quack_fn("softmax")
    (x,) = inputs
    return lambda: fn(x)


def _quack_norm(attr: str, with_bias: bool) -> Factory:
    def factory(inputs):
        _need_cuda(inputs, "QuACK")
        fn = _quack_fn(attr)
        x, w, *rest = inputs
        b, eps = (rest[0], rest[1]) if with_bias else (None, rest[0])
        try:
            params = inspect.signature(fn).parameters
        except (TypeError, ValueError):
            params = {}
        if with_bias and params and "bias" not in params:
            raise Unavailable(f"quack.{attr} takes no bias in this version")
        # Older QuACK insists on fp32 weights, newer ones also take the input dtype: try both.
        errors = []
        for wdt in (torch.float32, x.dtype):
            kw = {"eps": eps} if b is None else {"bias": b.to(wdt), "eps": eps}
            wc = w.to(wdt)
            try:
                _first(fn(x, wc, **kw))
            except Exception as exc:  # noqa: BLE001 - reported if no variant works
                errors.append(f"{type(exc).__name__}: {exc}")
                continue
            return lambda: _first(fn(x, wc, **kw))
        raise RuntimeError("; ".join(errors))
    return factory


def _quack_cross_entropy(inputs):
    _need_cuda(inputs, "QuACK")
    fn = _quack_fn("cross_entropy")
    x, y = inputs

    def call():
        loss = fn(x, y)
        return loss.mean() if loss.dim() else loss  # per-row losses in older versions
    return call


# --------------------------------------------------------------------------------- Helion
def _helion_softmax(inputs):
    _import("helion", "pip install helion")
    from .helion_peer import softmax

    (x,) = inputs
    return lambda: softmax(x)


# ------------------------------------------------------------------------------- registry
_PEERS: dict[str, dict[str, Factory]] = {
    "softmax": {"torch": _eager("softmax"), "compile": _compiled("softmax"), "triton": _triton("softmax"),
                "quack": _quack_softmax, "helion": _helion_softmax, "naive": _plain(_naive_softmax)},
    "layer_norm": {"torch": _eager("layer_norm"), "compile": _compiled("layer_norm"),
                   "triton": _triton("layer_norm"), "quack": _quack_norm("layernorm", True),
                   "naive": _plain(_naive_layer_norm)},
    "rms_norm": {"torch": _eager("rms_norm"), "compile": _compiled("rms_norm"), "triton": _triton("rms_norm"),
                 "quack": _quack_norm("rmsnorm", False), "naive": _plain(_naive_rms_norm)},
    "cross_entropy": {"torch": _eager("cross_entropy"), "compile": _compiled("cross_entropy"),
                      "triton": _triton("cross_entropy"), "quack": _quack_cross_entropy,
                      "naive": _plain(_naive_cross_entropy)},
    "matmul": {"torch": _eager("matmul"), "compile": _compiled_max_autotune_matmul, "triton": _triton("matmul")},
    # torch: scaled_dot_product_attention (flash attention on the GPU); torch.compile would call the same
    "attention": {"torch": _eager("attention"), "triton": _triton_attention(False)},
    "causal_attention": {"torch": _eager("causal_attention"), "triton": _triton_attention(True)},
}


def available_peers(kernel: str) -> tuple[str, ...]:
    """Names of the peers defined for ``kernel`` (whether or not they can run here)."""
    return tuple(_PEERS[specs.get_spec(kernel).name])


def peers_for(kernel: str, names: list[str] | tuple[str, ...] | None = None) -> dict[str, Factory]:
    """Factories of ``kernel``'s peers, all of them or the ``names`` given (in that order).

    A name that exists elsewhere but not for this kernel is skipped; an unknown name is a
    ``ValueError``.
    """
    table = _PEERS[specs.get_spec(kernel).name]
    if names is None:
        return dict(table)
    unknown = [n for n in names if n not in PEER_NAMES]
    if unknown:
        raise ValueError(f"unknown peer(s) {', '.join(unknown)}; known: {', '.join(PEER_NAMES)}")
    return {n: table[n] for n in names if n in table}


def copy_callable(nbytes: int, dtype: torch.dtype, device) -> Callable[[], torch.Tensor]:
    """The bandwidth ceiling: ``y.copy_(x)`` moving ``nbytes`` in total (half read, half written)."""
    elem = torch.empty((), dtype=dtype).element_size()
    numel = max(1, nbytes // (2 * elem))
    src = torch.empty(numel, dtype=dtype, device=device)  # contents do not matter to a copy
    dst = torch.empty_like(src)
    return lambda: dst.copy_(src)
