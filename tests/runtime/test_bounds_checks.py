"""A tile loop over one size that subscripts a tensor dim of another: the launcher checks the dim is large
enough (kopt/passes/bounds_checks.py) and raises a located KoptError instead of reading out of bounds."""

from __future__ import annotations

import pytest
import torch

from kopt.errors import KoptError
from tests.runtime.bounds_kernels import add_over_y, add_over_y_asserted, rows_of_longer_x


def test_a_shorter_tensor_is_a_located_error_not_an_out_of_bounds_read():
    x, y = torch.randn(5), torch.randn(9)
    with pytest.raises(KoptError) as info:
        add_over_y(x, y)
    e = info.value
    assert e.loc is not None and e.loc.file.endswith("bounds_kernels.py") and e.loc.line == 16
    assert "the tile loop over `n` (9) subscripts dim 0 of `x`, of size 5" in e.message
    for n in (1, 7, 97):  # equal sizes, and a longer x, run
        x, y = torch.randn(n + 3), torch.randn(n)
        torch.testing.assert_close(add_over_y(x, y), x[:n] + y)


def test_an_assert_makes_it_a_fact_and_the_users_assert_guards_the_call():
    src = add_over_y_asserted.compile(torch.randn(4), torch.randn(4)).triton_source
    assert "subscripts dim" not in src  # proven by the assert: no bounds check of kopt's own
    with pytest.raises(AssertionError):  # the host code's assert runs in the launcher
        add_over_y_asserted(torch.randn(5), torch.randn(9))


def test_a_longer_tensor_in_two_dims_is_fine_and_a_shorter_one_is_not():
    x, y = torch.randn(40, 31), torch.randn(17, 30)
    torch.testing.assert_close(rows_of_longer_x(x, y), x[:17, :30] * 2.0 + y)
    x_t = torch.randn(31, 40).t()  # non-contiguous
    torch.testing.assert_close(rows_of_longer_x(x_t, y), x_t[:17, :30] * 2.0 + y)
    with pytest.raises(KoptError, match=r"subscripts dim 1 of `x`, of size 20"):
        rows_of_longer_x(torch.randn(40, 20), y)
