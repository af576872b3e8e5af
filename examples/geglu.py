"""GEGLU's elementwise part: gelu_tanh(a) * b, the tanh approximation written out (Helion's geglu)."""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def geglu(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """out = 0.5 * a * (1 + tanh(sqrt(2/pi) * (a + 0.044715 a^3))) * b over 1-D tensors."""
    out = torch.empty_like(a)
    (n,) = a.size()
    for tile in hl.tile(n):
        a_vals = a[tile].to(torch.float32)
        b_vals = b[tile].to(torch.float32)
        sqrt_2_over_pi = 0.7978845608028654
        inner = sqrt_2_over_pi * (a_vals + 0.044715 * a_vals * a_vals * a_vals)
        out[tile] = 0.5 * a_vals * (1.0 + torch.tanh(inner)) * b_vals
    return out


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    a, b = torch.randn(4099, device=device), torch.randn(4099, device=device)
    ref = torch.nn.functional.gelu(a, approximate="tanh") * b
    torch.testing.assert_close(geglu(a, b), ref, atol=1e-5, rtol=1e-5)
    print(f"geglu: matches torch on {tuple(a.shape)} ({device})")


if __name__ == "__main__":
    main()
