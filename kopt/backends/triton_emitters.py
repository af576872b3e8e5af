"""The Triton backend's emitters: how each op class is written as Triton source.

One entry per op class (`TRITON.emits(...)`): elementwise ops through the templates below,
the rest by small functions. The writer (`_KernelWriter` in triton_codegen.py) gives them
`ref(value)` (a value's text), `define(value, expr, hint)` (a named line) and `inline` (values
written where they are used: constants, symbols, address arithmetic). Contractions register
theirs in dot_codegen.py.
"""

from __future__ import annotations

import os
import re

from xdsl.ir import BlockArgument, Operation

from kopt.backends.emitters import EmitterTable
from kopt.backends.exprs import py_expr
from kopt.dialects import tile as T
from kopt.dialects import tt
from kopt.dialects.dtypes import bf16, f16, i1, i32, i64, is_float, triton_name
from kopt.ir.util import op_error


def _missing(op: Operation) -> str:
    if op.name.startswith("tile."):
        return "run the pipeline through lower-to-tt first"
    return "no emitter is registered for it (kopt/backends/triton_emitters.py)"


TRITON = EmitterTable("Triton", _missing)

BINARY = {
    T.AddOp: "{} + {}", T.SubOp: "{} - {}", T.MulOp: "{} * {}", T.DivOp: "{} / {}", T.FloorDivOp: "{} // {}",
    T.RemOp: "{} % {}", T.AndOp: "{} & {}", T.OrOp: "{} | {}", T.LtOp: "{} < {}", T.LeOp: "{} <= {}",
    T.GtOp: "{} > {}", T.GeOp: "{} >= {}", T.EqOp: "{} == {}", T.NeOp: "{} != {}",
    T.MaximumOp: "tl.maximum({}, {}, propagate_nan=tl.PropagateNan.ALL)",
    T.MinimumOp: "tl.minimum({}, {}, propagate_nan=tl.PropagateNan.ALL)",
}
# log1p without a libdevice call (the interpreter has none): log(u) * x / (u - 1) with u = 1 + x cancels
# the rounding of u (Goldberg, "What every computer scientist should know about floating-point", thm. 4);
# x itself where u rounds to 1 and for x = inf.
_LOG1P = ("tl.where((1.0 + {0} == 1.0) | ({0} == float('inf')), {0}, "
          "tl.log(1.0 + {0}) * ({0} / ((1.0 + {0}) - 1.0)))")
# expm1 likewise (Kahan's trick: with u = exp(x), (u - 1) * x / log(u) cancels the rounding of u); x where u
# rounds to 1, inf where u overflows (x = inf included), -1 where u - 1 rounds to it.
_EXPM1 = ("tl.where((tl.exp({0}) == 1.0) | (tl.exp({0}) == float('inf')), tl.where(tl.exp({0}) == 1.0, {0}, "
          "float('inf')), tl.where(tl.exp({0}) - 1.0 == -1.0, -1.0, (tl.exp({0}) - 1.0) * ({0} / tl.log(tl.exp({0})))))")
UNARY = {
    T.ExpOp: "tl.exp({})", T.Expm1Op: _EXPM1, T.Exp2Op: "tl.exp2({})", T.LogOp: "tl.log({})", T.Log2Op: "tl.log2({})",
    T.Log1pOp: _LOG1P, T.SqrtOp: "tl.sqrt({})", T.RsqrtOp: "tl.rsqrt({})", T.SigmoidOp: "tl.sigmoid({})",
    T.TanhOp: "(2.0 * tl.sigmoid(2.0 * {}) - 1.0)", T.AbsOp: "tl.abs({})", T.NegOp: "-{}",
    T.ReluOp: "tl.maximum({}, 0, propagate_nan=tl.PropagateNan.ALL)", T.SinOp: "tl.sin({})", T.CosOp: "tl.cos({})", T.ErfOp: "tl.erf({})",
    T.SiluOp: "({0} * tl.sigmoid({0}))", T.GeluOp: "(0.5 * {0} * (1.0 + tl.erf({0} * 0.7071067811865476)))",
    T.NotOp: "~{}", T.FloorOp: "tl.floor({})", T.CeilOp: "tl.ceil({})",
}
REDUCE = {"sum": "tl.sum", "max": "tl.max", "min": "tl.min", "argmax": "tl.argmax", "argmin": "tl.argmin"}


def literal(text: str, elem) -> str:
    """An IR constant as Triton source: infinities as floats, integers in a float block with `.0`."""
    if text in ("inf", "-inf", "nan"):
        return f"float('{text}')"
    if is_float(elem) and re.fullmatch(r"-?\d+", text):
        return text + ".0"
    return text


