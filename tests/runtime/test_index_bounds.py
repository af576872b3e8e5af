"""Indices that are not loop ranges are kept inside their tensors: `hl.grid` indices and offset tile indices
are checked at launch (a located KoptError before anything runs), indices read from tensors on the device
under KOPT_CHECK_INDICES=1 (a flag buffer the launcher reads after the call)."""

from __future__ import annotations

import pytest
import torch

import kopt
import kopt.language as hl
from kopt.errors import KoptError
from tests.corpus.check import kernel_of
from tests.corpus.cases import BY_NAME


@kopt.kernel
def grid_add(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    for i in hl.grid(x.size(0)):
        out[i] = x[i] + y[i]
    return out


@kopt.kernel
def shift_down(x: torch.Tensor) -> torch.Tensor:
    out = torch.zeros_like(x)
    for t in hl.tile(x.size(0)):
        out[t.index + 1, :] = x[t, :]
    return out


@kopt.kernel
def shift_down_within(x: torch.Tensor) -> torch.Tensor:
    out = torch.zeros_like(x)
    for t in hl.tile(x.size(0) - 1):
        out[t.index + 1, :] = x[t, :]
    return out


@kopt.kernel
def previous_row(x: torch.Tensor, k: int) -> torch.Tensor:
    out = torch.zeros_like(x)
    for t in hl.tile(x.size(0)):
        out[t, :] = x[t.index - k, :]
    return out


def _line_of(fn, text: str) -> int:
    import inspect

    lines, first = inspect.getsourcelines(fn.fn)
    return first + next(i for i, line in enumerate(lines) if text in line)


def test_grid_index_into_a_shorter_tensor_is_a_located_error():
    with pytest.raises(KoptError) as info:
        grid_add(torch.randn(7), torch.randn(5))
    e = info.value
    assert e.loc is not None and e.loc.line == _line_of(grid_add, "x[i] + y[i]"), e.format()
    assert "`y`" in e.message and "[0, 6]" in e.message and "size 5" in e.message, e.message


@pytest.mark.parametrize("n", [1, 5, 17])
def test_grid_index_in_range_runs(n):
    x, y = torch.randn(n), torch.randn(n + 3)  # a longer y is fine: torch indexes it the same way
    torch.testing.assert_close(grid_add(x, y), x + y[:n])


def test_offset_index_past_the_end_is_a_located_error():
    with pytest.raises(KoptError) as info:
        shift_down(torch.randn(5, 3))
    e = info.value
    assert e.loc is not None and e.loc.line == _line_of(shift_down, "out[t.index + 1"), e.format()
    assert "[1, 5]" in e.message and "size 5" in e.message, e.message


@pytest.mark.parametrize("n", [2, 3, 33])
def test_offset_index_the_facts_prove_in_range_runs_without_a_check(n):
    x = torch.randn(n, 4)
    want = torch.zeros_like(x)
    want[1:] = x[:-1]
    torch.testing.assert_close(shift_down_within(x), want)
    assert "an index into" not in shift_down_within.compile(x).triton_source  # proven: no launch check


def test_offset_by_a_scalar_argument_is_checked_at_launch():
    x = torch.randn(6, 2)
    with pytest.raises(KoptError, match=r"\(\[-1, 4\]\)"):
        previous_row(x, 1)
    torch.testing.assert_close(previous_row(x, 0), x)


def test_mismatched_labels_are_refused_before_the_launch():
    """cross_entropy(logits[4000, 10], labels[1]) once read past `labels` (a crash on the GPU)."""
    kernel = kernel_of(BY_NAME["cross_entropy"])
    with pytest.raises(KoptError, match="`labels`"):
        kernel(torch.randn(4000, 10), torch.zeros(1, dtype=torch.int64))


def _fresh(case: str):
    """A new kernel object for the example (KOPT_CHECK_INDICES is read at a kernel's first call)."""
    return kopt.kernel(kernel_of(BY_NAME[case]).fn)


def test_device_checked_label_out_of_range_is_located(monkeypatch):
    monkeypatch.setenv("KOPT_CHECK_INDICES", "1")
    kernel = _fresh("cross_entropy")
    logits, labels = torch.randn(9, 10), torch.randint(0, 10, (9,))
    torch.testing.assert_close(kernel(logits, labels), torch.nn.functional.cross_entropy(logits, labels))
    labels[4] = 10
    with pytest.raises(KoptError) as info:
        kernel(logits, labels)
    assert "dim 1 of `logits`" in info.value.message and info.value.loc is not None, info.value.format()
    labels[4] = -1
    with pytest.raises(KoptError):
        kernel(logits, labels)


@pytest.mark.parametrize("bad", [-1, 13])
def test_device_checked_embedding_ids(monkeypatch, bad):
    monkeypatch.setenv("KOPT_CHECK_INDICES", "1")
    kernel = _fresh("embedding")
    ids, weight = torch.randint(0, 13, (31,)), torch.randn(13, 6)
    torch.testing.assert_close(kernel(ids, weight), weight[ids])
    ids[30] = bad
    with pytest.raises(KoptError, match="`weight`"):
        kernel(ids, weight)


def test_device_checks_are_off_by_default(monkeypatch):
    monkeypatch.delenv("KOPT_CHECK_INDICES", raising=False)
    kernel = _fresh("embedding")
    source = kernel.compile(torch.randint(0, 13, (31,)), torch.randn(13, 6)).triton_source
    assert "_kopt_flags" not in source and "atomic_max" not in source
