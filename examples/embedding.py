"""Embedding lookup: a gather of rows of the weight table by a tile of ids (Helion's embedding)."""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def embedding(ids: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """out[b, :] = weight[ids[b], :] for 1-D integer ids."""
    (num_ids,) = ids.size()
    _, embedding_dim = weight.size()
    out = torch.empty([num_ids, embedding_dim], dtype=weight.dtype, device=weight.device)
    for tile_b, tile_e in hl.tile([num_ids, embedding_dim]):
        out[tile_b, tile_e] = weight[ids[tile_b], tile_e]
    return out


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    weight = torch.randn(1000, 64, device=device)
    ids = torch.randint(0, 1000, (257,), device=device)
    torch.testing.assert_close(embedding(ids, weight), torch.nn.functional.embedding(ids, weight), atol=0, rtol=0)
    print(f"embedding: matches torch on {tuple(ids.shape)} ids into {tuple(weight.shape)} ({device})")


if __name__ == "__main__":
    main()
