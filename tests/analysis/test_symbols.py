"""Shape symbols, the shape functions, and shape-expression text."""

import pytest
import sympy

from kopt.analysis import (
    block_symbol,
    cdiv,
    floordiv,
    format_expr,
    maximum,
    minimum,
    mod,
    next_power_of_2,
    parse_expr,
    size_symbol,
    stride_symbol,
)
from kopt.errors import KoptError


def test_symbol_assumptions():
    n = size_symbol("n")
    assert n.is_integer and n.is_positive
    s = stride_symbol("x_stride_0")
    assert s.is_integer and s.is_nonnegative and s.is_positive is None
    assert block_symbol("_BLOCK_SIZE_0").is_positive


def test_parse_gives_the_same_symbols():
    assert parse_expr("n") is not None
    assert parse_expr("n") == size_symbol("n")
    assert parse_expr("n") == parse_expr("n")
    assert parse_expr("x_stride_1") == stride_symbol("x_stride_1")
    assert parse_expr("x_size_0") == size_symbol("x_size_0")
    assert parse_expr("_BLOCK_SIZE_0") == block_symbol("_BLOCK_SIZE_0")


def test_next_power_of_2_evaluates_on_constants():
    assert next_power_of_2(1000) == 1024
    assert next_power_of_2(1) == 1
    assert next_power_of_2(1024) == 1024
    assert next_power_of_2(1025) == 2048
    n = size_symbol("n")
    assert str(next_power_of_2(n)) == "next_power_of_2(n)"
    assert next_power_of_2(next_power_of_2(n)) == next_power_of_2(n)
    assert next_power_of_2(n).is_integer


def test_cdiv_evaluates_on_constants():
    assert cdiv(10, 4) == 3
    assert cdiv(12, 4) == 3
    assert cdiv(1, 4) == 1
    n, b = size_symbol("n"), size_symbol("_BLOCK_SIZE_0")
    assert str(cdiv(n, b)) == "cdiv(n, _BLOCK_SIZE_0)"
    assert cdiv(n, 1) == n


def test_parse_operators():
    n = size_symbol("n")
    assert parse_expr("2*n + 1") == 2 * n + 1
    assert parse_expr("n // 16") == sympy.floor(n / 16)
    assert parse_expr("n % 8") == sympy.Mod(n, 8)
    assert parse_expr("-n + 3") == 3 - n
    assert parse_expr("n ** 2") == n**2
    assert parse_expr("4096") == 4096
    assert parse_expr("10**300") == 10**300


def test_parse_folds_constants():
    assert parse_expr("min(16, max(1, 8192 // 1024))") == 8
    assert parse_expr("next_power_of_2(1000)") == 1024
    assert parse_expr("cdiv(10, 4)") == 3
    assert parse_expr("7 // -2") == -4 and parse_expr("7 % -2") == -1  # Python semantics


def test_parse_keeps_what_sympy_would_get_wrong():
    # sympy 1.14 evaluates Max(2, floor(12/(B*k))) to floor(12/(B*k)); it is 0 for B*k > 12.
    e = parse_expr("max(2, 12 // (B*k))")
    assert isinstance(e, sympy.Max)
    assert e.xreplace({size_symbol("B"): 32, size_symbol("k"): 1}) == 2


ROUND_TRIP = [
    "n",
    "_m",
    "x_size_0",
    "2*n + 1",
    "n // 16",
    "n % 8",
    "cdiv(n, _BLOCK_SIZE_0)",
    "next_power_of_2(_m)",
    "min(16, max(1, 8192 // _RDIM_SIZE_1))",
    "n - k*m",
    "2 - 3*m*n",
    "-n // 3",
    "2*(n // 16)",
    "(n + 3) // m",
    "n % 8 % 3",
    "n // (k*m)",
    "-(n // 2) - 1",
    "n**3 - 1",
    "x_stride_0*n + x_stride_1",
    "cdiv(n + 1, 2) * next_power_of_2(m // 4)",
    "max(n, m) - min(n, m)",
    "(n - 1) % _BLOCK_SIZE_0",
    "-n*m // 2",
]


@pytest.mark.parametrize("text", ROUND_TRIP)
def test_round_trip(text):
    e = parse_expr(text)
    printed = format_expr(e)
    assert parse_expr(printed) == e
    assert format_expr(parse_expr(printed)) == printed  # deterministic


def test_format_prints_python_operators():
    n = size_symbol("n")
    assert format_expr(floordiv(n, 16)) == "n // 16"
    assert format_expr(mod(n, 8)) == "n % 8"
    assert format_expr(sympy.floor(n / 16)) == "n // 16"
    assert format_expr(sympy.Mod(n, 8)) == "n % 8"
    assert format_expr(minimum(16, maximum(1, n))) == "min(16, max(1, n))"


def test_format_rejects_fractions():
    with pytest.raises(KoptError):
        format_expr(size_symbol("n") / 2)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "n +",
        "n / 2",
        "n.real",
        "__import__('os')",
        "f(n)",
        "n if m else k",
        "1.5",
        "'n'",
        "True",
        "n ** m",
        "n // 0",
        "n % 0",
        "cdiv(n)",
        "cdiv(n, 0)",
        "min()",
        "next_power_of_2(n, m)",
        "n & 1",
        "[n]",
        "max(n, key=m)",
        "(" * 300 + "n" + ")" * 300,
        "n + " * 300 + "n",  # too long
    ],
)
def test_bad_text_raises(text):
    with pytest.raises(KoptError):
        parse_expr(text)


def test_long_sums_are_not_deep():
    text = " + ".join(f"{i}*t{i}" for i in range(1, 80))
    e = parse_expr(text)
    assert len(e.args) == 79
    assert parse_expr(format_expr(e)) == e
    assert parse_expr("a - b - c + d*e*f // 2 % 3 * 4 - 5") == parse_expr("a - (b + c) + ((d*e*f) // 2 % 3)*4 - 5")


def test_bad_text_message_is_clear():
    with pytest.raises(KoptError, match="unknown function 'open'"):
        parse_expr("open(n)")
    with pytest.raises(KoptError, match="use //"):
        parse_expr("n / 2")
