"""The tt-level IR -> readable Triton source: one `@triton.jit` kernel and its host launcher.

The kernel takes tensors as pointers, then every size and stride symbol it uses
as a plain argument, then its block sizes as `tl.constexpr`. Names follow the
IR's hints (`indices_0`, `mask_1`, `load`, `amax`), made unique; constants,
symbols, broadcasts and pointer arithmetic are written inline where they are used.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Sequence
from dataclasses import dataclass

from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation, SSAValue

from kopt.backends.combine_codegen import helper_sources
from kopt.backends.host_hoist import hoist_size_reads
from kopt.backends.launch_checks import SYMBOL_NAME as _SYMBOL_NAME, host_text, launch_checks
from kopt.backends.range_knobs import range_kwargs
from kopt.backends.dot_codegen import IMPORT as DOT_IMPORT
from kopt.backends.dot_codegen import dot_launch
from kopt.backends.emitters import EmitterTable
from kopt.backends.exprs import is_atom, py_expr
from kopt.backends.heuristics import block_size_exprs, held_rdims, launch_warps_expr
from kopt.backends.triton_emitters import TRITON
from kopt.dialects import tile as T
from kopt.dialects import tt
from kopt.dialects.dtypes import elem_bytes, triton_name
from kopt.dialects.plan import CHUNK, TILE
from kopt.dialects.sizes import SizeAttr
from kopt.dialects.types import TensorType, TileType
from kopt.errors import KoptError
from kopt.ir.row_plan import OVERLAP, row_tail
from kopt.launch.dot_tiles import DOT_2D, WARP_SPEC

_NOT_SYMBOLS = {"cdiv", "next_power_of_2", "tl", "triton"}


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
        self.local_symbols: set[str] = set()  # sizes the kernel computes (`tile.let`): variables, not arguments
        # sizes the facts fix (`hl.specialize`, static shapes): literals in block shapes, which Triton needs constant
        self.constants = {eq[0]: eq[1] for f in kernel.plan.fact_list if (eq := f.equates()) is not None
                          and not eq[0].startswith("_")}
        # module-level @triton.jit helpers the kernel calls (combine functions, combine_codegen.py): text -> name,
        # shared by the kernels of one module
        self.helpers: dict[str, str] = {}
        self.range_kwargs: dict[str, str] = {}  # an inner loop's block name -> its `tl.range` keyword arguments

    def tensor_value(self, v: SSAValue) -> str:
        """A value's text as a Triton tensor: a scalar constant is a Python number in Triton, which would
        change type when a loop or a branch assigns a tensor to the same variable."""
        value = self.ref(v)
        if isinstance(v.owner, T.ConstantOp) and v.type.rank == 0:
            value = f"tl.full([], {value}, {triton_name(v.type.element_type)})"
        return value

    def fresh(self, hint: str | None) -> str:
        # Counters instead of scans of `used` keep naming linear in the kernel's size (same names).
        if not hint or hint == "v":  # anonymous values: v_0, v_1, ... as Helion writes them
            hint = f"v_{self._v_count}"
        base = re.sub(r"\W", "_", hint)
        if base[0].isdigit():
            base = "v_" + base
        if keyword.iskeyword(base):  # an op named `not`, `and`, ... as a hint
            base += "_"
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
        """A block shape as Triton source: `[_BLOCK_SIZE_0, 1]`; a size the facts fix is its value."""
        dims = [self._fixed(d) for d in t.dims]
        self.note_symbols(" ".join(dims))
        return "[" + ", ".join(py_expr(d, "tl") for d in dims) + "]"

    def _fixed(self, dim: str) -> str:
        if not self.constants or not (_SYMBOL_NAME.findall(dim) and set(_SYMBOL_NAME.findall(dim)) & set(self.constants)):
            return dim
        return SizeAttr(_SYMBOL_NAME.sub(lambda m: str(self.constants.get(m.group(0), m.group(0))), dim)).data

    def note_symbols(self, text: str) -> None:
        self.symbols.update(s for s in _SYMBOL_NAME.findall(text) if s not in _NOT_SYMBOLS)

    def op(self, op: Operation) -> None:
        TRITON.lookup(op)(self, op)

    def loop(self, op: tt.ForOp) -> None:
        """`for offset in tl.range(...)`: each carried value is one Python variable, updated in place."""
        carried = []
        for arg, init in zip(op.carried, op.iter_args):
            if init in self.names and _single_use(init) and init not in self.inline:
                name = self.names[init]  # the initial value's variable becomes the loop variable
            else:
                name = self.fresh(arg.name_hint or init.name_hint or "acc")
                self.emit(f"{name} = {self.tensor_value(init)}")
            self.names[arg] = name
            carried.append(name)
        offset = self.fresh(op.offset.name_hint or "offset")
        self.names[op.offset] = offset
        for text in (op.start.data, op.end.data, op.step.data):
            self.note_symbols(text)
        start, end, step = (py_expr(x.data, "tl") for x in (op.start, op.end, op.step))
        reverse = "reverse" in op.attributes
        counter = self.fresh(f"{offset}_up") if reverse else offset
        kw = self.range_kwargs.get(op.step.data, "")  # Helion's per-loop knobs (range_knobs.py)
        if _attr_text(op, "peel") == "rest":
            kw = ""  # at most one block (loop-peeling): nothing to pipeline
        if WARP_SPEC in kw:
            self.note_symbols(WARP_SPEC)  # a constexpr argument the launcher sets
        self.emit(f"for {counter} in tl.range({start}, {end}, {step}{kw}):")
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
        constexpr_names = k.plan.block_names | {DOT_2D, WARP_SPEC}
        syms = self.symbols - set(k.arg_names) - self.local_symbols
        constexprs = sorted(s for s in syms if s in constexpr_names)
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


def _single_use(v: SSAValue) -> bool:
    uses = iter(v.uses)
    return next(uses, None) is not None and next(uses, None) is None


@dataclass(frozen=True)
class LaunchConfig:
    """Launch-time choices fixed at compile time (from kopt.Config); unset ones use heuristics."""

    block_sizes: tuple[int, ...] = ()
    num_warps: int | None = None
    num_stages: int | None = None
    # The runtime's launchers also take `_config={"_BLOCK_SIZE_0": 8, "num_warps": 4, ...}`: launch-time
    # choices (the autotuner's) that need no recompile. Block sizes fixed above stay fixed (they may be facts).
    overridable: bool = False
    ranges: tuple = ()  # Helion's per-loop knobs, as range_knobs.range_options gives them


def _launch_lines(launch: T.LaunchOp, kernel: T.KernelOp, ks: KernelSource, cfg: LaunchConfig, *,
                  given: frozenset[str] = frozenset(), setup: Sequence[str] = (), then: Sequence[str] = (),
                  guarded: bool = True, checked: bool = True) -> list[str]:
    """The host lines that launch `kernel`: its block sizes (but the `given` ones, which earlier lines set), its
    checks (unless earlier lines made them: `checked` False), `setup` lines, the launch, `then` lines; under a guard
    that skips empty grids unless `guarded` is False."""
    bind = launch.bindings
    plan = kernel.plan
    constexprs = {b.name: b.size.data for b in plan.blocks if not b.chosen_at_launch}
    tiles = sorted(plan.of_kind(TILE), key=lambda b: b.index)
    blocks = {b.name: b.size.data for b in tiles}
    grid = [g.data for g in plan.grid_sizes] or ["1"]
    grid_order = [b.name for b in plan.grid_blocks()]
    grid_syms = set(grid_order)
    ordered = [b.name for b in tiles]
    # a config's block_sizes[i] is tile block number i (as its facts say), also where a pass removed a block
    config_sizes = {b.name: cfg.block_sizes[b.index] for b in tiles if b.index < len(cfg.block_sizes)}

    def host(text: str) -> str:  # symbol text -> host Python, sizes through the launch's bindings
        return host_text(text, bind)

    # a whole dim of size 0 still gets a block of 1 (all lanes masked): its reductions give their neutral element
    lines = [f"{sym} = {host(_at_least_one(expr))}" for sym, expr in sorted(constexprs.items()) if sym not in given]
    tensor = _first_tensor(launch, ks)
    dot = dot_launch(kernel, host, config_sizes, cfg.num_warps, cfg.num_stages, tensor, cfg.overridable)
    if dot is not None:  # tl.dot kernels: tensor-core tiles, warps and stages for these sizes
        lines += dot.lines
    chosen = (dot.symbols if dot is not None else set()) | given
    grid_blocks = [(s, host(blocks[s])) for s in grid_order if s not in chosen]
    loop_blocks = [(s, host(blocks[s])) for s in ordered if s not in grid_syms and s not in chosen]
    pieces = row_pieces(kernel)
    exprs = block_size_exprs(grid_blocks, loop_blocks, held_rdims(sorted(constexprs), pieces), config_sizes)
    if cfg.overridable:
        exprs = {sym: e if sym in config_sizes else f'_config.get("{sym}") or {e}' for sym, e in exprs.items()}
    lines += [f"{sym} = {expr}" for sym, expr in exprs.items()]  # each may use the ones before it
    warps = str(cfg.num_warps) if cfg.num_warps else launch_warps_expr(
        [s for s in ordered if s in grid_syms], sorted(constexprs), row_elem_bytes(kernel), bool(plan.of_kind(CHUNK)),
        pieces, row_tail(kernel) == OVERLAP)
    launch_grid = " * ".join(f"({host(g)})" if not is_atom(host(g)) else host(g) for g in grid)
    if "pid_type" in kernel.attributes:  # a persistent kernel: at most one program per SM, each looping over tiles
        launch_grid = f"persistent_programs({launch_grid}, {tensor})"
    args = [bind.get(a, a) for a in ks.tensor_args + ks.scalar_args]
    args += [bind[s] if s in bind else s for s in ks.symbols]
    args += ks.constexprs
    kw = f"num_warps={warps}" + (f", num_stages={cfg.num_stages}" if cfg.num_stages else "")
    if cfg.overridable:  # num_stages=None leaves Triton's default
        stages = f" or {cfg.num_stages}" if cfg.num_stages else ""
        kw = f'num_warps=_config.get("num_warps") or {warps}, num_stages=_config.get("num_stages"){stages}'
    if dot is not None:
        kw = dot.kw
    if WARP_SPEC in ks.constexprs:
        lines.append(f"{WARP_SPEC} = 1")  # warp-specialized loops; the launch builds them with 0 where Triton cannot
    literal = {sym: e for sym, e in {**constexprs, **exprs}.items() if e.isdigit()}
    if checked:
        lines += launch_checks(kernel, bind, set(blocks) | set(constexprs) | set(ks.scalar_args), literal)
    lines += [*setup, f"{ks.name}[({launch_grid},)]({', '.join(args)}, {kw})", *then]
    extents = [blocks[s] for s in ordered if s in grid_syms]
    if not extents or not guarded:
        return lines
    # an empty tensor launches nothing (and block sizes of 0 would divide by zero)
    guard = " and ".join(f"{host(e)} > 0" if is_atom(host(e)) else f"({host(e)}) > 0" for e in extents)
    return [f"if {guard}:"] + ["    " + line for line in lines]


def row_pieces(kernel: T.KernelOp) -> list[str] | None:
    """The block symbols of a row held as two pieces (reduction-lowering's `chunked`), else None."""
    pieces = kernel.attributes.get("row_pieces")
    return [p.data for p in pieces.data] if pieces is not None else None


def _at_least_one(expr: str) -> str:
    inner = expr[len("next_power_of_2("):-1] if expr.startswith("next_power_of_2(") and expr.endswith(")") else None
    return f"next_power_of_2(max({inner}, 1))" if inner is not None else expr


# `math` too: host code of Helion kernels often computes scales with it (`1.0 / math.sqrt(d)`)
PRELUDE = "from __future__ import annotations\n\nimport math\n\nimport torch\nimport triton\nimport triton.language as tl\n\nimport kopt.language as hl\nfrom kopt.errors import KoptError, SourceLoc\nfrom kopt.launch.captured import captured\nfrom kopt.launch.hostmath import cdiv, next_power_of_2, persistent_programs, device_programs, split_k_factor, split_k_wanted, descriptors_fit, descriptor_scratch\n"
# combine functions of the reductions Triton has no NaN-aware or product form of, emitted when a kernel uses them
COMBINE = {
    "_kopt_mul": "@triton.jit\ndef _kopt_mul(a, b):\n    return a * b\n",
    # torch's max/min: a NaN wins (one `max.NaN` instruction on sm_80 and later, as fast as tl.max)
    "_kopt_max_nan": ("@triton.jit\ndef _kopt_max_nan(a, b):\n"
                      "    return tl.maximum(a, b, propagate_nan=tl.PropagateNan.ALL)\n"),
    "_kopt_min_nan": ("@triton.jit\ndef _kopt_min_nan(a, b):\n"
                      "    return tl.minimum(a, b, propagate_nan=tl.PropagateNan.ALL)\n"),
    # torch's argmax/argmin: the first NaN wins, else the first extreme
    "_kopt_argmax_nan": ("@triton.jit\ndef _kopt_argmax_nan(a, ai, b, bi):\n"
                         "    a_first = (a > b) | ((a != a) & (b == b)) | (((a == b) | ((a != a) & (b != b))) & (ai < bi))\n"
                         "    return tl.where(a_first, a, b), tl.where(a_first, ai, bi)\n"),
    "_kopt_argmin_nan": ("@triton.jit\ndef _kopt_argmin_nan(a, ai, b, bi):\n"
                         "    a_first = (a < b) | ((a != a) & (b == b)) | (((a == b) | ((a != a) & (b != b))) & (ai < bi))\n"
                         "    return tl.where(a_first, a, b), tl.where(a_first, ai, bi)\n"),
}


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
        out.append(f"{'elif' if i else 'if'} {host_text(_attr_text(v, 'launch_if'), launch.bindings)}:")
        total = _attr_text(v, "split_k_sum")
        ks = written[v.sym_name.data]
        # a kernel that makes tensor descriptors on the device needs Triton's scratch allocator (tensor_descriptors.py)
        setup = [f"descriptor_scratch({_first_tensor(launch, ks)})"] if tt.by_descriptor(v) else []
        body = (_split_k_lines(launch, v, kernels[total], written, cfg) if total
                else _launch_lines(launch, v, ks, cfg, setup=setup))
        out += ["    " + line for line in body]
    return out + ["else:"] + ["    " + line for line in lines]


def _split_k_lines(launch: T.LaunchOp, partial: T.KernelOp, total: T.KernelOp, written: dict,
                   cfg: LaunchConfig) -> list[str]:
    """A split-K pair (kopt/passes/split_k.py): the partial kernel's tiles, the splits and the chunk, the fp32
    workspace, the partial launch, then the sum kernel's launch on the same tiles."""
    ks = written[partial.sym_name.data]
    ws = partial.body.block.args[-1].type
    roles = {role.data: sym for sym, role in partial.attributes["dot_dims"].data.items()}
    bm, bn, bk = roles["m"], roles["n"], roles["k"]
    k_extent = _attr_text(partial, "split_k_extent")
    m, n, k = (host_text(d, launch.bindings) for d in (ws.dims[1], ws.dims[2], k_extent))
    tensor = _first_tensor(launch, ks)
    setup = [f"_SPLIT_K = split_k_factor({m}, {n}, {k}, device_programs({tensor}.device), {bm}, {bn})",
             f"_SPLIT_CHUNK = cdiv(cdiv({k}, _SPLIT_K), {bk}) * {bk}",
             f"_splitk_ws = torch.empty((_SPLIT_K, {m}, {n}), dtype=torch.float32, device={tensor}.device)",
             "_splitk_ws_stride_0, _splitk_ws_stride_1, _splitk_ws_stride_2 = _splitk_ws.stride()"]
    # the sum kernel launches on the partial kernel's tiles, inside its guard, after its checks (both kernels are
    # clones of one: the same facts and bounds)
    then = _launch_lines(launch, total, written[total.sym_name.data], cfg,
                         given=frozenset(b.name for b in partial.plan.blocks), guarded=False, checked=False)
    return _launch_lines(launch, partial, ks, cfg, setup=setup, then=then)


def _first_tensor(launch: T.LaunchOp, ks: KernelSource) -> str:
    """Host Python for the kernel's first tensor argument at this launch (the device the launch runs on)."""
    return launch.bindings.get(ks.tensor_args[0], ks.tensor_args[0]) if ks.tensor_args else "torch.empty(0)"


def _attr_text(op: Operation, key: str) -> str | None:
    a = op.attributes.get(key)
    return a.data if a is not None else None


@dataclass
class _HostWriter:
    """Writes one host function's body: its ops, one emitter each (HOST below)."""

    kernels: dict
    written: dict
    cfg: LaunchConfig
    lines: list[str]


HOST = EmitterTable("Triton launcher", lambda op: "it has no place in a host function")


@HOST.emits(T.PyStmtOp)
def _py(h: _HostWriter, op: T.PyStmtOp) -> None:
    h.lines += op.code.data.splitlines()


@HOST.emits(T.LaunchOp)
def _launch(h: _HostWriter, op: T.LaunchOp) -> None:
    h.lines += hoist_size_reads(_launch_with_variants(op, h.kernels, h.written, h.cfg))


@HOST.emits(T.HostReturnOp)
def _return(h: _HostWriter, op: T.HostReturnOp) -> None:
    h.lines.append(f"return {op.code.data}")


def emit_module(module: ModuleOp, cfg: LaunchConfig = LaunchConfig()) -> str:
    """Triton source for a lowered module: kernels first, then the host launcher."""
    kernels = {op.sym_name.data: op for op in module.ops if isinstance(op, T.KernelOp)}
    hosts = [op for op in module.ops if isinstance(op, T.HostFuncOp)]
    helpers: dict[str, str] = {}
    written = {}
    for name, k in kernels.items():
        writer = _KernelWriter(k)
        writer.helpers = helpers
        writer.range_kwargs = range_kwargs(k.plan, cfg.ranges)
        written[name] = writer.write()
    dots = any("dot_dims" in k.attributes for k in kernels.values())
    parts = [PRELUDE + (DOT_IMPORT + "\n" if dots else ""), *helper_sources(helpers)]
    parts += [ks.source for ks in written.values()]
    for name, source in COMBINE.items():
        if any(f"{name}," in ks.source or f"{name})" in ks.source for ks in written.values()):
            parts.insert(1, source)
    for h in hosts:
        writer = _HostWriter(kernels, written, cfg, [])
        for op in h.body.block.ops:
            HOST.lookup(op)(writer, op)
        body = writer.lines
        params = ", ".join(h.param_names)
        if cfg.overridable:
            if "_config" in h.param_names:
                raise KoptError(f"kernel {h.sym_name.data}(): the argument name `_config` is reserved by kopt")
            params += ", _config=None"
            body.insert(0, "_config = _config or {}  # launch-time overrides (autotuner): block sizes, num_warps, num_stages")
        parts.append(f"def {h.sym_name.data}({params}):\n" + "\n".join("    " + b for b in body) + "\n")
    return "\n\n".join(parts).rstrip("\n") + "\n"
