"""Helion softmax peer (imported only when ``helion`` is installed).

A fixed configuration (block 8, persistent reduction, 8 warps, 8 stages): Helion's autotuner would spend
minutes per shape, which a benchmark sweep cannot.
"""

from __future__ import annotations

import helion
import helion.language as hl
import torch

CONFIG = helion.Config(block_sizes=[8], num_warps=8, num_stages=8)


@helion.kernel(config=CONFIG)
def softmax(x: torch.Tensor) -> torch.Tensor:
    """Row softmax over the last dim of a 2-D tensor; the reduction dim stays whole."""
    m, _ = x.size()
    out = torch.empty_like(x)
    for tile_m in hl.tile(m):
        out[tile_m, :] = torch.nn.functional.softmax(x[tile_m, :], dim=1)
    return out