def _is_address_math(op: Operation) -> bool:
    """Offsets and masks used once are written inline, as in hand-written Triton:
    `tl.load(x + (indices_0[:, None] * x_stride_0 + ...), mask_0[:, None] & mask_1[None, :])`."""
    r = op.results[0]
    if r.name_hint or not isinstance(op, (T.AddOp, T.MulOp, T.AndOp)) or r.type.element_type not in (i32, i64, i1):
        return False
    uses = list(r.uses)
    return len(uses) == 1 and isinstance(uses[0].operation, (tt.AddPtrOp, tt.LoadOp, tt.StoreOp, T.AddOp, T.AndOp))


def _eviction(op) -> list[str]:
    return [f'eviction_policy="{op.eviction.data.value}"'] if op.eviction is not None else []


@TRITON.emits(*BINARY)
def _binary(w, op) -> None:
    lhs = w.ref(op.lhs, True)
    if isinstance(op, (T.DivOp, T.FloorDivOp, T.RemOp)) and op.lhs in w.inline and op.rhs in w.inline:
        # two Python numbers would divide when Triton compiles the kernel (a ZeroDivisionError for `1.0 / 0.0`):
        # a Triton scalar divides as torch does (inf, nan)
        lhs = w.tensor_value(op.lhs)
    text = BINARY[type(op)].format(lhs, w.ref(op.rhs, True))
    if isinstance(op, (T.DivOp, T.RemOp, T.MaximumOp, T.MinimumOp)) and op.result.type.element_type in (f16, bf16):
        # Triton divides halves in fp32 and keeps the fp32 result (1 / 1e-6 is inf in f16, not 986895), and its
        # NaN-propagating max/min of bf16 gives fp32 on sm_90 (a loop-carried max would change type): the op's type
        text = f"({text}).to({triton_name(op.result.type.element_type)})"
    if _is_address_math(op):
        w.inline[op.result] = text
    else:
        w.define(op.result, text, "v")


@TRITON.emits(*UNARY)
def _unary(w, op) -> None:
    w.define(op.result, UNARY[type(op)].format(w.ref(op.operand, True)), op.name.split(".")[1])


@TRITON.emits(T.SymbolOp)
def _symbol(w, op) -> None:
    w.note_symbols(op.expr.data)
    w.inline[op.result] = py_expr(op.expr.data, "tl")


@TRITON.emits(T.ConstantOp)
def _constant(w, op) -> None:
    t = op.result.type
    value = literal(op.value.data, t.element_type)
    if t.rank == 0:
        w.inline[op.result] = value
    else:
        w.define(op.result, f"tl.full({w.shape(t)}, {value}, {triton_name(t.element_type)})", "full")


@TRITON.emits(tt.ForOp)
def _for(w, op) -> None:
    w.loop(op)


@TRITON.emits(T.YieldOp)
def _yield(w, op) -> None:
    """Written by the loop: carried values are reassigned at the end of the body."""


@TRITON.emits(T.ExpandOp)
def _expand(w, op) -> None:
    w.inline[op.result] = f"{w.ref(op.operand, True)}[{', '.join(op.spec_list)}]"


@TRITON.emits(tt.ArangeOp)
def _arange(w, op) -> None:
    block = op.result.type.dims[0]
    w.note_symbols(block)
    if op.result.name_hint:
        w.define(op.result, f"tl.arange(0, {block})", "indices")
    else:
        w.inline[op.result] = f"tl.arange(0, {block})"


@TRITON.emits(tt.ProgramIdOp)
def _program_id(w, op) -> None:
    w.define(op.result, f"tl.program_id({op.axis.value.data})", "pid")


@TRITON.emits(tt.NumProgramsOp)
def _num_programs(w, op) -> None:
    w.define(op.result, f"tl.num_programs({op.axis.value.data})", "programs")


@TRITON.emits(tt.AddPtrOp)
def _addptr(w, op) -> None:
    w.inline[op.result] = f"{w.ref(op.base)} + {w.ref(op.offsets, True)}"


@TRITON.emits(tt.LoadOp)
def _load(w, op) -> None:
    args = [w.ref(op.ptrs)]
    if op.mask is not None:
        args += [w.ref(op.mask), f"other={literal(op.other.data, op.result.type.element_type)}"]
    w.define(op.result, f"tl.load({', '.join(args + _eviction(op))})", "load")


@TRITON.emits(tt.StoreOp)
def _store(w, op) -> None:
    args = [w.ref(op.ptrs), w.ref(op.value)] + ([w.ref(op.mask)] if op.mask is not None else [])
    w.emit(f"tl.store({', '.join(args + _eviction(op))})")


