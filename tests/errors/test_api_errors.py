"""Mistakes that only the library path meets (`@kopt.kernel` and its call): each is one KoptError located in the
user's file, `file:line:col`, with the source line and a caret; never a raw Python error or a wrong answer."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from kopt.errors import KoptError

HEADER = "import torch\n\nimport kopt\nimport kopt.language as hl\n\n\n"


def load(tmp_path, body: str, name: str = "k"):
    """The kernel `name` of a module made of `body` (written to a file, so that its source is there to point
    into); returns (kernel, path, lines of the file)."""
    text = HEADER + textwrap.dedent(body)
    path = tmp_path / f"api_case_{abs(hash(body))}.py"
    path.write_text(text)
    return load_file(path, name)


def load_file(path, name: str):
    """The kernel `name` of the module in file `path`; returns (kernel, path, lines of the file)."""
    text = path.read_text()
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(path.stem, None)
    return getattr(module, name), str(path), text.splitlines()


def located(info, path: str, lines: list[str], at: str, message: str, caret: str | None = None) -> KoptError:
    """The error is at the first line holding `at`, at the column of `caret` in it (default: of `at`), and its
    message holds `message`."""
    e = info.value
    want = next(i for i, line in enumerate(lines) if at in line) + 1
    assert e.loc is not None and (e.loc.file, e.loc.line) == (path, want), e.format()
    text = lines[want - 1]
    assert e.loc.col == (text.index(caret, text.index(at)) if caret else text.index(at)) + 1, e.format()
    assert message in e.message, e.format()
    shown = e.format().splitlines()
    assert shown[1] == lines[want - 1] and shown[2] == " " * (e.loc.col - 1) + "^", e.format()
    return e


def test_varargs_kernel_called_is_located_at_the_star_argument(tmp_path):
    k, path, lines = load(tmp_path, """\
        @kopt.kernel
        def k(*xs):
            x = xs[0]
            (n,) = x.size()
            out = torch.empty_like(x)
            for t in hl.tile(n):
                out[t] = x[t]
            return out
        """)
    with pytest.raises(KoptError) as info:
        k(torch.randn(8))
    located(info, path, lines, "xs):", "`*xs`: kernels cannot take *args")


def test_yield_in_a_kernel_is_named(tmp_path):
    k, path, lines = load(tmp_path, """\
        @kopt.kernel
        def k(x):
            (n,) = x.size()
            out = torch.empty_like(x)
            for t in hl.tile(n):
                yield x[t]
            return out
        """)
    with pytest.raises(KoptError) as info:
        k(torch.randn(8))
    located(info, path, lines, "yield", "`yield` is not supported in a kernel")


def test_f64_matmul_into_an_f32_accumulator_names_both_dtypes():
    """The error corpus's case (the CLI path) called through `@kopt.kernel`."""
    mm, path, lines = load_file(Path(__file__).parent / "dsl_f64_matmul_f32_accumulator.py", "mm")
    x = torch.randn(8, 8, dtype=torch.float64)
    with pytest.raises(KoptError) as info:
        mm(x, x)
    e = located(info, path, lines, "for tile_k", "`acc` changes dtype in the loop: f32 before, f64 after")
    assert "hl.zeros(..., dtype=torch.float64)" in e.notes[0]


@pytest.mark.parametrize("call, at, message", [
    (lambda k, x: k(x, x, x), "def k(x, y):", "k() takes 2 arguments, got 3"),
    (lambda k, x: k(x, z=x), "def k(x, y):", "k() has no argument 'z'"),
    (lambda k, x: k(x), "y):", "k() missing argument 'y'"),
])
def test_call_with_wrong_arguments_is_located_at_the_def(tmp_path, call, at, message):
    k, path, lines = load(tmp_path, """\
        @kopt.kernel
        def k(x, y):
            (n,) = x.size()
            out = torch.empty_like(x)
            for t in hl.tile(n):
                out[t] = x[t] + y[t]
            return out
        """)
    with pytest.raises(KoptError) as info:
        call(k, torch.randn(8))
    located(info, path, lines, at, message)


def test_a_value_returned_after_its_loop_is_located_not_a_name_error(tmp_path):
    k, path, lines = load(tmp_path, """\
        @kopt.kernel
        def k(x):
            (n,) = x.size()
            out = torch.empty_like(x)
            for t in hl.tile(n):
                v = x[t]
                out[t] = v
            return v
        """)
    with pytest.raises(KoptError) as info:
        k(torch.randn(8))
    located(info, path, lines, "return v", "`v` is a value computed in the device loop on line 11", caret="v")


def test_a_0d_tensor_in_tile_arithmetic_is_its_value(tmp_path):
    k, _, _ = load(tmp_path, """\
        @kopt.kernel
        def k(x, s):
            (n,) = x.size()
            out = torch.empty_like(x)
            for t in hl.tile(n):
                out[t] = x[t] * s + s
            return out
        """)
    x, s = torch.randn(10), torch.tensor(3.0)
    torch.testing.assert_close(k(x, s), x * s + s)


