"""KL-divergence loss, `torch.nn.functional.kl_div(input, target, reduction="batchmean", log_target=...)`.

`log_target` is a bool argument: compiled in (a kernel per value), so the kernel has no branch on it.
Each program sums its rows' terms; the host adds the per-row sums and divides by the batch.
"""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def kl_div(input: torch.Tensor, target: torch.Tensor, log_target: bool = False) -> torch.Tensor:
    """input: log-probabilities [batch, classes]; target: probabilities (log-probabilities if log_target)."""
    batch, classes = input.size()
    per_row = torch.empty([batch], dtype=torch.float32, device=input.device)
    for tile_b in hl.tile(batch):
        x = input[tile_b, :].to(torch.float32)
        t = target[tile_b, :].to(torch.float32)
        if log_target:
            terms = torch.exp(t) * (t - x)
        else:
            terms = torch.where(t > 0, t * (torch.log(t) - x), 0.0)
        per_row[tile_b] = terms.sum(-1)
    return per_row.sum() / batch


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    x = torch.log_softmax(torch.randn(64, 1000, device=device), -1)
    t = torch.softmax(torch.randn(64, 1000, device=device), -1)
    for log_target, target in [(False, t), (True, t.log())]:
        want = torch.nn.functional.kl_div(x, target, reduction="batchmean", log_target=log_target)
        torch.testing.assert_close(kl_div(x, target, log_target), want, atol=1e-5, rtol=1e-4)
    print(f"kl_div: matches torch with log_target False and True on {tuple(x.shape)} ({device})")


if __name__ == "__main__":
    main()
