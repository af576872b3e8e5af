"""Bad calls of good kernels (the `@kopt.kernel` path): wrong kinds, ranks and dtypes of arguments, too many or
too few, unknown or repeated keywords, arguments a signature refuses. Each must be one KoptError located in the
kernel's file (`file:line:col`) on the line holding `at`, whose message holds `expected`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from tests.gauntlet.malformed.python_mutants import BASES, HEADER

SIG_BASES = {  # a kernel with `signature=`: what the signature refuses
    "relu_sig": '''@kopt.kernel(signature="x: f32[M, N], y: f32[M, N]")
def relu_sig(x, y):
    m, n = x.size()
    out = torch.empty_like(x)
    for tile_m, tile_n in hl.tile([m, n]):
        out[tile_m, tile_n] = torch.relu(x[tile_m, tile_n]) + y[tile_m, tile_n]
    return out
''',
}


def source(base: str) -> str:
    return HEADER + {**BASES, **SIG_BASES}[base]


@dataclass(frozen=True)
class CallMutant:
    name: str
    base: str
    call: Callable  # kernel -> result: makes the arguments and calls it
    expected: str  # a fragment of the error message
    at: str  # text of the line the error points at

    def line(self) -> int:
        return next(i for i, text in enumerate(source(self.base).splitlines(), 1) if self.at in text)


def r(*shape, dtype=torch.float32):
    return torch.randn(*shape).to(dtype)


def ids(*shape, dtype=torch.int64):
    return torch.randint(0, 3, shape, dtype=dtype)


KIND = "expected a tensor, an int, a float"
MUTANTS = [
    # ---- kinds
    CallMutant("str_for_tensor", "relu", lambda k: k("a", r(4, 5)), f"argument 'x': {KIND}", "def relu(x, y):"),
    CallMutant("dict_for_tensor", "relu", lambda k: k({}, r(4, 5)), f"argument 'x': {KIND}", "def relu(x, y):"),
    CallMutant("object_for_tensor", "relu", lambda k: k(r(4, 5), object()), f"argument 'y': {KIND}",
               "def relu(x, y):"),
    CallMutant("bytes_for_tensor", "rows", lambda k: k(b"ab"), f"argument 'x': {KIND}", "def rows(x):"),
    CallMutant("set_for_tensor", "rows", lambda k: k({1, 2}), f"argument 'x': {KIND}", "def rows(x):"),
    CallMutant("nested_list_for_tensor", "rows", lambda k: k([[1.0, 2.0]]), f"argument 'x': {KIND}", "def rows(x):"),
    CallMutant("int_for_tensor", "relu", lambda k: k(3, r(4, 5)), "`x` is a scalar (i64) here: it has no sizes",
               "m, n = x.size()"),
    CallMutant("none_for_tensor", "relu", lambda k: k(None, r(4, 5)), "`x` is None here, not a tensor",
               "m, n = x.size()"),
    CallMutant("tuple_for_tensor", "relu", lambda k: k((1, 2), r(4, 5)), "`x` is (1, 2) here, not a tensor",
               "m, n = x.size()"),
    CallMutant("function_for_tensor", "relu", lambda k: k(lambda a: a, r(4, 5)), "`x` is a function here",
               "m, n = x.size()"),
    CallMutant("no_tensor_at_all", "rows", lambda k: k(3), "a kernel needs at least one tensor argument",
               "def rows(x):"),
    # ---- dtypes
    CallMutant("complex_tensor", "relu", lambda k: k(r(4, 5, dtype=torch.complex64), r(4, 5)),
               "argument 'x': dtype torch.complex64 is not supported", "def relu(x, y):"),
    CallMutant("float_indices", "embedding", lambda k: k(r(4), r(3, 5)), "a tensor index must hold integers",
               "out[tile_b, tile_e] = weight[idx, tile_e]"),
    # ---- ranks
    CallMutant("rank_1_for_rank_2", "relu", lambda k: k(r(5), r(5)), "`x`, a tensor of rank 1, into 2 names",
               "m, n = x.size()"),
    CallMutant("rank_3_for_rank_2", "relu", lambda k: k(r(2, 4, 5), r(2, 4, 5)), "`x`, a tensor of rank 3",
               "m, n = x.size()"),
    CallMutant("rows_of_a_vector", "rows", lambda k: k(r(5)), "`x`, a tensor of rank 1", "m, n = x.size()"),
    CallMutant("indices_of_rank_2", "embedding", lambda k: k(ids(4, 2), r(3, 5)), "`ids`, a tensor of rank 2",
               "(b,) = ids.size()"),
    CallMutant("weight_of_rank_1", "embedding", lambda k: k(ids(4), r(3)), "`weight`, a tensor of rank 1",
               "_, e = weight.size()"),
    CallMutant("second_of_rank_1", "concat", lambda k: k(r(4, 3), r(4)), "`y`, a tensor of rank 1",
               "_, n2 = y.size()"),
    # ---- counts and keywords
    CallMutant("too_many_arguments", "rows", lambda k: k(r(4, 5), r(4, 5)), "rows() takes 1 arguments, got 2",
               "def rows(x):"),
    CallMutant("too_few_arguments", "concat", lambda k: k(r(4, 3)), "concat() missing argument 'y'",
               "def concat(x, y):"),
    CallMutant("unknown_keyword", "rows", lambda k: k(x=r(4, 5), scale=2), "rows() has no argument 'scale'",
               "def rows(x):"),
    CallMutant("keyword_given_twice", "rows", lambda k: k(r(4, 5), x=r(4, 5)),
               "rows() got multiple values for argument 'x'", "def rows(x):"),
    # ---- what a signature refuses
    CallMutant("signature_dtype", "relu_sig", lambda k: k(r(4, 5, dtype=torch.float16), r(4, 5)),
               "argument 'x' is f16[?, ?], but the signature says f32[M, N]", "def relu_sig(x, y):"),
    CallMutant("signature_rank", "relu_sig", lambda k: k(r(4, 5, 2), r(4, 5)),
               "argument 'x' is f32[?, ?, ?], but the signature says f32[M, N]", "def relu_sig(x, y):"),
    CallMutant("signature_scalar_for_tensor", "relu_sig", lambda k: k(r(4, 5), 2.0),
               "argument 'y' is f32, but the signature says f32[M, N]", "def relu_sig(x, y):"),
    CallMutant("signature_tied_sizes", "relu_sig", lambda k: k(r(4, 5), r(4, 6)),
               "`y.size(1)` (6) and `x.size(1)` (5) must be equal: the signature names both `N`", "signature="),
]