def test_a_signature_ties_sizes_on_the_library_path_as_on_the_command_line(tmp_path):
    """`N` named twice in `signature=` is one size: compiled as one symbol, and a call whose sizes differ is a
    KoptError located at the second `N` in the decorator's string (as the launcher checks assumed equalities)."""
    k, path, lines = load(tmp_path, """\
        @kopt.kernel(signature="x: f32[M, N], y: i32[N, N]")
        def k(x, y):
            m, n = x.size()
            out = torch.empty_like(x)
            for tm, tn in hl.tile([m, n]):
                out[tm, tn] = x[tm, tn] * y[tn, 0].to(torch.float32)
            return out
        """)
    x, y = torch.randn(4, 6), torch.randint(0, 5, (6, 6), dtype=torch.int32)
    torch.testing.assert_close(k(x, y), x * y[:, 0].to(torch.float32))
    assert "y.size(0) != x.size(1)" in k.compile(x, y).triton_source
    with pytest.raises(KoptError) as info:
        k(x, torch.randint(0, 5, (7, 7), dtype=torch.int32))
    e = located(info, path, lines, "signature=", "`y.size(0)` (7) and `x.size(1)` (6) must be equal: the signature "
                "names both `N`", caret="N, N]")
    assert "`N`" in e.notes[0]


def test_a_signature_literal_size_is_checked_at_the_call(tmp_path):
    k, path, lines = load(tmp_path, """\
        @kopt.kernel(signature="x: f32[M, 8]")
        def k(x):
            m, n = x.size()
            out = torch.empty_like(x)
            for tm, tn in hl.tile([m, n]):
                out[tm, tn] = x[tm, tn] + 1
            return out
        """)
    torch.testing.assert_close(k(torch.ones(3, 8)), torch.full((3, 8), 2.0))
    with pytest.raises(KoptError) as info:
        k(torch.ones(3, 9))
    located(info, path, lines, "signature=", "`x.size(1)` is 9, but the signature says 8", caret="8]")


def test_a_config_with_more_block_sizes_than_tile_blocks_is_an_error_at_the_def(tmp_path):
    k, path, lines = load(tmp_path, """\
        @kopt.kernel(config=kopt.Config(block_sizes=[16, 16, 16]))
        def k(x):
            (n,) = x.size()
            out = torch.empty_like(x)
            for t in hl.tile(n):
                out[t] = x[t] + 1
            return out
        """)
    with pytest.raises(KoptError) as info:
        k(torch.randn(8))
    e = located(info, path, lines, "def k(x):", "kopt.Config(block_sizes=[16, 16, 16]) gives 3 block sizes, but "
                "kernel `k` has 1")
    assert "block_sizes[0] is the block of the tile loop on line 11 over `n`" in e.notes


def test_a_config_whose_tiles_pass_triton_s_element_limit_is_an_error_before_triton(tmp_path):
    k, path, lines = load(tmp_path, """\
        @kopt.kernel(config=kopt.Config(block_sizes=[2**20, 2**20]))
        def k(x):
            m, n = x.size()
            out = torch.empty_like(x)
            for tm, tn in hl.tile([m, n]):
                out[tm, tn] = x[tm, tn] + 1
            return out
        """)
    with pytest.raises(KoptError) as info:
        k(torch.randn(4, 4))
    e = located(info, path, lines, "out[tm, tn] = x[tm, tn] + 1", "would hold 1048576 x 1048576 = 1099511627776 "
                "elements, more than Triton's 1048576 (2**20) per tensor", caret="x[tm, tn]")
    assert e.notes[0] == "with kopt.Config(block_sizes=[1048576, 1048576])"


def test_a_config_field_mistake_is_located_at_the_config_call(tmp_path):
    with pytest.raises(KoptError) as info:
        load(tmp_path, """\
            k = kopt.Config(block_sizes=[2**21])
            """)
    e = info.value
    assert e.loc is not None and e.loc.file.endswith(".py") and e.loc.line == 7 and e.loc.col == 5, e.format()
    assert e.message == "kopt.Config: block size 2097152 is more than Triton's 1048576 (2**20) elements per block"


def test_block_size_literal_past_triton_s_limit_on_the_library_path(tmp_path):
    k, path, lines = load(tmp_path, """\
        @kopt.kernel
        def k(x):
            (n,) = x.size()
            out = torch.empty_like(x)
            for t in hl.tile(n, block_size=2**21):
                out[t] = x[t]
            return out
        """)
    with pytest.raises(KoptError) as info:
        k(torch.randn(8))
    located(info, path, lines, "block_size=2**21", "block_size 2097152 is more than Triton's", caret="2**21")


def test_an_unknown_kernel_option_is_located_at_the_decorator(tmp_path):
    with pytest.raises(KoptError) as info:
        load(tmp_path, """\
            @kopt.kernel(sigature="x: f32[N]")
            def k(x):
                return x
            """)
    e = info.value
    assert e.message == "@kopt.kernel: unknown option 'sigature'" and (e.loc.line, e.loc.col) == (7, 2), e.format()
