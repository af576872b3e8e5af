"""KOPT_CHECK_INDICES=1 on a GPU: an out-of-range index read from a tensor (a label past the vocabulary, an
embedding id past the table) is a located KoptError after the call, and the CUDA context stays usable (the next
kernel runs and is right), which `tl.device_assert` would not leave it. Run with KOPT_CHECK_INDICES=1.

    KOPT_CHECK_INDICES=1 python benchmarks/gpu_index_checks.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from kopt.errors import KoptError  # noqa: E402
from tests.corpus.cases import BY_NAME  # noqa: E402
from tests.corpus.check import kernel_of  # noqa: E402


def main() -> int:
    assert os.environ.get("KOPT_CHECK_INDICES") == "1", "run with KOPT_CHECK_INDICES=1"
    ok = True
    ce, emb = kernel_of(BY_NAME["cross_entropy"]), kernel_of(BY_NAME["embedding"])
    logits = torch.randn(4000, 1000, device="cuda")
    labels = torch.randint(0, 1000, (4000,), device="cuda")
    ids, table = torch.randint(0, 5000, (8191,), device="cuda"), torch.randn(5000, 256, device="cuda")
    cases = (("cross_entropy", lambda: ce(logits, labels), (labels, 1234, 1000)),
             ("embedding", lambda: emb(ids, table), (ids, 8000, -3)))
    for name, call, (tensor, at, value) in cases:
        good = call().clone()
        saved = tensor[at].item()
        tensor[at] = value
        try:
            call()
            print(f"FAIL  {name}: an out-of-range index was not reported")
            ok = False
        except KoptError as e:
            print(f"OK    {name}: {str(e).splitlines()[0]}")
        tensor[at] = saved
        again = call()
        torch.cuda.synchronize()  # the context is still usable, and the same call gives the same answer
        same = torch.equal(again, good)
        ok &= same
        print(f"{'OK' if same else 'FAIL':<5} {name}: the same call after the error gives the same result: {same}")
    torch.testing.assert_close(emb(torch.arange(10, device="cuda"), table), table[:10])
    print("OK    a kernel after the reported ones runs and is right")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
