"""Grouped GEMM: out[rows of group g] = A[rows of group g] @ B, the groups' rows packed by `group_offsets`.

One program per group and block of output columns (`hl.tile([G, N], block_size=[1, None])`): it
walks its group's rows in blocks (`hl.tile(m_g)`, m_g loaded from `group_offsets`; an empty group
does nothing) and, for each, K. One compile serves every number of groups and every split of the
rows among them.
"""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def grouped_gemm(a_packed: torch.Tensor, b: torch.Tensor, group_offsets: torch.Tensor) -> torch.Tensor:
    """a_packed [total_m, k] (group g's rows are group_offsets[g]:group_offsets[g+1]), b [k, n]."""
    total_m, k = a_packed.size()
    _, n = b.size()
    groups = group_offsets.size(0) - 1
    out = torch.empty([total_m, n], dtype=torch.promote_types(a_packed.dtype, b.dtype), device=a_packed.device)
    for g, tile_n in hl.tile([groups, n], block_size=[1, None]):
        start = group_offsets[g.begin]
        m_g = group_offsets[g.begin + 1] - start
        for tile_m in hl.tile(m_g):  # this group's rows: a bound the kernel loads (0 for an empty group)
            acc = hl.zeros([tile_m, tile_n], dtype=torch.float32)
            for tile_k in hl.tile(k):
                acc = torch.addmm(acc, a_packed[start + tile_m.index, tile_k], b[tile_k, tile_n])
            out[start + tile_m.index, tile_n] = acc.to(out.dtype)
    return out


def reference(a_packed: torch.Tensor, b: torch.Tensor, group_offsets: torch.Tensor) -> torch.Tensor:
    """A loop of torch.mm over the groups."""
    out = a_packed.new_empty(a_packed.size(0), b.size(1))
    for g in range(group_offsets.numel() - 1):
        lo, hi = int(group_offsets[g]), int(group_offsets[g + 1])
        out[lo:hi] = torch.mm(a_packed[lo:hi], b)
    return out


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    sizes = torch.tensor([0, 1, 130, 7, 0, 64])  # empty groups, a group of one row, a large one
    offsets = torch.cat([torch.zeros(1, dtype=torch.int64), sizes.cumsum(0)]).to(device)
    a = torch.randn(int(offsets[-1]), 48, device=device)
    b = torch.randn(48, 40, device=device)
    torch.testing.assert_close(grouped_gemm(a, b, offsets), reference(a, b, offsets), atol=1e-3, rtol=1e-3)
    print(f"grouped_gemm: matches a loop of torch.mm on {sizes.numel()} groups, k={a.size(1)}, n={b.size(1)} ({device})")


if __name__ == "__main__":
    main()
