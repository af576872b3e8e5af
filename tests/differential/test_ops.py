"""Differential test: every elementwise op, binary op and reduction kopt supports, against torch eager on the CPU,
over dtypes {f32, f16, i32, i64, bool} and the values that break implementations: NaN, ±inf, ±0, integer
extremes. Where torch raises, kopt must refuse too (at compile time or at the call, a KoptError); where torch
gives a value, kopt must give the same (NaNs equal, infinities equal, floats within a dtype's rounding).

Mismatches kopt knows of are listed in KNOWN with the reason (and in docs/helion-compat.md); the test fails on any
other, and on a listed one that no longer happens (so the list stays true). bf16 and denormals run only on a GPU
(benchmarks/gpu_differential.py): the interpreter's bf16 arithmetic is wrong and its denormals are numpy's.
"""

from __future__ import annotations


import pytest
import torch

from kopt.errors import KoptError
from tests.shapes.util import import_file, kernel_file

DTYPES = {"f32": torch.float32, "f16": torch.float16, "i32": torch.int32, "i64": torch.int64, "bool": torch.bool}
FLOATS = [float("nan"), float("inf"), float("-inf"), 0.0, -0.0, 1.5, -2.5, 1e-3, 3.0, -0.5, 100.0, 0.25]


def values(dtype: torch.dtype, n: int = 12) -> torch.Tensor:
    if dtype == torch.bool:
        return torch.tensor([True, False] * (n // 2))
    if dtype.is_floating_point:
        return torch.tensor(FLOATS[:n]).to(dtype)
    info = torch.iinfo(dtype)
    base = [0, 1, -1, info.max, info.min, 7, -7, 2, 3, -3, 100, -100]
    return torch.tensor(base[:n], dtype=dtype)


UNARY = ["torch.exp", "torch.exp2", "torch.expm1", "torch.log", "torch.log2", "torch.log1p", "torch.sqrt",
         "torch.rsqrt", "torch.sigmoid", "torch.tanh", "torch.abs", "torch.neg", "torch.relu", "torch.sin", "torch.cos",
         "torch.erf", "torch.floor", "torch.ceil", "torch.square", "torch.reciprocal",
         "torch.nn.functional.silu", "torch.nn.functional.gelu"]
BINARY = ["+", "-", "*", "/", "//", "%", "torch.maximum", "torch.minimum", "<", "<=", "==", "!=", "&", "|"]
REDUCTIONS = ["sum", "prod", "amax", "amin", "argmax", "argmin", "mean", "logsumexp", "softmax", "log_softmax", "var"]

# (op, dtype) -> why kopt differs from torch there (docs/helion-compat.md lists them too)
_INT_DIV0 = ("integer division by zero: torch's CPU kernel raises ZeroDivisionError; a GPU kernel cannot raise "
             "(kopt, as torch's CUDA kernel, gives an unspecified value)")
KNOWN: dict[tuple[str, str], str] = {
    ("torch.nn.functional.gelu", "f32"): "gelu(+inf): torch's CPU kernel gives NaN; kopt gives inf, as x * Phi(x) does",
    ("//", "i32"): _INT_DIV0, ("%", "i32"): _INT_DIV0, ("//", "i64"): _INT_DIV0, ("%", "i64"): _INT_DIV0,
}


_SYMBOLS = {"+": "add", "-": "sub", "*": "mul", "/": "div", "//": "floordiv", "%": "mod", "<": "lt", "<=": "le",
            "==": "eq", "!=": "ne", "&": "and", "|": "or"}


def _name(op: str) -> str:
    return _SYMBOLS.get(op) or "".join(c if c.isalnum() else "_" for c in op)


def _unary_src(op: str) -> str:
    return f"""@kopt.kernel
def u_{_name(op)}(x):
    n = x.size(0)
    out = torch.empty([n], dtype=torch.float64, device=x.device)
    for t in hl.tile(n):
        out[t] = {op}(x[t]).to(torch.float64)
    return out
"""


def _binary_src(op: str) -> str:
    expr = f"{op}(x[t], y[t])" if op.startswith("torch.") else f"x[t] {op} y[t]"
    return f"""@kopt.kernel
def b_{_name(op)}(x, y):
    n = x.size(0)
    out = torch.empty([n], dtype=torch.float64, device=x.device)
    for t in hl.tile(n):
        out[t] = ({expr}).to(torch.float64)
    return out
"""


def _reduction_src(op: str) -> str:
    call = f"torch.{op}(x[t, :], -1)" if op in ("logsumexp", "softmax", "log_softmax") else f"x[t, :].{op}(-1)"
    rank = 2 if op in ("softmax", "log_softmax") else 1
    shape = "[m, n]" if rank == 2 else "[m]"
    sub = "t, :" if rank == 2 else "t"
    return f"""@kopt.kernel
def r_{op}(x):
    m, n = x.size()
    out = torch.empty({shape}, dtype=torch.float64, device=x.device)
    for t in hl.tile(m):
        out[{sub}] = {call}.to(torch.float64)
    return out
"""


@pytest.fixture(scope="module")
def kernels(tmp_path_factory):
    src = "".join(_unary_src(o) for o in UNARY) + "".join(_binary_src(o) for o in BINARY) \
        + "".join(_reduction_src(o) for o in REDUCTIONS)
    return import_file(kernel_file(tmp_path_factory.mktemp("differential"), "ops", src))


def _torch_unary(op: str):
    return eval(op, {"torch": torch})  # noqa: S307 - the op names above, torch's own functions


def _expected(fn):
    try:
        return fn(), None
    except (RuntimeError, TypeError) as e:
        return None, e


TOL = {torch.float16: 2e-3, torch.float32: 2e-6, torch.bfloat16: 1.6e-2}  # the rounding of torch's result


def _compare(name: str, dtype: str, kernel_call, torch_call) -> str | None:
    """None when kopt agrees with torch; else what differs."""
    want, torch_error = _expected(torch_call)
    try:
        got = kernel_call()
    except KoptError as e:
        return None if torch_error is not None else f"kopt raised, torch gives a value: {str(e).splitlines()[0]}"
    if torch_error is not None:
        return f"torch raises ({str(torch_error).splitlines()[0][:80]}), kopt gives {got.tolist()}"
    tol = TOL.get(want.dtype, 1e-9)
    want = want.to(torch.float64)
    close = torch.isclose(got, want, rtol=tol, atol=tol, equal_nan=True) | (torch.isinf(got) & (got == want))
    if bool(close.all()):
        return None
    bad = (~close).nonzero().flatten().tolist()[:3]
    return f"at {bad}: kopt {[got[i].item() for i in bad]}, torch {[want[i].item() for i in bad]}"


def _cases():
    for dtype in DTYPES:
        for op in UNARY:
            yield pytest.param("unary", op, dtype, id=f"{op}-{dtype}")
        for op in BINARY:
            yield pytest.param("binary", op, dtype, id=f"{op}-{dtype}")
        for op in REDUCTIONS:
            yield pytest.param("reduction", op, dtype, id=f"{op}-{dtype}")


def _run(kernels, kind: str, op: str, dtype: str) -> str | None:
    dt = DTYPES[dtype]
    if kind == "unary":
        x = values(dt)
        return _compare(op, dtype, lambda: getattr(kernels, f"u_{_name(op)}")(x), lambda: _torch_unary(op)(x))
    if kind == "binary":
        x, y = values(dt), values(dt).flip(0)
        fn = getattr(kernels, f"b_{_name(op)}")
        ref = (lambda: _torch_unary(op)(x, y)) if op.startswith("torch.") else \
            (lambda: eval(f"x {op} y", {"x": x, "y": y}))  # noqa: S307
        return _compare(op, dtype, lambda: fn(x, y), ref)
    rows = values(dt).reshape(3, 4)
    rows = torch.cat([rows, values(dt).flip(0).reshape(3, 4)])
    ref = (lambda: getattr(torch, op)(rows, -1)) if op in ("logsumexp", "softmax", "log_softmax") else \
        (lambda: getattr(rows, op)(-1))
    return _compare(op, dtype, lambda: getattr(kernels, f"r_{op}")(rows), ref)


@pytest.mark.parametrize("kind,op,dtype", list(_cases()))
def test_op_matches_torch(kernels, kind, op, dtype):
    problem = _run(kernels, kind, op, dtype)
    known = KNOWN.get((op, dtype))
    if known is not None:
        assert problem is not None, f"{op} on {dtype} now matches torch: remove it from KNOWN ({known})"
        pytest.xfail(known)
    assert problem is None, f"{op} on {dtype}: {problem}"


def test_mismatch_count_is_what_docs_say():
    docs = (__import__("pathlib").Path(__file__).resolve().parents[2] / "docs" / "helion-compat.md").read_text()
    for (op, dtype), reason in KNOWN.items():
        assert f"`{op}` on {dtype}" in docs, f"docs/helion-compat.md should list `{op}` on {dtype}: {reason}"


@pytest.mark.parametrize("dtype", ["f16"])
def test_half_quotient_is_rounded_to_half(kernels, dtype):
    """Triton divides halves in fp32 and keeps the fp32 result; torch rounds to the half type (overflow -> inf)."""
    x = torch.tensor([6e4, -6e4, 1.0, 3.0], dtype=DTYPES[dtype])
    y = torch.tensor([0.5, 0.5, 3.0, 7.0], dtype=DTYPES[dtype])
    got = kernels.b_div(x, y)
    torch.testing.assert_close(got, (x / y).to(torch.float64), rtol=0, atol=0)
    assert got[0].item() == float("inf") and got[1].item() == float("-inf")
