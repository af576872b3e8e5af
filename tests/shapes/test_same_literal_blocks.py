"""Two loop dims with the same literal block size: each reduction is masked by its own dim's range."""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def chunk_max_sum(x):
    m, n = x.size()
    out = torch.zeros([m], dtype=x.dtype, device=x.device)
    for tm, tn in hl.tile([m, n], block_size=[16, 16]):
        hl.atomic_add(out, [tm], torch.amax(x[tm, tn] * 2.0, dim=1))
    return out


def test_reduction_masked_by_its_own_range():
    x = torch.randn(5, 40)  # 5 rows: the row range overhangs too, but must not guard the column max
    want = sum((x[:, j:j + 16] * 2.0).amax(1) for j in range(0, 40, 16))
    torch.testing.assert_close(chunk_max_sum(x), want)
