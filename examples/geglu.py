"""GEGLU's elementwise part: gelu_tanh(a) * b, the tanh approximation written out, over flat views (Helion's geglu)."""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def geglu(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """out = 0.5 * a * (1 + tanh(sqrt(2/pi) * (a + 0.044715 a^3))) * b for same-shaped a, b of any rank.

    As in Helion's example, the host flattens the tensors and the kernel tiles the flat views.
    """
    out = torch.empty_like(a, memory_format=torch.contiguous_format)  # so that out.view(-1) is a view
    total_elements = a.numel()
    a_flat = a.reshape(-1)  # reshape, not view: a strided input is copied to a flat one
    b_flat = b.reshape(-1)
    out_flat = out.view(-1)
    for tile in hl.tile(total_elements):
        a_vals = a_flat[tile].to(torch.float32)
        b_vals = b_flat[tile].to(torch.float32)
        sqrt_2_over_pi = 0.7978845608028654
        inner = sqrt_2_over_pi * (a_vals + 0.044715 * a_vals * a_vals * a_vals)
        out_flat[tile] = 0.5 * a_vals * (1.0 + torch.tanh(inner)) * b_vals
    return out


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    a, b = torch.randn(33, 257, device=device), torch.randn(33, 257, device=device)
    ref = torch.nn.functional.gelu(a, approximate="tanh") * b
    torch.testing.assert_close(geglu(a, b), ref, atol=1e-5, rtol=1e-5)
    print(f"geglu: matches torch on {tuple(a.shape)} ({device})")


if __name__ == "__main__":
    main()
