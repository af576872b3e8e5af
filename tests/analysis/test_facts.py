"""FactBase: stating facts, printing them, and the queries' key cases."""

import pytest
import sympy

from kopt.analysis import Answer, FactBase, Tri, cdiv, next_power_of_2, parse_expr, size_symbol
from kopt.errors import KoptError

n, m, k = size_symbol("n"), size_symbol("_m"), size_symbol("k")
B = size_symbol("_BLOCK_SIZE_0")
R = size_symbol("_RDIM_SIZE_1")


def rdim_facts() -> FactBase:
    fb = FactBase()
    fb.assume_next_power_of_2(R, m)
    return fb


# ---------------------------------------------------------------- Tri / Answer


def test_tri_has_no_truth_value():
    with pytest.raises(TypeError):
        bool(Tri.UNKNOWN)
    with pytest.raises(TypeError):
        if Tri.TRUE:
            pass
    assert Tri.TRUE.is_true and not Tri.TRUE.is_false
    assert Tri.FALSE.is_false and not Tri.UNKNOWN.is_true


def test_answer_is_frozen_and_has_no_truth_value():
    a = Answer(Tri.TRUE, "because")
    with pytest.raises(Exception):
        a.value = Tri.FALSE
    with pytest.raises(TypeError):
        bool(a)


# ---------------------------------------------------------------- divides


def test_divides_with_static_values_names_both():
    fb = FactBase()
    fb.assume_text("n == 4096")
    fb.assume_text("_BLOCK_SIZE_0 == 8")
    ans = fb.divides(B, n)
    assert ans.value is Tri.TRUE
    assert ans.reason == "_BLOCK_SIZE_0 = 8 divides n = 4096"


def test_divides_power_of_two_below_a_known_divisor():
    fb = FactBase()
    fb.assume_power_of_two(B)
    fb.assume_text("n % 128 == 0")
    fb.assume_bounds(B, hi=128)
    ans = fb.divides(B, n)
    assert ans.value is Tri.TRUE, ans
    assert "128" in ans.reason


def test_divides_power_of_two_needs_the_bound():
    fb = FactBase()
    fb.assume_power_of_two(B)
    fb.assume_text("n % 128 == 0")
    assert fb.divides(B, n).value is Tri.UNKNOWN  # B could be 256
    fb.assume_bounds(B, hi=256)
    assert fb.divides(B, n).value is Tri.UNKNOWN


def test_divides_nothing_known():
    ans = FactBase().divides(B, n)
    assert ans.value is Tri.UNKNOWN
    assert ans.reason == "n mod _BLOCK_SIZE_0 unknown"


def test_divides_constants():
    fb = FactBase()
    assert fb.divides(4, 12).value is Tri.TRUE
    assert fb.divides(5, 12).value is Tri.FALSE
    assert fb.divides(1, n).value is Tri.TRUE
    assert fb.divides(0, 0).value is Tri.TRUE
    assert fb.divides(0, n).value is Tri.FALSE  # n >= 1


def test_divides_by_structure():
    fb = FactBase()
    assert fb.divides(B, 4 * B * n).value is Tri.TRUE
    assert fb.divides(n, n * k + 2 * n).value is Tri.TRUE
    assert fb.divides(2 * n, 6 * n * k).value is Tri.TRUE
    assert fb.divides(2 * n, 3 * n * k).value is Tri.UNKNOWN


def test_divides_by_modular_sets():
    fb = FactBase()
    fb.assume_divisible(n, 16)
    assert fb.divides(8, n).value is Tri.TRUE
    assert fb.divides(8, 3 * n + 16).value is Tri.TRUE
    assert fb.divides(8, n + 4).value is Tri.FALSE
    assert fb.divides(32, n).value is Tri.UNKNOWN
    assert fb.divides(4, parse_expr("n // 4")).value is Tri.TRUE
    assert fb.divides(4, parse_expr("n % 16")).value is Tri.TRUE  # n % 16 == 0


def test_divides_refuted():
    fb = FactBase()
    fb.assume_power_of_two(B)
    fb.assume_bounds(B, lo=16)
    fb.assume_congruent(n, 16, 8)
    ans = fb.divides(B, n)
    assert ans.value is Tri.FALSE, ans  # 16 | B but n % 16 == 8
    assert fb.divides(n + 5, 3).value is Tri.FALSE  # 0 < 3 < n + 5


def test_divides_block_m_heuristic():
    # BLOCK_M = min(16, max(1, 8192 // BLOCK_N)) is a power of two <= 16.
    fb = FactBase()
    fb.assume_next_power_of_2(R, m)
    fb.assume_divisible(n, 16)
    block_m = parse_expr("min(16, max(1, 8192 // _RDIM_SIZE_1))")
    assert fb.divides(block_m, n).value is Tri.TRUE


