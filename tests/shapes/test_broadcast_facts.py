"""Broadcasting two different size symbols is accepted exactly when the kernel's facts prove them equal."""

from __future__ import annotations

import pytest
import torch

from tests.shapes.util import import_file, kernel_file, run_cli

ADD_ROWS = """@kopt.kernel
def add_rows(x, y):
    n, m = x.size()
    p, q = y.size()
{asserts}    out = torch.empty_like(x)
    for t in hl.tile(n):
        out[t, :] = x[t, :] + y[t, :]
    return out
"""


def _add_rows(tmp_path, asserts: str = "", name: str = "add_rows"):
    body = ADD_ROWS.format(asserts="".join(f"    {a}\n" for a in asserts.splitlines() if a))
    return kernel_file(tmp_path, name, body)


def test_unproven_sizes_are_assumed_and_checked_at_launch(tmp_path):
    code, out, err = run_cli(str(_add_rows(tmp_path)), "--emit=shapes")
    assert code == 0, err
    lines = out.splitlines()
    assert "  assumed, checked at launch (1):" in lines
    assert "    q == m  (line 11)" in lines  # `out[t, :] = x[t, :] + y[t, :]`
    code, out, err = run_cli(str(_add_rows(tmp_path)))
    assert code == 0, err
    assert "if not (q == m):" in out and "must be equal here: the kernel was compiled assuming so" in out


def test_sizes_proven_different_are_a_located_error(tmp_path):
    code, _, err = run_cli(str(_add_rows(tmp_path, "assert q == m + 1")), "--emit=shapes")
    lines = err.splitlines()
    assert code == 1
    assert lines[0].endswith("error: cannot broadcast shapes [_BLOCK_SIZE_0, m] and [_BLOCK_SIZE_0, q]")
    assert any(line.startswith("note: dim -1 differs: m vs q (the facts say they differ") for line in lines)


@pytest.mark.parametrize("how", [("--assume", "m == q"), ("--assume", "q == m")])
def test_assumed_equality_is_accepted(tmp_path, how):
    code, out, err = run_cli(str(_add_rows(tmp_path)), "--emit=shapes", *how)
    assert code == 0, err
    add_line = next(line for line in out.splitlines() if "tile.add" in line)
    assert add_line.rstrip().endswith("[_BLOCK_SIZE_0, _RDIM_SIZE_1] f32")


def test_host_assert_is_a_fact_of_the_kernel(tmp_path):
    path = _add_rows(tmp_path, "assert m == q")
    code, out, err = run_cli(str(path), "--emit=tile")
    assert code == 0, err
    assert 'facts ["m == q"]' in out
    code, out, err = run_cli(str(path), "--emit=shapes")
    assert code == 0, err
    assert "    m = q" in out.splitlines()


def test_shared_signature_names_need_no_fact(tmp_path):
    code, _, err = run_cli(str(_add_rows(tmp_path)), "--emit=shapes", "--signature", "x: f32[B, N], y: f32[B, N]")
    assert code == 0, err


def test_a_size_proven_to_be_one_stretches(tmp_path):
    code, out, err = run_cli(str(_add_rows(tmp_path)), "--emit=tt", "--pass-pipeline=shape-inference",
                             "--assume", "q == 1")
    assert code == 0, err
    assert "tile.add" in out and "-> !tile.tile<[_BLOCK_SIZE_0, m], f32>" in out


def test_sizes_proven_different_are_an_error_saying_so(tmp_path):
    code, _, err = run_cli(str(_add_rows(tmp_path)), "--emit=shapes", "--assume", "m == 4", "--assume", "q == 8")
    assert code == 1
    assert "note: dim -1 differs: m vs q (the facts say they differ: m == q: the difference is 4)" in err, err
    assert "--assume" not in err


def test_contradictory_facts_are_a_located_error(tmp_path):
    code, _, err = run_cli(str(_add_rows(tmp_path)), "--emit=shapes", "--assume", "m == 4", "--assume", "m == 8")
    assert code == 1
    assert "error: in the shape facts of kernel @_add_rows_kernel: m is already known to be 4, not 8" in err


def test_asserted_equality_runs_and_the_assert_guards_the_launch(tmp_path):
    module = import_file(_add_rows(tmp_path, "assert m == q", name="add_rows_run"))
    for n, m in [(1, 1), (7, 97), (33, 257)]:
        x, y = torch.randn(n, m), torch.randn(n, m)
        torch.testing.assert_close(module.add_rows(x, y), x + y)
    with pytest.raises(AssertionError):  # the fact's own check, in the launcher, before any launch
        module.add_rows(torch.randn(3, 5), torch.randn(3, 6))
    assert module.add_rows.cache_info().currsize == 1  # one compile (or disk-cache load) for every size
