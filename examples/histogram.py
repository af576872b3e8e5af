"""Histogram of integer values by atomic adds: every program adds ones into the shared counts."""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def histogram(values: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """counts[v] += 1 for every v in values (0 <= v < counts.size(0)); counts is updated in place."""
    (n,) = values.size()
    for tile in hl.tile(n):
        hl.atomic_add(counts, [values[tile]], torch.ones_like(values[tile], dtype=torch.float32))
    return counts


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    values = torch.randint(0, 50, (10007,), device=device)
    counts = histogram(values, torch.zeros(50, device=device))
    torch.testing.assert_close(counts, torch.bincount(values, minlength=50).float())
    print(f"histogram: matches torch.bincount on {values.numel()} values ({device})")


if __name__ == "__main__":
    main()
