"""The launchers' cdiv / next_power_of_2 agree with Triton's on every value a launcher can pass."""

from __future__ import annotations

import numpy as np
import triton

from kopt.launch.hostmath import cdiv, next_power_of_2


def test_same_values_as_triton():
    for n in [*range(-40, 5000), 2**31 - 1, 2**31, 2**31 + 1, 2**40 + 3, 2**62 + 1]:
        assert next_power_of_2(n) == triton.next_power_of_2(n), n
        for d in (1, 2, 3, 16, 17, 64, 1000):
            assert cdiv(n, d) == triton.cdiv(n, d), (n, d)


def test_numpy_integers():
    assert next_power_of_2(np.int64(1000)) == 1024 and cdiv(np.int32(1000), 64) == 16
