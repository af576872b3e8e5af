"""The tt-level IR -> readable Triton source: one `@triton.jit` kernel and its host launcher.

The kernel takes tensors as pointers, then every size and stride symbol it uses
as a plain argument, then its block sizes as `tl.constexpr`. Names follow the
IR's hints (`indices_0`, `mask_1`, `load`, `amax`), made unique; constants,
symbols, broadcasts and pointer arithmetic are written inline where they are used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, ModuleOp
from xdsl.ir import Operation, SSAValue

from kopt.backends.dot_codegen import CONTRACTION_OPS, IMPORT as DOT_IMPORT, dot_launch, write_contraction
from kopt.launch.dot_tiles import DOT_2D
from kopt.backends.exprs import is_atom, py_expr
from kopt.backends.heuristics import block_size_exprs, num_warps_expr
from kopt.dialects import tile as T
from kopt.dialects import tt
from kopt.dialects.dtypes import elem_bytes, i1, i32, i64, is_float, triton_name
from kopt.dialects.types import TensorType, TileType
from kopt.errors import KoptError

_BINARY = {
    T.AddOp: "{} + {}", T.SubOp: "{} - {}", T.MulOp: "{} * {}", T.DivOp: "{} / {}", T.FloorDivOp: "{} // {}",
    T.RemOp: "{} % {}", T.AndOp: "{} & {}", T.OrOp: "{} | {}", T.LtOp: "{} < {}", T.LeOp: "{} <= {}",
    T.GtOp: "{} > {}", T.GeOp: "{} >= {}", T.EqOp: "{} == {}", T.NeOp: "{} != {}",
    T.MaximumOp: "tl.maximum({}, {})", T.MinimumOp: "tl.minimum({}, {})",
}
# log1p without a libdevice call (the interpreter has none): log(u) * x / (u - 1) with u = 1 + x cancels
# the rounding of u (Goldberg, "What every computer scientist should know about floating-point", thm. 4);
# x itself where u rounds to 1 and for x = inf.
_LOG1P = ("tl.where((1.0 + {0} == 1.0) | ({0} == float('inf')), {0}, "
          "tl.log(1.0 + {0}) * ({0} / ((1.0 + {0}) - 1.0)))")
_UNARY = {
    "exp": "tl.exp({})", "exp2": "tl.exp2({})", "log": "tl.log({})", "log2": "tl.log2({})",
    "log1p": _LOG1P, "sqrt": "tl.sqrt({})", "rsqrt": "tl.rsqrt({})", "sigmoid": "tl.sigmoid({})",
    "tanh": "(2.0 * tl.sigmoid(2.0 * {}) - 1.0)", "abs": "tl.abs({})", "neg": "-{}",
    "relu": "tl.maximum({}, 0)", "sin": "tl.sin({})", "cos": "tl.cos({})", "erf": "tl.erf({})",
    "silu": "({0} * tl.sigmoid({0}))", "gelu": "(0.5 * {0} * (1.0 + tl.erf({0} * 0.7071067811865476)))",
    "not": "~{}", "floor": "tl.floor({})", "ceil": "tl.ceil({})",
}
_REDUCE = {"sum": "tl.sum", "max": "tl.max", "min": "tl.min", "argmax": "tl.argmax", "argmin": "tl.argmin",
           "prod": "tl.reduce"}
_SYMBOL_NAME = re.compile(r"\b[A-Za-z_]\w*\b")
_NOT_SYMBOLS = {"cdiv", "next_power_of_2", "tl", "triton"}


def _literal(text: str, elem) -> str:
    if text in ("inf", "-inf", "nan"):
        return f"float('{text}')"
    if is_float(elem) and re.fullmatch(r"-?\d+", text):
        return text + ".0"
    return text


@dataclass
class KernelSource:
    """The Triton source of one kernel and what its launcher needs to know."""

    name: str
    source: str
    tensor_args: list[str]
    scalar_args: list[str]
    symbols: list[str]
    constexprs: list[str]


class _KernelWriter:
    def __init__(self, kernel: T.KernelOp):
        self.kernel = kernel
        self.names: dict[SSAValue, str] = {}
        self.inline: dict[SSAValue, str] = {}
        # Python builtins stay unshadowed: a reduction named `sum` becomes `sum_1`
        self.used: set[str] = {"sum", "max", "min", "abs", "pow", "range", "len", "float", "int"}
        self._v_count = 0  # how many names in `used` start with "v_"
        self._next_suffix: dict[str, int] = {}
        self.lines: list[str] = []
        self.indent = ""
        self.def_line: dict[SSAValue, int] = {}
        self.symbols: set[str] = set()

    def fresh(self, hint: str | None) -> str:
        # Counters instead of scans of `used` keep naming linear in the kernel's size (same names).
        if not hint or hint == "v":  # anonymous values: v_0, v_1, ... as Helion writes them
            hint = f"v_{self._v_count}"
        base = re.sub(r"\W", "_", hint)
        if base[0].isdigit():
            base = "v_" + base
        i = self._next_suffix.get(base, 0)  # `used` only grows: no smaller suffix is free again
        name = base if i == 0 else f"{base}_{i}"
        while name in self.used:
            i += 1
            name = f"{base}_{i}"
        self._next_suffix[base] = i
        self._use(name)
        return name

    def _use(self, name: str) -> None:
        if name not in self.used:
            self.used.add(name)
            self._v_count += name.startswith("v_")

    def ref(self, v: SSAValue, atom: bool = False) -> str:
        if v in self.inline:
            text = self.inline[v]
            return text if not atom or is_atom(text) else f"({text})"
        return self.names[v]

    def define(self, v: SSAValue, expr: str, hint: str) -> None:
        name = self.fresh(v.name_hint or hint)
        self.names[v] = name
        self.def_line[v] = len(self.lines)
        self.emit(f"{name} = {expr}")

    def emit(self, line: str) -> None:
        self.lines.append(self.indent + line)

    def shape(self, t: TileType) -> str:
        """A block shape as Triton source: `[_BLOCK_SIZE_0, 1]`."""
        self.note_symbols(" ".join(t.dims))
        return "[" + ", ".join(py_expr(d, "tl") for d in t.dims) + "]"

    def note_symbols(self, text: str) -> None:
        self.symbols.update(s for s in _SYMBOL_NAME.findall(text) if s not in _NOT_SYMBOLS)

    def op(self, op: Operation) -> None:
        if isinstance(op, T.SymbolOp):
            self.note_symbols(op.expr.data)
            self.inline[op.result] = py_expr(op.expr.data, "tl")
        elif isinstance(op, T.ConstantOp):
            t = op.result.type
            value = _literal(op.value.data, t.element_type)
            if t.rank == 0:
                self.inline[op.result] = value
            else:
                self.note_symbols(" ".join(t.dims))
                shape = ", ".join(py_expr(d, "tl") for d in t.dims)
                self.define(op.result, f"tl.full([{shape}], {value}, {triton_name(t.element_type)})", "full")
        elif isinstance(op, tt.ForOp):
            self.loop(op)
        elif isinstance(op, T.YieldOp):
            pass  # written by loop(): carried values are reassigned at the end of the body
        elif isinstance(op, T.ExpandOp):
            self.inline[op.result] = f"{self.ref(op.operand, True)}[{', '.join(s.data for s in op.spec.data)}]"
        elif isinstance(op, tt.ArangeOp):
            block = op.result.type.dims[0]
            self.note_symbols(block)
            if op.result.name_hint:
                self.define(op.result, f"tl.arange(0, {block})", "indices")
            else:
                self.inline[op.result] = f"tl.arange(0, {block})"
        elif isinstance(op, tt.ProgramIdOp):
            self.define(op.result, f"tl.program_id({op.axis.value.data})", "pid")
        elif isinstance(op, tt.AddPtrOp):
            self.inline[op.result] = f"{self.ref(op.base)} + {self.ref(op.offsets, True)}"
        elif isinstance(op, tt.LoadOp):
            args = [self.ref(op.ptrs)]
            if op.mask is not None:
                args += [self.ref(op.mask), f"other={_literal(op.other.data, op.result.type.element_type)}"]
            args += _eviction(op)
            self.define(op.result, f"tl.load({', '.join(args)})", "load")
        elif isinstance(op, tt.StoreOp):
            args = [self.ref(op.ptrs), self.ref(op.value)] + ([self.ref(op.mask)] if op.mask is not None else [])
            self.emit(f"tl.store({', '.join(args + _eviction(op))})")
        elif type(op) in _BINARY:
            text = _BINARY[type(op)].format(self.ref(op.lhs, True), self.ref(op.rhs, True))
            if _is_address_math(op):
                self.inline[op.result] = text
            else:
                self.define(op.result, text, "v")
        elif isinstance(op, T._Unary):
            name = op.name.split(".")[1]
            self.define(op.result, _UNARY[name].format(self.ref(op.operand, True)), name)
        elif isinstance(op, T.CastOp):
            self.define(op.result, f"{self.ref(op.operand, True)}.to({triton_name(op.result.type.element_type)})", "v")
        elif isinstance(op, T.WhereOp):
            self.define(op.result, f"tl.where({self.ref(op.cond)}, {self.ref(op.lhs)}, {self.ref(op.rhs)})", "v")
        elif isinstance(op, T.ReduceOp):
            kind = op.kind.data
            if kind not in _REDUCE:
                raise KoptError(f"the Triton backend cannot emit a `{kind}` reduction yet")
            keep = ", keep_dims=True" if op.keepdim.value.data else ""
            fn = _REDUCE[kind]
            if kind == "prod":  # Triton has no tl.prod: tl.reduce with a multiply (PROD_COMBINE)
                fn, keep = "tl.reduce", f", _kopt_mul{keep}"
            self.define(op.result, f"{fn}({self.ref(op.operand)}, {op.dim.value.data}{keep})", kind)
        elif isinstance(op, tt.AtomicAddOp):
            mask = [f"mask={self.ref(op.mask)}"] if op.mask is not None else []
            self.emit(f"tl.atomic_add({', '.join([self.ref(op.ptrs), self.ref(op.value), *mask])})")
        elif isinstance(op, T.ReshapeOp):
            self.define(op.result, f"tl.reshape({self.ref(op.operand)}, {self.shape(op.result.type)})", "view")
        elif isinstance(op, T.BroadcastToOp):
            self.define(op.result, f"tl.broadcast_to({self.ref(op.operand)}, {self.shape(op.result.type)})", "v")
        elif isinstance(op, T.FullLikeOp):
            t = op.result.type
            value = _literal(op.value.data, t.element_type)
            self.define(op.result, f"tl.full({self.shape(t)}, {value}, {triton_name(t.element_type)})", "full")
        elif isinstance(op, CONTRACTION_OPS):
            write_contraction(self, op)
        else:
            raise KoptError(f"the Triton backend cannot emit `{op.name}`: run the pipeline through lower-to-tt first")

    def loop(self, op: tt.ForOp) -> None:
        """`for offset in tl.range(...)`: each carried value is one Python variable, updated in place."""
        carried = []
        for arg, init in zip(op.carried, op.iter_args):
            if init in self.names and _single_use(init) and init not in self.inline:
                name = self.names[init]  # the initial value's variable becomes the loop variable
            else:
                name = self.fresh(arg.name_hint or init.name_hint or "acc")
                value = self.ref(init)
                if isinstance(init.owner, T.ConstantOp) and init.type.rank == 0:
                    # a Python number would make the loop-carried value change type (constexpr -> tensor)
                    value = f"tl.full([], {value}, {triton_name(init.type.element_type)})"
                self.emit(f"{name} = {value}")
            self.names[arg] = name
            carried.append(name)
        offset = self.fresh(op.offset.name_hint or "offset")
        self.names[op.offset] = offset
        for text in (op.start.data, op.end.data, op.step.data):
            self.note_symbols(text)
        start, end, step = (py_expr(x.data, "tl") for x in (op.start, op.end, op.step))
        reverse = "reverse" in op.attributes
        counter = self.fresh(f"{offset}_up") if reverse else offset
        self.emit(f"for {counter} in tl.range({start}, {end}, {step}):")
        outer = self.indent
        self.indent += "    "
        if reverse:  # the same offsets, last chunk first: last = start + (end - 1 - start) // step * step
            if start == "0":
                self.emit(f"{offset} = ({end} - 1) // {step} * {step} - {counter}")
            else:
                self.emit(f"{offset} = ({start}) + (({end}) - 1 - ({start})) // ({step}) * ({step}) - ({counter} - ({start}))")
        for inner in op.body.block.ops:
            self.op(inner)
        for name, v in zip(carried, op.body.block.last_op.operands):
            if self.ref(v) == name:
                continue
            line = self.def_line.get(v)
            if line is not None and _single_use(v) and v.owner.parent_block() is op.body.block:
                # the value computed for the next iteration is written straight into the loop variable
                head = f"{self.indent}{self.names[v]} = "
                self.lines[line] = f"{self.indent}{name} = " + self.lines[line][len(head):]
                self.names[v] = name
            else:
                self.emit(f"{name} = {self.ref(v)}")
        self.indent = outer
        for res, name in zip(op.results, carried):
            self.names[res] = name

    def write(self) -> KernelSource:
        k = self.kernel
        args = list(zip(k.arg_names, k.body.block.args))
        for name, arg in args:
            self.names[arg] = name
            self._use(name)
        for op in k.body.block.ops:
            self.op(op)
        tensor_args = [n for n, a in args if isinstance(a.type, TensorType)]
        scalar_args = [n for n, a in args if not isinstance(a.type, TensorType)]
        constexpr_names = set(_dict(k, "block_sizes")) | set(_dict(k, "constexprs"))
        syms = self.symbols - set(k.arg_names)
        constexprs = sorted(s for s in syms if s in constexpr_names or re.fullmatch(r"_(BLOCK|RDIM)_SIZE_\d+", s)
                            or s == DOT_2D)
        # strides, then sizes, each in the order the tensor arguments mention them
        order = [d for _, a in args if isinstance(a.type, TensorType) for d in (*a.type.stride_names, *a.type.dims)]
        rank = {s: i for i, s in reversed(list(enumerate(order)))}
        symbols = sorted((s for s in syms if s not in constexprs),
                         key=lambda s: ("_stride_" not in s, rank.get(s, len(order)), s))
        params = tensor_args + scalar_args + symbols + [f"{c}: tl.constexpr" for c in constexprs]
        body = "\n".join("    " + line for line in self.lines) or "    pass"
        src = f"@triton.jit\ndef {k.sym_name.data}({', '.join(params)}):\n{body}\n"
        return KernelSource(k.sym_name.data, src, tensor_args, scalar_args, symbols, constexprs)


def row_elem_bytes(kernel: Operation) -> int | None:
    """Bytes per element of the row a looped reduction streams (its first phase loop's first load;
    a kernel is compiled per dtype, so this is a constant); None for kernels without phase loops."""
    for loop in tt.phase_loops(kernel)[:1]:
        load = next((op for op in loop.body.walk() if isinstance(op, tt.LoadOp)), None)
        return elem_bytes(load.result.type.element_type) if load is not None else None
    return None


def _eviction(op: tt.LoadOp | tt.StoreOp) -> list[str]:
    return [f'eviction_policy="{op.eviction.data}"'] if op.eviction is not None else []


def _single_use(v: SSAValue) -> bool:
    uses = iter(v.uses)
    return next(uses, None) is not None and next(uses, None) is None


def _is_address_math(op: Operation) -> bool:
    """Offsets and masks used once are written inline, as in hand-written Triton:
    `tl.load(x + (indices_0[:, None] * x_stride_0 + ...), mask_0[:, None] & mask_1[None, :])`."""
    r = op.results[0]
    if r.name_hint or not isinstance(op, (T.AddOp, T.MulOp, T.AndOp)) or r.type.element_type not in (i32, i64, i1):
        return False
    uses = list(r.uses)
    return len(uses) == 1 and isinstance(uses[0].operation, (tt.AddPtrOp, tt.LoadOp, tt.StoreOp, T.AddOp, T.AndOp))


def _dict(op: Operation, key: str) -> dict[str, str]:
    attr = op.attributes.get(key)
    return {k: v.data for k, v in attr.data.items()} if isinstance(attr, DictionaryAttr) else {}


@dataclass(frozen=True)
class LaunchConfig:
    """Launch-time choices fixed at compile time (from kopt.Config); unset ones use heuristics."""

    block_sizes: tuple[int, ...] = ()
    num_warps: int | None = None
    num_stages: int | None = None
    # The runtime's launchers also take `_config={"_BLOCK_SIZE_0": 8, "num_warps": 4, ...}`: launch-time
    # choices (the autotuner's) that need no recompile. Block sizes fixed above stay fixed (they may be facts).
    overridable: bool = False


def _launch_lines(launch: T.LaunchOp, kernel: T.KernelOp, ks: KernelSource, cfg: LaunchConfig) -> list[str]:
    bind = launch.bindings
    constexprs = _dict(kernel, "constexprs")
    blocks = _dict(kernel, "block_sizes")
    grid = [g.data for g in kernel.attributes["grid"].data] if "grid" in kernel.attributes else ["1"]
    grid_syms = {m for g in grid for m in re.findall(r"_BLOCK_SIZE_\d+", g)}
    ordered = sorted(blocks, key=lambda s: int(s.rsplit("_", 1)[1]))
    # a config's block_sizes[i] is `_BLOCK_SIZE_i` (as its facts say), also where a pass removed a block
    config_sizes = {f"_BLOCK_SIZE_{i}": b for i, b in enumerate(cfg.block_sizes) if f"_BLOCK_SIZE_{i}" in blocks}

    def host(text: str) -> str:  # symbol text -> host Python, sizes through the launch's bindings
        return _SYMBOL_NAME.sub(lambda m: bind.get(m.group(0), m.group(0)), py_expr(text, "host"))

    # a whole dim of size 0 still gets a block of 1 (all lanes masked): its reductions give their neutral element
    lines = [f"{sym} = {host(_at_least_one(expr))}" for sym, expr in sorted(constexprs.items())]
    tensor = bind.get(ks.tensor_args[0], ks.tensor_args[0]) if ks.tensor_args else "torch.empty(0)"
    dot = dot_launch(kernel, host, config_sizes, cfg.num_warps, cfg.num_stages, tensor, cfg.overridable)
    if dot is not None:  # tl.dot kernels: tensor-core tiles, warps and stages for these sizes
        lines += dot.lines
    chosen = dot.symbols if dot is not None else set()
    grid_blocks = [(s, host(blocks[s])) for g in grid for s in re.findall(r"_BLOCK_SIZE_\d+", g) if s not in chosen]
    loop_blocks = [(s, host(blocks[s])) for s in ordered if s not in grid_syms and s not in chosen]
    exprs = block_size_exprs(grid_blocks, loop_blocks, sorted(constexprs), config_sizes)
    if cfg.overridable:
        exprs = {sym: e if sym in config_sizes else f'_config.get("{sym}") or {e}' for sym, e in exprs.items()}
    lines += [f"{sym} = {expr}" for sym, expr in exprs.items()]  # each may use the ones before it
    warp_syms = [s for s in ordered if s in grid_syms] + sorted(constexprs)
    warps = str(cfg.num_warps) if cfg.num_warps else num_warps_expr(warp_syms, row_elem_bytes(kernel))
    launch_grid = " * ".join(f"({host(g)})" if not is_atom(host(g)) else host(g) for g in grid)
    args = [bind.get(a, a) for a in ks.tensor_args + ks.scalar_args]
    args += [bind[s] if s in bind else s for s in ks.symbols]
    args += ks.constexprs
    kw = f"num_warps={warps}" + (f", num_stages={cfg.num_stages}" if cfg.num_stages else "")
    if cfg.overridable:  # num_stages=None leaves Triton's default
        stages = f" or {cfg.num_stages}" if cfg.num_stages else ""
        kw = f'num_warps=_config.get("num_warps") or {warps}, num_stages=_config.get("num_stages"){stages}'
    if dot is not None:
        kw = dot.kw
    literal = {sym: e for sym, e in {**constexprs, **exprs}.items() if e.isdigit()}
    lines += _fact_checks(kernel, bind, set(blocks) | set(constexprs), literal)
    lines.append(f"{ks.name}[({launch_grid},)]({', '.join(args)}, {kw})")
    extents = [blocks[s] for s in ordered if s in grid_syms]
    if not extents:
        return lines
    # an empty tensor launches nothing (and block sizes of 0 would divide by zero)
    guard = " and ".join(f"{host(e)} > 0" if is_atom(host(e)) else f"({host(e)}) > 0" for e in extents)
    return [f"if {guard}:"] + ["    " + line for line in lines]


def _at_least_one(expr: str) -> str:
    inner = expr[len("next_power_of_2("):-1] if expr.startswith("next_power_of_2(") and expr.endswith(")") else None
    return f"next_power_of_2(max({inner}, 1))" if inner is not None else expr


def _fact_checks(kernel: T.KernelOp, bind: dict[str, str], launch_symbols: set[str],
                 literal: dict[str, str]) -> list[str]:
    """Every stated shape fact the launcher can evaluate is checked before the launch, so a fact
    that does not hold (an `--assume`, a stripped `assert` under `python -O`) raises instead of
    letting an elided mask read or write out of bounds."""
    facts = kernel.attributes.get("facts")
    lines = []
    for f in facts.data if isinstance(facts, ArrayAttr) else ():
        text = f.data
        m = re.fullmatch(r"(\w+) == (\d+)", text)
        if m and literal.get(m.group(1)) == m.group(2):
            continue  # the launcher itself sets this block size to that constant
        if not _host_known(text, bind, launch_symbols):
            continue  # about sizes this launch does not know: it cannot affect this kernel's masks
        cond = _host_text(text, bind)
        lines.append(f"if not ({cond}):")
        lines.append(f"    raise KoptError({('the shape fact `' + text + '` the kernel was compiled with does not hold for this call').__repr__()})")
    return lines + _bounds_checks(kernel, bind, launch_symbols)


def _host_known(text: str, bind: dict[str, str], launch_symbols: set[str]) -> bool:
    """Can the launcher evaluate this size text (every symbol bound by the launch or set by it)?"""
    return set(_SYMBOL_NAME.findall(text)) - _NOT_SYMBOLS <= set(bind) | launch_symbols


def _bounds_checks(kernel: T.KernelOp, bind: dict[str, str], launch_symbols: set[str]) -> list[str]:
    """kopt/passes/bounds_checks.py's checks: a tile loop over one size that subscripts a tensor dim
    of another must fit in it; else a KoptError at the subscript, with both sizes, before the launch."""
    bounds = kernel.attributes.get("bounds")
    lines = []
    for check in bounds.data if isinstance(bounds, ArrayAttr) else ():
        end, dim, tensor, position, *where = (c.data for c in check.data)
        if not _host_known(f"{end} {dim}", bind, launch_symbols):
            continue  # sizes the host does not know (a jagged range's begin): not checkable here
        end_h, dim_h = _host_text(end, bind), _host_text(dim, bind)
        message = (f"the tile loop over `{end}` ({{{end_h}}}) subscripts dim {position} of `{tensor}`, "
                   f"of size {{{dim_h}}}: it would run past its end")
        loc = f", SourceLoc({where[0]!r}, {where[1]}, {where[2]})" if where else ""
        note = (f"masks stop at `{end}`, not at the size of `{tensor}`; make the sizes agree (torch would "
                f"raise a size mismatch), or loop over the size of `{tensor}`")
        lines.append(f"if not ({end_h} <= {dim_h}):")
        lines.append(f"    raise KoptError(f{message!r}{loc}, notes=[{note!r}])")
    return lines


# `math` too: host code of Helion kernels often computes scales with it (`1.0 / math.sqrt(d)`)
PRELUDE = "from __future__ import annotations\n\nimport math\n\nimport torch\nimport triton\nimport triton.language as tl\n\nimport kopt.language as hl\nfrom kopt.errors import KoptError, SourceLoc\nfrom kopt.launch.hostmath import cdiv, next_power_of_2\n"
PROD_COMBINE = "@triton.jit\ndef _kopt_mul(a, b):\n    return a * b\n"  # combine function of prod reductions


def _host_text(text: str, bind: dict[str, str]) -> str:
    """A symbolic size expression as host Python, sizes through a launch's bindings."""
    return _SYMBOL_NAME.sub(lambda m: bind.get(m.group(0), m.group(0)), py_expr(text, "host"))


