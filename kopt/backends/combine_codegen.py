"""The Triton emitters of the reductions and scans with a user's combine function (`tile.reduce_fn`,
`tile.scan_fn`): the op's region becomes a module-level `@triton.jit def _kopt_combine_<n>(a0, a1, b0, b1)`,
written by a kernel writer of its own (so every op's emitter applies inside it), and the op a call of
`tl.reduce(x, dim, _kopt_combine_<n>, keep_dims=...)` / `tl.associative_scan(x, dim, _kopt_combine_<n>,
reverse=...)`, several inputs and results as Triton tuples. Identical combine functions share one helper.
"""

from __future__ import annotations

from xdsl.ir import SSAValue

from kopt.backends.exprs import is_atom
from kopt.backends.triton_emitters import TRITON
from kopt.dialects import tile as T
from kopt.dialects.dtypes import is_low_precision, triton_name
from kopt.ir.util import op_error


def combine_function(w, op: T.ReduceFnOp | T.ScanFnOp) -> str:
    """The name of the module-level helper that computes the op's combine region (written on first use)."""
    sub = type(w)(w.kernel)  # a writer of its own: the helper's names and lines
    k = len(op.inputs)
    params = []
    for i, arg in enumerate(op.body.args):
        params.append(sub.fresh(arg.name_hint or f"{'ab'[i >= k]}{i % k}"))
        sub.names[arg] = params[-1]
    for inner in op.body.ops:
        if not isinstance(inner, T.YieldOp):
            sub.op(inner)
    if sub.symbols:
        raise op_error(op, f"the combine function of `{op.name}` reads the sizes {sorted(sub.symbols)} of the kernel",
                       "a combine function sees only its arguments and numbers")
    lines = [*sub.lines, f"return {', '.join(_returned(sub, op, v) for v in op.yielded())}"]
    text = f"({', '.join(params)}):\n" + "\n".join("    " + line for line in lines) + "\n"
    if text not in w.helpers:
        w.helpers[text] = f"_kopt_combine_{len(w.helpers)}"
    return w.helpers[text]


def _returned(sub, op, v: SSAValue) -> str:
    """A value the combine function returns. Triton computes some half-precision math in fp32 (`tl.maximum` of
    two bf16 scalars), and a combine function must return its inputs' types exactly: such results are rounded
    back."""
    text = sub.tensor_value(v)
    elem = v.type.element_type
    if not is_low_precision(elem) or v in op.body.args or isinstance(v.owner, T.ConstantOp):
        return text
    return f"{text if is_atom(text) else f'({text})'}.to({triton_name(elem)})"


def helper_sources(helpers: dict[str, str]) -> list[str]:
    """The `@triton.jit` helpers a module's kernels call (`helpers`: signature and body -> name)."""
    return [f"@triton.jit\ndef {name}{text}" for text, name in helpers.items()]


def _inputs(w, values) -> str:
    refs = [w.ref(v) for v in values]
    return refs[0] if len(refs) == 1 else f"({', '.join(refs)})"


def _define_all(w, results: list[SSAValue], expr: str, hint: str) -> None:
    """One result: a named line; several: `a, b = expr` (a result nothing reads is `_`)."""
    if len(results) == 1:
        w.define(results[0], expr, hint)
        return
    names = []
    for r in results:
        name = w.fresh(r.name_hint or hint) if r.uses else "_"
        w.names[r] = name
        names.append(name)
    w.emit(f"{', '.join(names)} = {expr}")


@TRITON.emits(T.ReduceFnOp)
def _reduce_fn(w, op: T.ReduceFnOp) -> None:
    keep = ", keep_dims=True" if op.keeps_dim else ""
    call = f"tl.reduce({_inputs(w, op.inputs)}, {op.axis}, {combine_function(w, op)}{keep})"
    _define_all(w, list(op.res), call, "reduced")


@TRITON.emits(T.ScanFnOp)
def _scan_fn(w, op: T.ScanFnOp) -> None:
    reverse = ", reverse=True" if op.is_reverse else ""
    call = f"tl.associative_scan({_inputs(w, op.inputs)}, {op.axis}, {combine_function(w, op)}{reverse})"
    _define_all(w, list(op.res), call, "scanned")
