"""SwiGLU's elementwise part: silu(gate) * up, as in LLaMA MLPs (Helion's swiglu example)."""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def swiglu(gate: torch.Tensor, up: torch.Tensor) -> torch.Tensor:
    """out = silu(gate) * up over 2-D [tokens, hidden] tensors; math in fp32."""
    out = torch.empty_like(gate)
    for tile_t, tile_h in hl.tile(gate.size()):
        g = gate[tile_t, tile_h].to(torch.float32)
        u = up[tile_t, tile_h].to(torch.float32)
        out[tile_t, tile_h] = g * torch.sigmoid(g) * u
    return out


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    gate, up = torch.randn(65, 300, device=device), torch.randn(65, 300, device=device)
    torch.testing.assert_close(swiglu(gate, up), torch.nn.functional.silu(gate) * up)
    print(f"swiglu: matches torch on {tuple(gate.shape)} ({device})")


if __name__ == "__main__":
    main()