def _launch_with_variants(launch: T.LaunchOp, kernels: dict, written: dict, cfg: LaunchConfig) -> list[str]:
    """The launch of a kernel, or, when reduction-lowering made variants of it (`variant_of`), an
    `if` that picks one from the sizes (`launch_if`): a launch-time choice, not a recompile."""
    name = launch.kernel.root_reference.data
    lines = _launch_lines(launch, kernels[name], written[name], cfg)
    variants = [k for k in kernels.values() if _attr_text(k, "variant_of") == name]
    if not variants:
        return lines
    out: list[str] = []
    for i, v in enumerate(variants):
        out.append(f"{'elif' if i else 'if'} {_host_text(_attr_text(v, 'launch_if'), launch.bindings)}:")
        out += ["    " + line for line in _launch_lines(launch, v, written[v.sym_name.data], cfg)]
    return out + ["else:"] + ["    " + line for line in lines]


def _attr_text(op: Operation, key: str) -> str | None:
    a = op.attributes.get(key)
    return a.data if a is not None else None


def emit_module(module: ModuleOp, cfg: LaunchConfig = LaunchConfig()) -> str:
    """Triton source for a lowered module: kernels first, then the host launcher."""
    kernels = {op.sym_name.data: op for op in module.ops if isinstance(op, T.KernelOp)}
    hosts = [op for op in module.ops if isinstance(op, T.HostFuncOp)]
    written = {name: _KernelWriter(k).write() for name, k in kernels.items()}
    dots = any("dot_dims" in k.attributes for k in kernels.values())
    parts = [PRELUDE + (DOT_IMPORT + "\n" if dots else "")] + [ks.source for ks in written.values()]
    if any("_kopt_mul" in ks.source for ks in written.values()):
        parts.insert(1, PROD_COMBINE)
    for h in hosts:
        body: list[str] = []
        for op in h.body.block.ops:
            if isinstance(op, T.PyStmtOp):
                body += op.code.data.splitlines()
            elif isinstance(op, T.LaunchOp):
                body += _launch_with_variants(op, kernels, written, cfg)
            elif isinstance(op, T.HostReturnOp):
                body.append(f"return {op.code.data}")
        params = ", ".join(h.param_names)
        if cfg.overridable:
            if "_config" in h.param_names:
                raise KoptError(f"kernel {h.sym_name.data}(): the argument name `_config` is reserved by kopt")
            params += ", _config=None"
            body.insert(0, "_config = _config or {}  # launch-time overrides (autotuner): block sizes, num_warps, num_stages")
        parts.append(f"def {h.sym_name.data}({params}):\n" + "\n".join("    " + b for b in body) + "\n")
    return "\n\n".join(parts).rstrip("\n") + "\n"
