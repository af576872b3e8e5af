"""MoE-style matmul: tokens sorted by expert, each expert's tokens times that expert's weight.

`tokens_per_expert[e]` (a tensor, as a router produces it) says how many of the sorted tokens
go to expert e; `expert_ends` is its running sum. One program per expert and block of output
columns: it walks its own tokens in blocks (`hl.tile(count)`, a bound the kernel loads) and
multiplies them by `w[e]`. Experts with no tokens do nothing; one compile serves every routing.
"""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def moe_matmul(x: torch.Tensor, w: torch.Tensor, tokens_per_expert: torch.Tensor) -> torch.Tensor:
    """x [tokens, k] sorted by expert, w [experts, k, n], tokens_per_expert [experts] (summing to tokens)."""
    tokens, k = x.size()
    experts, _, n = w.size()
    expert_ends = torch.cumsum(tokens_per_expert, 0)
    out = torch.empty([tokens, n], dtype=x.dtype, device=x.device)
    for e, tile_n in hl.tile([experts, n], block_size=[1, None]):
        count = tokens_per_expert[e.begin]
        first = expert_ends[e.begin] - count
        for tile_t in hl.tile(count):
            acc = hl.zeros([tile_t, tile_n], dtype=torch.float32)
            for tile_k in hl.tile(k):
                acc = torch.addmm(acc, x[first + tile_t.index, tile_k], w[e.begin, tile_k, tile_n])
            out[first + tile_t.index, tile_n] = acc.to(out.dtype)
    return out


def reference(x: torch.Tensor, w: torch.Tensor, tokens_per_expert: torch.Tensor) -> torch.Tensor:
    out = x.new_empty(x.size(0), w.size(2))
    ends = tokens_per_expert.cumsum(0).tolist()
    for e, (end, count) in enumerate(zip(ends, tokens_per_expert.tolist())):
        out[end - count:end] = x[end - count:end] @ w[e]
    return out


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    counts = torch.tensor([3, 0, 1, 150, 0, 20, 9, 0]).to(device)  # idle experts, one with a single token, a busy one
    x = torch.randn(int(counts.sum()), 64, device=device)
    w = torch.randn(counts.numel(), 64, 48, device=device) / 8
    torch.testing.assert_close(moe_matmul(x, w, counts), reference(x, w, counts), atol=1e-3, rtol=1e-3)
    print(f"moe_matmul: matches torch on {counts.numel()} experts, {x.size(0)} tokens ({device})")


if __name__ == "__main__":
    main()
