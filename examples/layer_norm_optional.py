"""Layer norm with an optional weight and bias, as `torch.nn.functional.layer_norm` takes them.

`weight` and `bias` may be None: `if weight is not None` is decided when the kernel is compiled (None is part
of the cache key), so each combination is a kernel of its own with no branch in it. `eps` has a default.
"""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def layer_norm_optional(x: torch.Tensor, weight: torch.Tensor | None = None, bias: torch.Tensor | None = None,
                        eps: float = 1e-5) -> torch.Tensor:
    m, n = x.size()
    out = torch.empty_like(x)
    for tile_m in hl.tile(m):
        row = x[tile_m, :].to(torch.float32)
        mean = row.mean(-1, keepdim=True)
        centered = row - mean
        y = centered * torch.rsqrt((centered * centered).mean(-1, keepdim=True) + eps)
        if weight is not None:
            y = y * weight[None, :].to(torch.float32)
        if bias is not None:
            y = y + bias[None, :].to(torch.float32)
        out[tile_m, :] = y.to(out.dtype)
    return out


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    x, w, b = torch.randn(33, 129, device=device), torch.randn(129, device=device), torch.randn(129, device=device)
    for weight, bias in [(w, b), (w, None), (None, None)]:
        want = torch.nn.functional.layer_norm(x, (129,), weight, bias, 1e-5)
        torch.testing.assert_close(layer_norm_optional(x, weight, bias), want, atol=1e-5, rtol=1e-5)
    print(f"layer_norm_optional: matches torch with and without weight and bias on {tuple(x.shape)} ({device})")


if __name__ == "__main__":
    main()