def test_divides_between_powers_of_two():
    fb = FactBase()
    fb.assume_power_of_two(B)
    fb.assume_bounds(B, hi=64)
    fb.assume_next_power_of_2(R, m)
    fb.assume_bounds(m, lo=100)
    assert fb.divides(B, R).value is Tri.TRUE  # B <= 64 <= 128 <= R


# ---------------------------------------------------------------- next_power_of_2


def test_rdim_equal_unknown_in_general():
    assert rdim_facts().eq(R, m).value is Tri.UNKNOWN


def test_rdim_equal_when_m_static():
    fb = rdim_facts()
    fb.assume_text("_m == 1024")
    assert fb.eq(R, m).value is Tri.TRUE
    fb2 = rdim_facts()
    fb2.assume_text("_m == 1000")
    assert fb2.eq(R, m).value is Tri.FALSE
    assert fb2.try_const(R) == 1024


def test_rdim_equal_when_m_power_of_two():
    fb = rdim_facts()
    fb.assume_power_of_two(m)
    assert fb.eq(R, m).value is Tri.TRUE


def test_rdim_bounds_relative_to_m():
    fb = rdim_facts()
    le = fb.le(m, R)
    assert le.value is Tri.TRUE and "next_power_of_2" in le.reason
    assert fb.lt(R, 2 * m).value is Tri.TRUE
    assert fb.ge(R, m).value is Tri.TRUE
    assert fb.gt(2 * m, R).value is Tri.TRUE
    assert fb.lt(R, m).value is Tri.FALSE
    assert fb.le(2 * m, R).value is Tri.FALSE
    assert fb.lt(m, R).value is Tri.UNKNOWN


def test_next_power_of_2_call_facts():
    fb = FactBase()
    assert fb.le(m, next_power_of_2(m)).value is Tri.TRUE
    assert fb.lt(next_power_of_2(m), 2 * m).value is Tri.TRUE
    assert fb.divides(next_power_of_2(m), 2 * next_power_of_2(m) * n).value is Tri.TRUE


# ---------------------------------------------------------------- order and equality


def test_linear_differences():
    fb = FactBase()
    assert fb.le(n, n + 1).value is Tri.TRUE
    assert fb.lt(n, n + 1).value is Tri.TRUE
    assert fb.lt(n, n).value is Tri.FALSE
    assert fb.le(n + 1, n).value is Tri.FALSE
    assert fb.le(n, 2 * n).value is Tri.TRUE  # n >= 1
    assert fb.le(n, n * k).value is Tri.TRUE  # k >= 1
    assert fb.le(n, k).value is Tri.UNKNOWN
    assert fb.eq(2 * (n + 1), 2 * n + 2).value is Tri.TRUE
    assert fb.eq(n, n + 1).value is Tri.FALSE
    assert fb.eq(n, k).value is Tri.UNKNOWN
    assert fb.le(1, n).value is Tri.TRUE
    assert fb.le(0, parse_expr("x_stride_0")).value is Tri.TRUE
    assert fb.le(1, parse_expr("x_stride_0")).value is Tri.UNKNOWN


def test_floor_and_cdiv_facts():
    fb = FactBase()
    assert fb.le(parse_expr("n // 16 * 16"), n).value is Tri.TRUE
    assert fb.le(n, cdiv(n, B) * B).value is Tri.TRUE
    assert fb.lt(cdiv(n, B) * B, n + B).value is Tri.TRUE
    assert fb.le(parse_expr("n % k"), n).value is Tri.TRUE
    assert fb.lt(parse_expr("n % k"), k).value is Tri.TRUE


def test_equal_by_modular_sets():
    fb = FactBase()
    fb.assume_divisible(n, 2)
    assert fb.eq(n, 2 * k + 1).value is Tri.FALSE


def test_relations_from_text():
    fb = FactBase()
    fb.assume_text("n <= k")
    assert fb.le(n, k).value is Tri.TRUE
    assert fb.lt(k, n).value is Tri.FALSE
    assert fb.le(n, k + 1).value is Tri.TRUE


def test_bounds_queries():
    fb = FactBase()
    fb.assume_text("1 <= n <= 65536")
    fb.assume_text("n % 16 == 0")
    assert fb.const_bounds(n) == (16, 65536)
    assert fb.const_bounds(parse_expr("n // 16")) == (1, 4096)
    assert fb.const_bounds(parse_expr("k % 8")) == (0, 7)
    assert fb.const_bounds(k) == (1, None)
    assert fb.const_bounds(-k) == (None, -1)
    assert fb.le(n, 70000).value is Tri.TRUE
    assert fb.lt(65536, n).value is Tri.FALSE


