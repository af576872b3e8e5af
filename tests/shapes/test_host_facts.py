"""`assert`s on sizes in host code become facts of the kernels launched after them; hl.specialize
names a size and marks it for the runtime."""

from __future__ import annotations

import pytest
import torch

from tests.shapes.util import import_file, kernel_file, run_cli

ROW_SUM = """@kopt.kernel
def row_sum(x):
    n, m = x.size()
{pre}    out = torch.empty([n], dtype=x.dtype, device=x.device)
{post}    for t in hl.tile(n):
        out[t] = x[t, :].sum(-1)
    return out
"""


def _facts_line(tmp_path, pre: str = "", post: str = "") -> str:
    indent = lambda s: "".join(f"    {line}\n" for line in s.splitlines() if line)  # noqa: E731
    path = kernel_file(tmp_path, "rs", ROW_SUM.format(pre=indent(pre), post=indent(post)))
    code, out, err = run_cli(str(path), "--emit=tile")
    assert code == 0, err
    kernel = next(line for line in out.splitlines() if "tile.kernel" in line)
    return kernel[kernel.index("attributes"):]


@pytest.mark.parametrize("stmt, facts", [
    ("assert n % 16 == 0", '["n % 16 == 0"]'),
    ("assert x.size(1) == 1024", '["m == 1024"]'),
    ("assert x.shape[1] >= 8 and n <= 4096", '["m >= 8", "n <= 4096"]'),
    ("assert 1 <= m <= 65536", '["1 <= m <= 65536"]'),
    ("assert (n * m) % 128 == 0", '["m*n % 128 == 0"]'),
])
def test_size_asserts_become_facts(tmp_path, stmt, facts):
    assert f"facts {facts}" in _facts_line(tmp_path, pre=stmt)


@pytest.mark.parametrize("stmt", [
    "assert x.dtype == torch.float32",  # not about sizes
    "assert n != 3",  # no such fact
    "assert n % 16 == 0 or m % 16 == 0",  # a disjunction is no fact
    "assert x.is_contiguous()",
])
def test_other_asserts_stay_plain_python(tmp_path, stmt):
    assert "facts" not in _facts_line(tmp_path, pre=stmt)


def test_a_reassigned_name_drops_its_assert(tmp_path):
    assert "facts" not in _facts_line(tmp_path, pre="assert n % 16 == 0\nn = n - 1")
    assert "facts" not in _facts_line(tmp_path, pre="assert x.size(1) == 1024\nx = x[:, :7]")
    # an assert after the reassignment counts again
    assert 'facts ["n % 8 == 0"]' in _facts_line(tmp_path, pre="n = n - 1", post="assert n % 8 == 0")


def test_assert_facts_elide_masks_and_the_assert_guards_them(tmp_path):
    body = ROW_SUM.format(pre="    assert x.size(1) == 256\n", post="")
    path = kernel_file(tmp_path, "rs_run", body)
    code, out, err = run_cli(str(path), "--emit=shapes")
    assert code == 0, err
    assert "elided: m = 256 and _RDIM_SIZE_1 = next_power_of_2(m) = 256" in out
    module = import_file(path)
    for n in (1, 7, 97):
        x = torch.randn(n, 256)
        torch.testing.assert_close(module.row_sum(x), x.sum(-1), atol=1e-4, rtol=1e-5)
    with pytest.raises(AssertionError):  # a shape the elided mask would mishandle never reaches the kernel
        module.row_sum(torch.randn(3, 200))


SPECIALIZED = """@kopt.kernel
def rs(x):
    n = hl.specialize(x.size(0))
    m = hl.specialize(x.size(1))
    out = torch.empty([n], dtype=x.dtype, device=x.device)
    for t in hl.tile(n):
        out[t] = x[t, :].sum(-1)
    return out
"""


def test_specialize_names_the_size_and_marks_it(tmp_path):
    path = kernel_file(tmp_path, "spec", SPECIALIZED)
    code, out, err = run_cli(str(path), "--emit=tile")
    assert code == 0, err
    assert 'specialized = ["n", "m"]' in out
    assert "!tile.tensor<[n, m], f32" in out
    code, out, err = run_cli(str(path), "--emit=shapes", "--assume", "m == 64")
    assert code == 0, err
    assert "specialized (the runtime states their values): n, m" in out
    assert "elided: m = 64 and _RDIM_SIZE_1 = next_power_of_2(m) = 64" in out


def test_specialized_kernel_runs(tmp_path):
    module = import_file(kernel_file(tmp_path, "spec_run", SPECIALIZED))
    for shape in [(1, 1), (7, 97), (64, 64)]:
        x = torch.randn(*shape)
        torch.testing.assert_close(module.rs(x), x.sum(-1), atol=1e-4, rtol=1e-5)
