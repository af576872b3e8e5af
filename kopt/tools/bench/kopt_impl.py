"""kopt's own implementations for ``kopt bench``.

TODO(lead): STUB, the one placeholder of this package. The lead wires kopt's kernels here:
return ``{"kopt": factory}`` (or several variants, e.g. ``"kopt-tuned"``), where
``factory(inputs) -> Callable[[], Tensor]`` receives the kernel's input tuple as documented in
``kopt.tools.bench.specs`` (softmax ``(x,)``, layer_norm ``(x, w, b, eps)``, rms_norm
``(x, w, eps)``, cross_entropy ``(logits, labels)`` returning the mean loss, matmul ``(a, b)``)
and does its compilation either in the factory or on the first call (both are counted as
first-call time). Raise ``kopt.tools.bench.peers.Unavailable`` for a kernel kopt cannot build.
"""

from __future__ import annotations

from typing import Callable


def kopt_impls(kernel: str) -> dict[str, Callable]:
    """kopt implementations of ``kernel`` (name -> factory); empty until the lead wires them."""
    return {}
