"""Specialization: what about the arguments changes the generated code, and the facts it states.

A call's key holds, per argument, its kind, dtype and rank; with `static_shapes=True`
its sizes; with `specialize_divisibility=True` which of its sizes and strides are
divisible by 16 (as Triton specializes its integer arguments). The sizes and
divisibility become shape facts (`n == 4096`, `x_stride_0 % 16 == 0`) that
mask elision can use. Facts are made per parameter position (`ArgFact`) and get
their symbol names from the built IR (`resolve`): the frontend names sizes after
the user's variables (`n, _m = x.size()`), which only the IR knows.
"""

from __future__ import annotations

from dataclasses import dataclass

from kopt.errors import KoptError
from kopt.frontend.signature import ArgSpec, ConstSpec, DtypeValue, ScalarSpec, TensorSpec
from kopt.launch import hostmath

DIVISOR = 16
_DTYPES: dict[object, str | None] = {}  # torch dtype -> kopt short name, filled on first sight


@dataclass(frozen=True)
class ArgFact:
    """`relation` holds for size or stride `index` of parameter `param`: ("x", "stride", 0, "% 16 == 0")."""

    param: str
    what: str  # "size" | "stride"
    index: int
    relation: str


def _short_dtype(dtype) -> str | None:
    if dtype not in _DTYPES:
        from kopt.dialects.dtypes import from_torch_name

        _DTYPES[dtype] = from_torch_name(str(dtype))
    return _DTYPES[dtype]


def arg_key(name: str, v, static_shapes: bool, divisibility: bool) -> tuple:
    """The part of the key one argument contributes (cheap: this runs on every call)."""
    if hasattr(v, "data_ptr") and hasattr(v, "dtype"):  # a torch.Tensor, without importing torch here
        dtype = _short_dtype(v.dtype)
        if dtype is None:
            raise KoptError(f"argument {name!r}: dtype {v.dtype} is not supported by kopt")
        shape = tuple(v.shape)
        div = None
        if divisibility:
            div = tuple(s % DIVISOR == 0 for s in shape) + tuple(s % DIVISOR == 0 for s in v.stride())
        return ("tensor", dtype, len(shape), shape if static_shapes else None, div, v.device.type)
    if v is None or isinstance(v, bool):
        return ("const", v)
    if isinstance(v, int):
        return ("int",)
    if isinstance(v, float):
        return ("float",)
    if isinstance(v, (tuple, list)) and all(isinstance(e, int) and not isinstance(e, bool) for e in v):
        return ("const", tuple(v))
    if type(v).__name__ == "dtype" and type(v).__module__ == "torch":
        short = _short_dtype(v)
        if short is None:
            raise KoptError(f"argument {name!r}: dtype {v} is not supported by kopt")
        return ("const", DtypeValue(short))
    if callable(v) and hasattr(v, "__code__"):  # an epilogue, a score_mod: inlined, keyed by code and constants
        from kopt.frontend.callables import CallableRef, read_callable

        try:
            return ("const", CallableRef(v, read_callable(v)))
        except KoptError as e:
            raise KoptError(f"argument {name!r}: {e.message}", notes=e.notes) from None
    raise KoptError(f"argument {name!r}: expected a tensor, an int, a float, a bool, None, a tuple of ints, a "
                    f"torch.dtype or a function, got {type(v).__name__}")


def call_key(params: list[str], values: list, static_shapes: bool, divisibility: bool) -> tuple[tuple, str]:
    """(key of the arguments, device type); every tensor must be on one device type."""
    items = tuple(arg_key(p, v, static_shapes, divisibility) for p, v in zip(params, values))
    devices = {(it[5], p) for it, p in zip(items, params) if it[0] == "tensor"}
    kinds = {d for d, _ in devices}
    if not kinds:
        raise KoptError("a kernel needs at least one tensor argument")
    if len(kinds) > 1:
        first = sorted(devices)
        raise KoptError(f"argument {first[-1][1]!r} is on {first[-1][0]}, argument {first[0][1]!r} on {first[0][0]}",
                        notes=["pass every tensor on the same device type"])
    return items, kinds.pop()


