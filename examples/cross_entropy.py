"""Cross-entropy loss of logits [m, v] and int64 labels [m], averaged over rows
(torch.nn.functional.cross_entropy with its defaults).

Each program handles one row (`hl.grid`): `logits[i, :]` is the row, and
`logits[i, labels[i]]` reads the label's logit directly — a scalar index taken
from a tensor, as in torch. The log-sum-exp is the max→exp→sum chain that the
online reduction mode runs in a single pass over the row.
"""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel(signature="labels: i64[M]")  # labels are int64 (the CLI cannot see that from the code)
def cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """mean_i(logsumexp(logits[i]) - logits[i, labels[i]]), in fp32."""
    m, _v = logits.size()
    losses = torch.empty([m], dtype=torch.float32, device=logits.device)
    for i in hl.grid(m):
        row = logits[i, :].to(torch.float32)
        losses[i] = torch.logsumexp(row, dim=0) - logits[i, labels[i]].to(torch.float32)
    return losses.mean().to(logits.dtype)


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    logits = torch.randn(97, 1000, device=device)
    labels = torch.randint(0, 1000, (97,), device=device)
    want = torch.nn.functional.cross_entropy(logits, labels)
    torch.testing.assert_close(cross_entropy(logits, labels), want, atol=1e-5, rtol=1e-5)
    print(f"cross_entropy: matches torch on {tuple(logits.shape)} ({device})")


if __name__ == "__main__":
    main()
