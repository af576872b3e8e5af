"""Rotary position embedding on interleaved pairs: (x[2i], x[2i+1]) rotated by the angle of position t, pair i.

The head dim is `hl.specialize`d (a compile per head size, as the reshape into pairs needs it constant);
`hl.split` takes each row's pairs apart and `hl.join` puts the rotated ones back together.
"""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """x [tokens, head], cos and sin [tokens, head // 2] -> x rotated pairwise."""
    tokens = x.size(0)
    head = hl.specialize(x.size(1))
    out = torch.empty_like(x)
    for tile_t in hl.tile(tokens):
        pairs = x[tile_t, :].to(torch.float32).reshape([tile_t, head // 2, 2])
        even, odd = hl.split(pairs)
        c = cos[tile_t, :].to(torch.float32)
        s = sin[tile_t, :].to(torch.float32)
        rotated = hl.join(even * c - odd * s, even * s + odd * c)
        out[tile_t, :] = rotated.reshape([tile_t, head]).to(out.dtype)
    return out


def reference(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    xe, xo = x[:, 0::2].float(), x[:, 1::2].float()
    c, s = cos.float(), sin.float()
    return torch.stack([xe * c - xo * s, xe * s + xo * c], -1).reshape(x.shape).to(x.dtype)


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    x = torch.randn(77, 64, device=device)
    angles = torch.randn(77, 32, device=device)
    torch.testing.assert_close(rope(x, angles.cos(), angles.sin()), reference(x, angles.cos(), angles.sin()),
                               atol=1e-5, rtol=1e-5)
    print(f"rope: matches torch on {tuple(x.shape)} ({device})")


if __name__ == "__main__":
    main()