@TRITON.emits(tt.MakeDescriptorOp)
def _make_descriptor(w, op) -> None:
    block = w.shape(op.result.type)  # a descriptor's block is shaped as a tile's
    sizes = ", ".join(w.ref(s) for s in op.sizes)
    strides = ", ".join([w.ref(s) for s in op.strides] + ["1"])
    w.define(op.result, f"tl.make_tensor_descriptor({w.ref(op.base)}, shape=[{sizes}], strides=[{strides}], "
                        f"block_shape={block})", "desc")


@TRITON.emits(tt.DescriptorLoadOp)
def _descriptor_load(w, op) -> None:
    w.define(op.result, f"{w.ref(op.desc)}.load([{', '.join(w.ref(o) for o in op.offsets)}])", "load")


@TRITON.emits(tt.DescriptorStoreOp)
def _descriptor_store(w, op) -> None:
    w.emit(f"{w.ref(op.desc)}.store([{', '.join(w.ref(o) for o in op.offsets)}], {w.ref(op.value)})")


@TRITON.emits(tt.AtomicRMWOp)
def _atomic_rmw(w, op) -> None:
    mask = [f"mask={w.ref(op.mask)}"] if op.mask is not None else []
    w.emit(f"tl.atomic_{op.kind.data.value}({', '.join([w.ref(op.ptrs), w.ref(op.value), *mask])})")


@TRITON.emits(T.BarrierOp)
def _barrier(w, op) -> None:
    w.emit("tl.debug_barrier()")


@TRITON.emits(tt.IndexFlagOp)
def _index_flag(w, op) -> None:
    bad = w.ref(op.bad)  # a pointer per lane of `bad` (all to the one flag), so the atomic takes its mask
    w.emit(f"tl.atomic_max({w.ref(op.flags)} + tl.where({bad}, 0, 0), {op.check.value.data}, mask={bad})")


@TRITON.emits(T.CastOp)
def _cast(w, op) -> None:
    dtype = triton_name(op.result.type.element_type)
    if op.operand in w.inline and op.operand.type.rank == 0 or isinstance(op.operand, BlockArgument) \
            and isinstance(op.operand.owner.parent_op(), T.KernelOp):
        # a scalar argument: a Python number in the interpreter (and a constexpr 1 when Triton specializes it),
        # which has no `.to`
        w.define(op.result, f"tl.cast({w.ref(op.operand)}, {dtype})", "v")
        return
    w.define(op.result, f"{w.ref(op.operand, True)}.to({dtype})", "v")


@TRITON.emits(T.SplitOp)
def _split(w, op) -> None:
    lo, hi = w.fresh(op.lo.name_hint or "lo"), w.fresh(op.hi.name_hint or "hi")
    w.names[op.lo], w.names[op.hi] = lo, hi
    w.def_line[op.lo] = w.def_line[op.hi] = len(w.lines)
    w.emit(f"{lo}, {hi} = tl.split({w.ref(op.operand)})")


@TRITON.emits(T.JoinOp)
def _join(w, op) -> None:
    w.define(op.result, f"tl.join({w.ref(op.lo)}, {w.ref(op.hi)})", "joined")


@TRITON.emits(T.RandOp)
def _rand(w, op) -> None:  # `like` holds the lanes' linear indices by now (lower-to-tt's rand_offsets)
    w.define(op.result, f"tl.rand({w.ref(op.seed)}, {w.ref(op.like)})", "rand")


@TRITON.emits(T.RandIntOp)
def _randint(w, op) -> None:  # tl.randint's uint32, shifted to 31 bits: a non-negative int32
    w.define(op.result, f"(tl.randint({w.ref(op.seed)}, {w.ref(op.like)}) >> 1).to(tl.int32)", "randint")


@TRITON.emits(T.InlineAsmOp)
def _inline_asm(w, op) -> None:
    if os.environ.get("TRITON_INTERPRET", "0") not in ("", "0"):
        raise op_error(op, "hl.inline_asm_elementwise runs on a GPU only: Triton's interpreter has no assembly",
                       "run this kernel on a CUDA device, or give the interpreter a torch expression instead")
    args = ", ".join(w.ref(a) for a in op.args)
    pure = "True" if op.pure is not None else "False"
    w.define(op.result, f"tl.inline_asm_elementwise({op.asm.data!r}, {op.constraints.data!r}, [{args}], "
                        f"dtype={triton_name(op.result.type.element_type)}, is_pure={pure}, pack={op.pack.data})",
             "asm")


