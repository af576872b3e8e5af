"""kopt/backends/host_hoist.py: a launch's repeated size and stride reads bound once, string literals untouched."""

from __future__ import annotations

from kopt.backends.host_hoist import hoist_size_reads


def test_reads_used_twice_are_bound_once_before_the_launch():
    lines = ["if x.size(0) > 0:",
             "    B = min(64, x.size(0))",
             "    k[(cdiv(x.size(0), B),)](x, y, x.stride(0), y.size(1), x.size(0))"]
    assert hoist_size_reads(lines) == ["_x_size_0 = x.size(0)",
                                       "if _x_size_0 > 0:",
                                       "    B = min(64, _x_size_0)",
                                       "    k[(cdiv(_x_size_0, B),)](x, y, x.stride(0), y.size(1), _x_size_0)"]


def test_string_literals_and_attribute_chains_are_left_alone():
    lines = ["if not (x.size(0) <= y.size(0)):",
             "    raise KoptError(f'x is {x.size(0)} long, `x.size(0)` too', notes=['x.size(0)'])",
             "k[(1,)](x, a.x.size(0), a.x.size(0), y.size(0))"]
    # x.size(0) is read once in code (the rest is text): only y.size(0) is bound
    assert hoist_size_reads(lines) == ["_y_size_0 = y.size(0)",
                                       "if not (x.size(0) <= _y_size_0):",
                                       lines[1],  # the message's text and its f-string as written
                                       "k[(1,)](x, a.x.size(0), a.x.size(0), _y_size_0)"]


def test_nothing_repeated_or_untokenizable_is_returned_unchanged():
    once = ["k[(1,)](x, x.size(0), x.stride(0))"]
    assert hoist_size_reads(once) == once
    broken = ["if x.size(0) > 0 and (", "    k(x.size(0))"]
    assert hoist_size_reads(broken) == broken