def specs_and_facts(params: list[str], items: tuple) -> tuple[dict[str, ArgSpec], tuple[ArgFact, ...]]:
    """The argument types the frontend builds for, and the facts the key stands for."""
    specs: dict[str, ArgSpec] = {}
    facts: list[ArgFact] = []
    for extra in items[len(params):]:
        if extra[0] == "units":  # ("units", ((param, dim), ...)): sizes of 1 that broadcast
            facts += [ArgFact(p, "size", i, "== 1") for p, i in extra[1]]
        elif extra[0] == "sizes":  # ("sizes", ((param, dim, value), ...)): hl.specialize'd sizes
            facts += [ArgFact(p, "size", i, f"== {v}") for p, i, v in extra[1]]
    for p, it in zip(params, items):
        if it[0] == "int":
            specs[p] = ScalarSpec("i64")
        elif it[0] == "float":
            specs[p] = ScalarSpec("f32")
        elif it[0] == "const":
            specs[p] = ConstSpec(it[1])
        else:
            _, dtype, rank, shape, div, _device = it
            specs[p] = TensorSpec(dtype, rank)
            facts += [ArgFact(p, "size", i, f"== {s}") for i, s in enumerate(shape or ())]
            for i, ok in enumerate(div or ()):
                what, index = ("size", i) if i < rank else ("stride", i - rank)
                if ok and not (what == "size" and shape):  # a static size already says more
                    facts.append(ArgFact(p, what, index, f"% {DIVISOR} == 0"))
    return specs, tuple(facts)


# ------------------------------------------------------------------ symbols of the built IR


def param_symbols(module) -> dict[str, tuple[str, str, int]]:
    """symbol -> (parameter, "size" | "stride", index), read from the kernels' argument types.

    Size and stride symbols of a parameter tensor that some kernel takes, and integer
    scalar parameters (their own name). Symbols of allocated tensors that share a size
    (`out = torch.empty_like(x)` has `x`'s sizes) resolve through the parameter.
    """
    from kopt.dialects import tile as T
    from kopt.dialects.types import TensorType

    params = set()
    for op in module.ops:
        if isinstance(op, T.HostFuncOp):
            params |= set(op.param_names)
    out: dict[str, tuple[str, str, int]] = {}
    for op in module.ops:
        if not isinstance(op, T.KernelOp):
            continue
        for name, arg in zip(op.arg_names, op.body.block.args):
            if name not in params:
                continue
            if isinstance(arg.type, TensorType):
                for i, d in enumerate(arg.type.dims):
                    if d.isidentifier():
                        out.setdefault(d, (name, "size", i))
                for i, s in enumerate(arg.type.stride_names):
                    if s.isidentifier():
                        out.setdefault(s, (name, "stride", i))
            else:
                out.setdefault(name, (name, "value", 0))
    return out


def resolve(module, facts: tuple[ArgFact, ...]) -> tuple[str, ...]:
    """Each positional fact as text about the symbol the IR uses (`n == 4096`); facts about
    sizes no kernel sees are dropped (they could not remove a mask)."""
    where = {v: k for k, v in param_symbols(module).items()}
    return tuple(f"{where[(f.param, f.what, f.index)]} {f.relation}" for f in facts
                 if (f.param, f.what, f.index) in where)


def symbol_values(symbols: dict[str, list | tuple], params: list[str], values: list) -> dict[str, int]:
    """The value of every symbol `param_symbols` found, for these arguments."""
    by_name = dict(zip(params, values))
    out = {}
    for sym, (param, what, index) in symbols.items():
        v = by_name.get(param)
        if v is None:
            continue
        if what == "size":
            out[sym] = int(v.shape[index])
        elif what == "stride":
            out[sym] = int(v.stride(index))
        elif isinstance(v, int):
            out[sym] = v
    return out


def next_power_of_2(n: int) -> int:
    """hostmath's (the launchers'), but at least 1: sizes of 0 and 1 share a bucket."""
    return max(1, hostmath.next_power_of_2(n))


def size_bucket(values: list) -> tuple:
    """Autotune results are shared by shapes whose sizes round up to the same powers of two."""
    out = []
    for v in values:
        if hasattr(v, "shape"):
            out.append(tuple(next_power_of_2(s) for s in v.shape))
        elif isinstance(v, int) and not isinstance(v, bool):
            out.append(next_power_of_2(v))
        else:
            out.append(None)
    return tuple(out)