@TRITON.emits(T.ScanOp)
def _scan(w, op) -> None:
    fn = {"sum": "tl.cumsum", "prod": "tl.cumprod"}[op.kind_name]
    w.define(op.result, f"{fn}({w.ref(op.operand)}, {op.dim.value.data})", f"cum{op.kind_name}")


@TRITON.emits(T.WhereOp)
def _where(w, op) -> None:
    # a bool constant as a Python number would make Triton's result int32 (`tl.where(m, flags, 0)`): a bool tensor
    lhs, rhs = (w.tensor_value(v) if v.type.element_type == i1 else w.ref(v) for v in (op.lhs, op.rhs))
    w.define(op.result, f"tl.where({w.ref(op.cond)}, {lhs}, {rhs})", "v")


@TRITON.emits(T.ReduceOp)
def _reduce(w, op) -> None:
    kind = op.kind_name
    keep = ", keep_dims=True" if op.keeps_dim else ""
    if kind == "prod":  # Triton has no tl.prod: tl.reduce with a multiply (COMBINE in triton_codegen.py)
        fn, keep = "tl.reduce", f", _kopt_mul{keep}"
    elif op.propagates_nan and kind in ("max", "min"):  # tl.max/tl.min drop NaN: torch's combine (COMBINE)
        fn, keep = "tl.reduce", f", _kopt_{kind}_nan{keep}"
        if op.operand.type.element_type == bf16:  # exact in fp32, and the interpreter's bf16 combine is wrong
            x = f"{w.ref(op.operand, atom=True)}.to(tl.float32)"
            w.define(op.result, f"tl.reduce({x}, {op.dim.value.data}{keep}).to(tl.bfloat16)", kind)
            return
    elif op.propagates_nan:  # argmax/argmin: (value, index) pairs through torch's combine; the index is kept
        x, dim = w.ref(op.operand), op.dim.value.data
        shape = w.shape(op.operand.type)
        lanes = f"tl.arange(0, {shape.strip('[]').split(', ')[dim]})"
        if op.operand.type.rank > 1:
            spec = ", ".join(":" if i == dim else "None" for i in range(op.operand.type.rank))
            lanes = f"tl.broadcast_to({lanes}[{spec}], {shape})"
        pair = w.fresh(f"{kind}_pair")
        w.emit(f"_, {pair} = tl.reduce(({x}, {lanes}), {dim}, _kopt_{kind}_nan{keep})")
        w.names[op.result] = pair
        w.def_line[op.result] = len(w.lines) - 1
        return
    else:
        fn = REDUCE[kind]
    w.define(op.result, f"{fn}({w.ref(op.operand)}, {op.dim.value.data}{keep})", kind)


@TRITON.emits(T.ReshapeOp)
def _reshape(w, op) -> None:
    w.define(op.result, f"tl.reshape({w.ref(op.operand)}, {w.shape(op.result.type)})", "view")


@TRITON.emits(T.BroadcastToOp)
def _broadcast_to(w, op) -> None:
    w.define(op.result, f"tl.broadcast_to({w.ref(op.operand)}, {w.shape(op.result.type)})", "v")


@TRITON.emits(T.FullLikeOp)
def _full_like(w, op) -> None:
    t = op.result.type
    value = literal(op.value.data, t.element_type)
    w.define(op.result, f"tl.full({w.shape(t)}, {value}, {triton_name(t.element_type)})", "full")


@TRITON.emits(T.FlipOp)
def _flip(w, op) -> None:
    w.define(op.result, f"tl.flip({w.ref(op.operand)}, {op.dim.value.data})", "flip")


@TRITON.emits(T.LetOp)
def _let(w, op) -> None:
    """A size the kernel computes: a variable of its own name, which loop bounds and masks then read."""
    name = op.symbol.data
    w.local_symbols.add(name)
    w.used.add(name)
    w.emit(f"{name} = {w.ref(op.value)}")


@TRITON.emits(T.IfOp)
def _if(w, op) -> None:
    """`if cond:` / `else:`, each branch assigning the variables of the op's results."""
    names = [w.fresh(r.name_hint or "v") for r in op.res]
    yielded = op.yielded()
    for k, region in enumerate((op.then_region, op.else_region)):
        ops = [o for o in region.blocks[0].ops if not isinstance(o, T.YieldOp)] if region.blocks else []
        if k == 1 and not ops and not names:
            break
        w.emit(f"if {w.ref(op.cond)}:" if k == 0 else "else:")
        outer = w.indent
        w.indent += "    "
        for inner in ops:
            w.op(inner)
        for name, values in zip(names, yielded):
            w.emit(f"{name} = {w.tensor_value(values[k])}")
        if not ops and not names:
            w.emit("pass")
        w.indent = outer
    for r, name in zip(op.res, names):
        w.names[r] = name