def test_modular_queries():
    fb = FactBase()
    fb.assume_divisible(n, 16)
    assert fb.modular(n) == (16, 0)
    assert fb.modular(3 * n + 5) == (48, 5)
    assert fb.modular(n * k) == (16, 0)
    assert fb.modular(parse_expr("n // 4")) == (4, 0)
    assert fb.modular(k) == (1, 0)
    assert fb.modular(7) == (0, 7)


def test_try_const():
    fb = FactBase()
    fb.assume_eq(n, 4096)
    fb.assume_eq(B, 8)
    assert fb.try_const(parse_expr("cdiv(n, _BLOCK_SIZE_0)")) == 512
    assert fb.try_const(parse_expr("n // 16 + n % 7")) == 256 + 4096 % 7
    assert fb.try_const(k - k) == 0
    assert fb.try_const(k) is None


# ---------------------------------------------------------------- stating and printing


def test_describe_lines():
    fb = FactBase()
    fb.assume_text("n == 4096")
    fb.assume_text("_m % 16 == 0")
    fb.assume_power_of_two(B)
    fb.assume_next_power_of_2(R, m)
    fb.assume_bounds(k, 1, 65536)
    assert fb.describe() == [
        "n = 4096",
        "_m % 16 == 0",
        "_BLOCK_SIZE_0 is a power of 2",
        "_RDIM_SIZE_1 = next_power_of_2(_m)  (=> _m <= _RDIM_SIZE_1 < 2*_m)",
        "1 <= k <= 65536",
    ]


def test_describe_is_accepted_back():
    fb = FactBase()
    for text in [
        "n == 4096",
        "(_m + 1) % 8 == 3",
        "_BLOCK_SIZE_0 is a power of two",
        "_RDIM_SIZE_1 == next_power_of_2(_m)",
        "k >= 16",
        "k <= 65536",
        "x_size_0 < x_size_1",
        "2*k <= n*x_size_0",
    ]:
        fb.assume_text(text)
    again = FactBase()
    for line in fb.describe():
        again.assume_text(line)
    assert again.describe() == fb.describe()


def test_copy_is_independent():
    fb = FactBase()
    fb.assume_text("n % 16 == 0")
    c = fb.copy()
    c.assume_text("n == 32")
    assert fb.try_const(n) is None and c.try_const(n) == 32
    assert fb.describe() == ["n % 16 == 0"]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "n",
        "n != 3",
        "n +== 3",
        "n == 4096 and m == 3",
        "open('x') == 1",
        "n / 2 == 3",
        "n in k",
        "2*n is a power of 2",
        "n == 4096 = 3",
        "1 == 2",
        "3 <= 2",
        "n % 8 == 9 == 9",
    ],
)
def test_bad_assumption_text(text):
    with pytest.raises(KoptError):
        FactBase().assume_text(text)


def test_contradictions_are_errors():
    fb = FactBase()
    fb.assume_text("n % 16 == 0")
    with pytest.raises(KoptError):
        fb.assume_text("n == 20")
    with pytest.raises(KoptError):
        fb.assume_text("n % 8 == 3")
    fb.assume_power_of_two(B)
    with pytest.raises(KoptError):
        fb.assume_eq(B, 12)
    with pytest.raises(KoptError):
        fb.assume_eq(k, 0)  # sizes are positive
    with pytest.raises(KoptError):
        fb.assume_bounds(k, 10, 5)
    fb.assume_eq(k, m + 1)
    with pytest.raises(KoptError):
        fb.assume_eq(m, k - 1)  # a cycle


def test_failed_assumption_text_changes_nothing():
    fb = FactBase()
    with pytest.raises(KoptError):
        fb.assume_text("1 <= n <= 0")
    assert fb.describe() == []


def test_queries_accept_text_and_ints():
    fb = FactBase()
    fb.assume_text("n == 64")
    assert fb.divides("_BLOCK_SIZE_0 * 0 + 8", "n").value is Tri.TRUE
    assert fb.le(8, "n").value is Tri.TRUE
    with pytest.raises(KoptError):
        fb.le("n +", 3)


def test_budget_exhaustion_is_unknown():
    fb = FactBase()
    fb.assume_next_power_of_2(R, m)
    ans = fb.le(m, R, budget=3)
    assert ans.value is Tri.UNKNOWN and ans.reason == "budget exhausted"
    assert fb.const_bounds(sympy.Add(*[size_symbol(f"s{i}") for i in range(50)]), budget=5) == (None, None)
    assert fb.modular(n * k, budget=1) == (1, 0)
    assert fb.try_const(n + 1 - n, budget=0) in (None, 1)
