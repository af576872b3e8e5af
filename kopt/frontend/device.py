"""Device code: the body of a tile loop, lowered statement by statement to tile IR.

Values get their rank and element type here; their symbolic shapes are `?`
until the `shape-inference` pass. Every op carries the user's source location.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable

from xdsl.ir import Block, Operation, SSAValue

from kopt.errors import KoptError

from kopt.dialects import tile as T
from kopt.dialects.dtypes import from_short, i1, i32, f32, is_bool, is_float, is_low_precision, promote, short_name
from kopt.dialects.interfaces import Folds
from kopt.dialects.types import RangeType, TensorType, TileType
from kopt.frontend.host import HostScope, captured_name, torch_attr_name
from kopt.frontend.literals import OVERFLOW_NOTE, TRITON_MAX_NUMEL, literal_int, out_of_range
from kopt.frontend.registry import ATTRIBUTES, FUNCTIONS, LOOPS, METHODS
from kopt.frontend.source import KernelSource
from kopt.frontend.control import JAGGED_LOOPS, AssignedInOneBranch, dynamic_range, if_statement, jagged_range, loop_bound
from kopt.frontend.signature import DtypeValue
from kopt.frontend.values import PyScalar, ScalarGroup, TileGroup, python_constant

# torch function / tensor method -> unary op class, as the op classes declare them (their TORCH / METHODS)
UNARY_FUNCS = {name: cls for cls in T.UNARY_CLASSES for name in cls.TORCH}
UNARY_METHODS = {name: cls for cls in T.UNARY_CLASSES for name in cls.METHODS}
BINARY_AST = {ast.Add: T.AddOp, ast.Sub: T.SubOp, ast.Mult: T.MulOp, ast.Div: T.DivOp, ast.FloorDiv: T.FloorDivOp,
              ast.Mod: T.RemOp, ast.BitAnd: T.AndOp, ast.BitOr: T.OrOp, ast.Pow: T.PowOp}
# Python's `//` and `%` on two Python numbers floor (the ops truncate, as Triton does; python_division builds
# the floor from them on tiles); every other fold is the op's own (`Folds.py_operation`)
PYTHON_DIVISION = {T.FloorDivOp: operator.floordiv, T.RemOp: operator.mod}
COMPARE_AST = {ast.Lt: T.LtOp, ast.LtE: T.LeOp, ast.Gt: T.GtOp, ast.GtE: T.GeOp, ast.Eq: T.EqOp, ast.NotEq: T.NeOp}
BINARY_FUNCS = {"torch.add": T.AddOp, "torch.sub": T.SubOp, "torch.mul": T.MulOp, "torch.div": T.DivOp,
                "torch.maximum": T.MaximumOp, "torch.minimum": T.MinimumOp, "torch.pow": T.PowOp}
TILE_LOOPS = ("hl.tile", "helion.language.tile")
GRID_LOOPS = ("hl.grid", "helion.language.grid")
SUPPORTED_HINT = ("supported in a tile loop: assignments, `+=`-style updates, subscripted loads and stores, "
                  "nested `for ... in hl.tile(...)`, arithmetic, comparisons and torch elementwise ops, "
                  "reductions (sum, amax, amin, ...), softmax / log_softmax")


def ir_name(name: str) -> str:
    """A Python name as an IR name hint (xDSL drops a trailing `_<digits>`, so keep it as `.<digits>`)."""
    head, sep, tail = name.rpartition("_")
    return f"{head}.{tail}" if sep and tail.isdigit() and head else name


def _tile(rank: int, elem) -> TileType:
    return TileType(["?"] * rank, elem)


# where torch refuses some input dtypes (its CPU kernels raise: "silu_cpu" not implemented for 'Int', ...)
_FLOAT_ONLY = ("silu", "gelu")
_NO_BOOL = ("abs", "neg", "relu", "floor", "ceil")


class DeviceBuilder:
    """Lowers the statements of one kernel's outermost tile loop."""

    def __init__(self, src: KernelSource, scope: HostScope, args: dict[str, SSAValue], block: Block,
                 next_block_id: Callable[[], str]):
        self.src = src
        self.scope = scope
        self.env: dict[str, object] = dict(args)
        self.block = block
        self.next_block_id = next_block_id
        self._dyn_ids = iter(range(1 << 30))
        self.dyn_facts: list[str] = []  # facts about the sizes the kernel computes (`_dyn_extent_0 <= m`)
        self.jagged_ends: dict[ast.For, SSAValue] = {}  # `hl.jagged_tile(ends)` loops: their per-lane ends

    def next_dyn_id(self) -> int:
        """A fresh number for the sizes of a loop whose bounds the kernel computes (`_dyn_extent_k`)."""
        return next(self._dyn_ids)

    # ------------------------------------------------------------ building

    def emit(self, op: Operation, node: ast.AST) -> Operation:
        op.location = self.src.ir_loc(node)
        if isinstance(op, T.ConstantOp) and op.value.data.lstrip("-").isdigit():  # an integer literal: does it fit?
            why = out_of_range(int(op.value.data), short_name(op.result.type.element_type))
            if why:
                raise self.err(node, why, OVERFLOW_NOTE)
        self.block.add_op(op)
        return op

    def err(self, node: ast.AST, msg: str, *notes: str):
        return self.src.error(node, msg, *notes)

    # ------------------------------------------------------------ loops

    def loop_ranges(self, node: ast.For, nested: bool = False) -> list[RangeType]:
        """`hl.tile(n)`, `hl.tile([m, n])`, `hl.tile(x.size())`, `hl.tile(begin, end)`, `block_size=`; in a
        nested loop a bound may be a value the kernel computes (frontend/control.py)."""
        call = node.iter
        if isinstance(call, ast.Call) and torch_attr_name(call.func) in JAGGED_LOOPS:
            r, self.jagged_ends[node] = jagged_range(self, call, nested)
            return [r]
        if not (isinstance(call, ast.Call) and torch_attr_name(call.func) in (*TILE_LOOPS, *GRID_LOOPS)):
            raise self.err(node.iter, "a device loop must iterate over `hl.tile(...)` or `hl.grid(...)`",
                           "write `for tile in hl.tile(n):`, `for tm, tn in hl.tile([m, n]):` or `for i in hl.grid(n):`")
        kwargs = {k.arg: k.value for k in call.keywords}
        if torch_attr_name(call.func) in GRID_LOOPS and (kwargs or len(call.args) > 2):
            raise self.err(call, "hl.grid takes a size, a list of sizes, or (begin, end)",
                           "one program (or iteration) per index; for blocks of indices use hl.tile")
        if set(kwargs) - {"block_size"}:
            raise self.err(call, f"hl.tile: unsupported keyword {sorted(set(kwargs) - {'block_size'})[0]!r}",
                           "supported: block_size=")
        grid = torch_attr_name(call.func) in GRID_LOOPS
        if nested and len(call.args) == 1 and isinstance(call.args[0], (ast.List, ast.Tuple)) \
                and not self._host_bounds(call.args):  # `hl.tile([m_g, n])`: some sizes the kernel computes
            items = call.args[0].elts
            blocks = ["1"] * len(items) if grid else self._block_sizes(kwargs.get("block_size"), len(items))
            out = []
            for item, block in zip(items, blocks):
                bound = loop_bound(self, item, nested)
                out.append(dynamic_range(self, call, "0", bound, block) if isinstance(bound, SSAValue)
                           else RangeType(bound, block))
            return out
        listed = len(call.args) == 1 and isinstance(call.args[0], (ast.List, ast.Tuple))
        if len(call.args) in (1, 2) and not listed and not self._host_bounds(call.args):
            bounds = [loop_bound(self, a, nested) for a in call.args]
            begin, end = bounds if len(bounds) == 2 else ("0", bounds[0])
            block = "1" if grid else self._block_sizes(kwargs.get("block_size"), 1)[0]
            return [dynamic_range(self, call, begin, end, block)]
        if len(call.args) == 2:
            begin, end = (self._size(a) for a in call.args)
            extents, begins = [f"({end}) - ({begin})" if begin != "0" else end], [begin]
        elif len(call.args) == 1:
            extents = self.scope.size_list(call.args[0])
            if extents is None:
                raise self.err(call.args[0], "hl.tile: cannot read this as a list of sizes",
                               "use size variables (`n, m = x.size()`), `x.size(0)`, integers, or a list of them")
            if not extents:  # `hl.tile(s.size())` of a 0-d tensor
                raise self.err(call.args[0], f"`{ast.unparse(call.args[0])}` has no sizes (a 0-d tensor's): there "
                                             "is nothing to tile",
                               "a 0-d tensor's value is used as is in a loop over another tensor's tiles "
                               "(`out[t] = x[t] * s`); to loop over it, view it as 1-d on the host (`s.reshape(1)`)")
            begins = ["0"] * len(extents)
        else:
            raise self.err(call, "hl.tile takes a size, a list of sizes, or (begin, end)")
        if torch_attr_name(call.func) in GRID_LOOPS:
            blocks = ["1"] * len(extents)  # one index per program: its offset is the index
        else:
            blocks = self._block_sizes(kwargs.get("block_size"), len(extents))
        return [RangeType(e, b, beg) for e, b, beg in zip(extents, blocks, begins)]

    def _host_bounds(self, args: list[ast.expr]) -> bool:
        """Are a loop's bounds all sizes the host knows (a size, a list of them, `x.size()`)?"""
        if len(args) == 1:
            return self.scope.size_list(args[0]) is not None
        return all(self.scope.try_size_expr(a) is not None for a in args)

    def _block_sizes(self, node: ast.expr | None, n: int) -> list[str]:
        if node is None:
            return [self.next_block_id() for _ in range(n)]
        items = node.elts if isinstance(node, (ast.List, ast.Tuple)) else [node]
        if len(items) != n:
            raise self.err(node, f"block_size gives {len(items)} sizes for {n} loop dims")
        out = []
        for item in items:
            if isinstance(item, ast.Name) and item.id in self.scope.literals:  # `block = 64` / a tunable's value
                item = ast.copy_location(ast.Constant(self.scope.literals[item.id]), item)
            value = literal_int(item)  # 64, 2**10, 1 << 10
            if isinstance(item, ast.Constant) and item.value is None:
                out.append(self.next_block_id())
            elif value is not None and value > 0:
                if value & (value - 1):
                    raise self.err(item, f"block_size {value} is not a power of two (Triton blocks must be)")
                if value > TRITON_MAX_NUMEL:
                    raise self.err(item, f"block_size {value} is more than Triton's {TRITON_MAX_NUMEL} (2**20) "
                                         "elements per block", "use a block of at most 2**20; the loop covers the "
                                         "rest of the size one block after another")
                out.append(str(value))
            elif isinstance(item, ast.Name) and item.id in self.scope.block_sizes:
                if not self.scope.block_sizes[item.id]:
                    self.scope.block_sizes[item.id] = self.next_block_id()
                out.append(self.scope.block_sizes[item.id])
            else:
                raise self.err(item, "block_size must be a power-of-two integer, None, or a name from "
                                     "hl.register_block_size")
        literal = [int(b) for b in out if b.isdigit()]
        if len(literal) > 1 and _product(literal) > TRITON_MAX_NUMEL:
            raise self.err(node, f"block_size {' x '.join(map(str, literal))} makes tiles of {_product(literal)} "
                                 f"elements, more than Triton's {TRITON_MAX_NUMEL} (2**20) per block",
                           "use smaller blocks: their product must be at most 2**20")
        return out

    def _size(self, node: ast.expr) -> str:
        if isinstance(node, ast.Name) and node.id in self.scope.block_sizes and node.id not in self.env:
            if not self.scope.block_sizes[node.id]:  # `hl.register_block_size` used before any loop takes it
                raise self.err(node, f"`{node.id}` (hl.register_block_size) is not the block size of a loop yet",
                               f"use it in `hl.tile(..., block_size={node.id})` before this")
            return self.scope.block_sizes[node.id]  # its block symbol: `hl.zeros([tile_m, block_n])`
        s = self.scope.try_size_expr(node)
        if s is None:
            raise self.err(node, "expected an integer size (a size variable, `x.size(i)`, an integer, "
                                 "or + - * // % of them)")
        return s

    def bind_loop(self, node: ast.For, ranges: list[SSAValue]) -> None:
        """Bind a loop's variables: tiles for `hl.tile`; for `hl.grid` (block 1) the scalar index, its tile's begin."""
        self.bind_targets(node.target, ranges)
        if torch_attr_name(node.iter.func) in GRID_LOOPS:
            for name, v in list(self.env.items()):
                group = v.ranges if isinstance(v, TileGroup) else [v]
                if any(r in ranges for r in group):
                    index = [self.emit(T.TileAttrOp(r, "begin"), node).result for r in group]
                    for r, i in zip(group, index):
                        i.name_hint = r.name_hint
                    self.env[name] = index[0] if len(index) == 1 else ScalarGroup(index)

    def bind_targets(self, target: ast.expr, ranges: list[SSAValue]) -> None:
        if isinstance(target, ast.Name):
            self.env[target.id] = ranges[0] if len(ranges) == 1 else TileGroup(list(ranges))
            for i, r in enumerate(ranges):
                r.name_hint = ir_name(target.id) if len(ranges) == 1 else f"{target.id}.{i}"
        elif isinstance(target, ast.Tuple) and all(isinstance(e, ast.Name) for e in target.elts):
            if len(target.elts) != len(ranges):
                raise self.err(target, f"{len(target.elts)} loop variables for a {len(ranges)}-d tile")
            for e, r in zip(target.elts, ranges):
                self.env[e.id] = r
                r.name_hint = ir_name(e.id)
        else:
            raise self.err(target, "a tile loop variable must be a name or a tuple of names")

    # ------------------------------------------------------------ statements

    def body(self, stmts: list[ast.stmt]) -> None:
        for s in stmts:
            self.stmt(s)

    def stmt(self, s: ast.stmt) -> None:
        if isinstance(s, ast.Assign):
            if len(s.targets) != 1:
                raise self.err(s, "chained assignment (`a = b = ...`) is not supported in a tile loop")
            self.assign(s.targets[0], s.value, s)
        elif isinstance(s, ast.AugAssign):
            target = s.target
            current = self.expr(target)
            value = self.binary(BINARY_AST.get(type(s.op)), current, self.expr(s.value), s)
            self.assign(target, None, s, value)
        elif isinstance(s, ast.AnnAssign) and s.value is not None:
            self.assign(s.target, s.value, s)
        elif isinstance(s, ast.For) and isinstance(s.iter, ast.Call) and torch_attr_name(s.iter.func) in LOOPS:
            LOOPS[torch_attr_name(s.iter.func)](self, s)  # hl.static_range: unrolled (frontend/ops/static.py)
        elif isinstance(s, ast.For):
            self.nested_loop(s)
        elif isinstance(s, ast.If):
            if_statement(self, s)
        elif isinstance(s, ast.Pass) or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)):
            return
        elif isinstance(s, ast.Expr) and isinstance(s.value, ast.Call):  # hl.store(...), hl.atomic_add(...)
            self.expr(s.value)
        elif isinstance(s, ast.Expr) and isinstance(s.value, (ast.Yield, ast.YieldFrom, ast.Await)):
            word = {ast.Yield: "yield", ast.YieldFrom: "yield from", ast.Await: "await"}[type(s.value)]
            raise self.err(s, f"`{word}` is not supported in a kernel",
                           "a kernel writes its results into tensors (`out[tile] = ...`) and returns them")
        elif isinstance(s, ast.Expr):
            raise self.err(s, f"the expression statement `{_clip(ast.unparse(s.value))}` does nothing in a tile loop",
                           "assign its value to a name or store it into a tensor (`out[tile] = ...`)")
        else:
            kind = {ast.While: "a `while` loop", ast.Return: "`return`",
                    ast.With: "a `with` block", ast.Try: "a `try` block", ast.Break: "`break`",
                    ast.Continue: "`continue`", ast.Raise: "`raise`", ast.Global: "`global`",
                    ast.Nonlocal: "`nonlocal`", ast.Match: "a `match` statement", ast.Delete: "`del`",
                    ast.Assert: "`assert`", ast.Import: "`import`", ast.ImportFrom: "`from ... import`",
                    ast.FunctionDef: "a nested `def`", ast.ClassDef: "a `class`",
                    ast.AsyncFor: "an `async for` loop", ast.AsyncWith: "an `async with` block",
                    ast.AsyncFunctionDef: "a nested `async def`",
                    ast.AnnAssign: "an annotation without a value"}.get(type(s), f"a `{type(s).__name__}` statement")
            raise self.err(s, f"{kind} is not supported inside a tile loop", SUPPORTED_HINT)

    def assign(self, target: ast.expr, value_node: ast.expr | None, s: ast.stmt, value=None) -> None:
        if value is None:
            value = self.expr(value_node)
        if isinstance(target, ast.Name):
            if isinstance(value, SSAValue) and value.name_hint is None:
                value.name_hint = ir_name(target.id)
            self.env[target.id] = value
        elif isinstance(target, ast.Tuple) and isinstance(value, tuple):  # `values, indices = x.max(1)`
            if len(target.elts) != len(value):
                raise self.err(target, f"cannot unpack {len(value)} results into {len(target.elts)} names")
            for t, v in zip(target.elts, value):
                self.assign(t, None, s, v)
        elif isinstance(target, ast.Subscript):
            self.store(target, value, s)
        else:
            raise self.err(target, "can only assign to a name or to a subscripted tensor in a tile loop")

    def nested_loop(self, s: ast.For) -> None:
        if s.orelse:
            raise self.err(s, "`for ... else` is not supported")
        ranges = self.loop_ranges(s, nested=True)
        assigned = {n.id for n in ast.walk(ast.Module(s.body, [])) if isinstance(n, ast.Name)
                    and isinstance(n.ctx, ast.Store)}
        carried = sorted(n for n in assigned if isinstance(self.env.get(n), SSAValue)
                         and isinstance(self.env[n].type, TileType))
        outer_block, saved = self.block, dict(self.env)
        # `hl.tile([m, n])` inside a kernel: one sequential loop per dim, the first outermost, each carrying
        # the accumulators of the loop body
        loops, values = [], [self.env[n] for n in carried]
        for r in ranges:
            loop = T.ForOp([r], "sequential", values)
            self.emit(loop, s)
            loops.append(loop)
            self.block, values = loop.body.block, list(loop.carried)
        self.bind_loop(s, [loop.ranges[0] for loop in loops])
        if s in self.jagged_ends:
            self.emit(T.JaggedOp(loops[0].ranges[0], self.jagged_ends.pop(s)), s)
        for name, arg in zip(carried, values):
            self.env[name] = arg
        self.body(s.body)
        self.emit(T.YieldOp(*(self.env[n] for n in carried)), s)
        for inner, outer in zip(reversed(loops[1:]), reversed(loops[:-1])):
            self.block = outer.body.block
            self.emit(T.YieldOp(*inner.results), s)
        self.block, self.env = outer_block, saved
        for name, res in zip(carried, loops[0].results):
            self.env[name] = res

    # ------------------------------------------------------------ memory

    def subscript(self, node: ast.Subscript) -> tuple[SSAValue, list[str], list[SSAValue]]:
        base = self.env.get(node.value.id) if isinstance(node.value, ast.Name) else None
        if not (isinstance(base, SSAValue) and isinstance(base.type, TensorType)):
            raise self.err(node.value, "only kernel tensors can be subscripted with tiles here")
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        spec, indices = [], []
        for it in items:
            v = self.env.get(it.id) if isinstance(it, ast.Name) else None
            if isinstance(it, ast.Subscript) and isinstance(it.value, ast.Name) \
                    and isinstance(self.env.get(it.value.id), tuple):  # `tile[1]` of a tuple of tiles (an epilogue's)
                v = self.tuple_item(self.env[it.value.id], it)
            if isinstance(v, (TileGroup, ScalarGroup)):
                group = v.ranges if isinstance(v, TileGroup) else v.indices
                spec += ["i"] * len(group)
                indices += group
            elif isinstance(v, SSAValue) and isinstance(v.type, RangeType):
                spec.append("i")
                indices.append(v)
            elif isinstance(it, ast.Slice) and it.lower is None and it.upper is None and it.step is None:
                spec.append(":")
            elif isinstance(it, ast.Slice):  # `x[:, n1:]`, `out[t, :n]`, `x[t, k0:k0 + 16]`: a view of x
                base = self.slice_view(base, len([e for e in spec if e != "None"]), it, node)
                spec.append(":")
            elif isinstance(it, ast.Constant) and it.value is None:
                spec.append("None")
            else:
                spec.append("i")
                indices.append(self.scalar_index(it))
        rank = base.type.rank
        used = len([s for s in spec if s != "None"])
        if used < rank:  # `x[tile]` on a 2-D tensor means `x[tile, :]`
            spec += [":"] * (rank - used)
        elif used > rank:
            raise self.err(node, f"{used} subscripts for `{node.value.id}`, a tensor of rank {rank}")
        return base, spec, indices

    def slice_view(self, base: SSAValue, dim: int, it: ast.Slice, node: ast.Subscript) -> SSAValue:
        """The tensor narrowed along `dim` by a slice whose bounds the host knows (sizes, integers, `hl.static_range`
        values, negative integers counted from the end)."""
        if dim >= base.type.rank:
            raise self.err(node, f"too many subscripts for a tensor of rank {base.type.rank}")
        if it.step is not None and not (isinstance(it.step, ast.Constant) and it.step.value == 1):
            raise self.err(it.step, "a slice with a step is not supported", "index with a tile of indices instead")
        size = base.type.dims[dim]

        def bound(b: ast.expr | None, default: str) -> str:
            if b is None:
                return default
            v = self.expr(b) if not isinstance(b, ast.Constant) else PyScalar(b.value)
            if isinstance(v, PyScalar) and isinstance(v.value, int) and not isinstance(v.value, bool):
                return str(v.value) if v.value >= 0 else f"({size}) - {-v.value}"
            text = self.scope.try_size_expr(b)
            if text is None:
                raise self.err(b, "a slice bound must be a size the host knows (a size, an integer, host arithmetic "
                                  "of them)", "for bounds the kernel computes, loop with hl.tile(begin, end)")
            return text

        view = T.SliceViewOp(base, dim, bound(it.lower, "0"), bound(it.upper, size))
        return self.emit(view, it).result

    def scalar_index(self, node: ast.expr) -> SSAValue:
        """An integer index that drops its dim (`x[i, :]` with `i` from hl.grid, `x[0, tile]`), or a tile
        of integer indices whose dims take its place (a gather: `weight[ids[tile_b], tile_e]`)."""
        v = self.expr(node) if not isinstance(node, ast.Slice) else None
        if isinstance(v, PyScalar) and isinstance(v.value, int):
            return self.emit(T.ConstantOp(str(v.value), TileType([], i32)), node).result
        if isinstance(v, SSAValue) and isinstance(v.type, TileType) \
                and not is_float(v.type.element_type) and not is_bool(v.type.element_type):
            return v
        if isinstance(v, SSAValue) and isinstance(v.type, TileType):
            raise self.err(node, f"a tensor index must hold integers, not {short_name(v.type.element_type)}",
                           "convert it with .to(torch.int64); from the CLI, whose tensors default to f32, give "
                           "the index tensor's dtype: --signature \"ids: i64[N], ...\"")
        raise self.err(node, "unsupported subscript: use a tile, `:`, `None`, an integer index (hl.grid) "
                             "or a tile of integer indices")

    def load(self, node: ast.Subscript) -> SSAValue:
        base, spec, indices = self.subscript(node)
        dims = sum(i.type.rank - 1 for i in indices if isinstance(i.type, TileType))  # a scalar index drops its dim
        result = _tile(len(spec) + dims, base.type.element_type)
        return self.emit(T.LoadOp.build_load(base, spec, indices, result), node).result

    def store(self, target: ast.Subscript, value, s: ast.stmt) -> None:
        base, spec, indices = self.subscript(target)
        value = self.as_tile(value, s, base.type.element_type)
        if value.type.element_type != base.type.element_type:
            value = self.emit(T.CastOp(value, value.type.with_element(base.type.element_type)), s).result
        self.emit(T.StoreOp.build_store(base, spec, indices, value), s)

    # ------------------------------------------------------------ expressions

    def expr(self, node: ast.expr):
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return PyScalar(node.value)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, (ast.Call, ast.Subscript)) and (size := self.scope.try_size_expr(node)) is not None:
            return self.emit(T.SymbolOp(size, TileType([], i32)), node).result  # x.size(1), x.shape[1]
        if isinstance(node, ast.Subscript):
            # a name is a kernel tensor (a load) or a value; any other expression is a value (`(i < n)[None, :]`)
            named = isinstance(node.value, ast.Name) and node.value.id in self.env
            base = self.env[node.value.id] if named else self.expr(node.value) \
                if not isinstance(node.value, ast.Name) or node.value.id in self.scope.constants else None
            if isinstance(base, tuple):  # `torch.max(x, 1)[0]`
                return self.tuple_item(base, node)
            if isinstance(base, SSAValue) and isinstance(base.type, TileType):
                return self.view(base, node)
            return self.load(node)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
            return FUNCTIONS["operator.matmul"](self, node, {})
        if isinstance(node, ast.Attribute) and node.attr in ("T", "mT") and node.attr in METHODS:
            return METHODS[node.attr](self, self.expr(node.value), node, {})
        if isinstance(node, ast.Attribute) and node.attr in ATTRIBUTES:  # tile.index, tile.begin, ...
            return ATTRIBUTES[node.attr](self, self.expr(node.value), node)
        if isinstance(node, ast.BinOp):
            op = BINARY_AST.get(type(node.op))
            if op is None:
                raise self.err(node, f"operator `{type(node.op).__name__}` is not supported on tiles")
            return self.binary(op, self.expr(node.left), self.expr(node.right), node)
        if isinstance(node, ast.Compare):
            if len(node.ops) != 1:
                raise self.err(node, "chained comparisons are not supported; use `&` of two comparisons")
            return self.binary(COMPARE_AST[type(node.ops[0])], self.expr(node.left), self.expr(node.comparators[0]), node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            v = self.expr(node.operand)
            return PyScalar(-v.value) if isinstance(v, PyScalar) else self.unary("neg", v, node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Tuple) and isinstance(node.ctx, ast.Load):  # `a, b = x[t], y[t]` unpacks it
            return tuple(self.expr(e) for e in node.elts)
        raise self.err(node, f"`{ast.unparse(node)}` ({type(node).__name__}) is not supported in a tile loop",
                       SUPPORTED_HINT)

    def tuple_item(self, value, node: ast.Subscript):
        """An integer subscript of a multi-result value (`torch.max(x, 1)` is (values, indices))."""
        i = node.slice.value if isinstance(node.slice, ast.Constant) else None
        if not isinstance(value, tuple) or not isinstance(i, int) or not -len(value) <= i < len(value):
            raise self.err(node, "only kernel tensors, tiles and results like `torch.max(x, dim)` can be "
                                 "subscripted here (the latter with a constant index)")
        return value[i]

    def name(self, node: ast.Name):
        if node.id in self.env:
            value = self.env[node.id]
            if isinstance(value, AssignedInOneBranch):
                raise self.err(node, f"`{node.id}` is assigned in only one branch of the `if` on line {value.line}, "
                                     "and used after it",
                               f"assign `{node.id}` in both branches, or before the `if`")
            return value
        if node.id in self.scope.constants:  # an argument compiled in: None, a bool, a tuple of ints
            return python_constant(self.scope.constants[node.id])
        if node.id in self.scope.dtypes:
            return DtypeValue(self.scope.dtypes[node.id])
        size = self.scope.try_size_expr(node)
        if size is not None:
            return self.emit(T.SymbolOp(size, TileType([], from_short("i32"))), node).result
        raise self.err(node, f"`{node.id}` is not defined here",
                       "a tile loop can use kernel arguments, host variables and values defined earlier in the loop")

    def host_value(self, expr: str, hint: str, node: ast.AST) -> SSAValue:
        """A scalar the launcher computes at every call (`expr`, host Python) and passes to the kernel."""
        name = f"_kopt_{hint}_{len(self.scope.host_bindings)}"
        self.scope.host_bindings[name] = expr
        return self.emit(T.SymbolOp(name, TileType([], from_short("i64"))), node).result

    def dtype_of(self, node: ast.expr | None, default: str | None) -> str | None:
        """The short name of a dtype expression: `torch.float16`, `acc_dtype`, `x.dtype` of a kernel tensor or of
        a tile value, `torch.promote_types(a, b)` of those."""
        if node is None:
            return default
        if isinstance(node, ast.Attribute) and node.attr == "dtype" and not (
                isinstance(node.value, ast.Name) and node.value.id in self.scope.tensors
                and node.value.id not in self.env):
            v = self.expr(node.value)
            if isinstance(v, SSAValue) and isinstance(v.type, (TileType, TensorType)):
                return short_name(v.type.element_type)
        if isinstance(node, ast.Call) and torch_attr_name(node.func) == "torch.promote_types" and len(node.args) == 2:
            a, c = (self.dtype_of(x, None) for x in node.args)
            return None if a is None or c is None else short_name(promote(from_short(a), from_short(c)))
        return self.scope.dtype_of(node, default)

    def tile_index(self, v, node: ast.AST):
        """A tile in arithmetic stands for its indices (`tile_n + start`, as Helion reads it)."""
        if isinstance(v, SSAValue) and isinstance(v.type, RangeType):
            return self.emit(T.TileAttrOp(v, "index"), node).result
        return v

    def as_tile(self, v, node: ast.AST, like=None) -> SSAValue:
        """Materialize a Python scalar as a constant with the dtype it takes next to `like`."""
        if isinstance(v, SSAValue) and isinstance(v.type, TileType):
            return v
        if isinstance(v, PyScalar):
            elem = like if like is not None and (is_float(like) or isinstance(v.value, int)) else None
            wide = isinstance(v.value, int) and not -(1 << 31) <= v.value < (1 << 31)  # a Python int as wide as it is
            elem = elem or (f32 if isinstance(v.value, float) else from_short("i64" if wide else "i32"))
            text = repr(float(v.value)) if is_float(elem) else str(int(v.value))
            return self.emit(T.ConstantOp(text, TileType([], elem)), node).result
        if isinstance(v, SSAValue) and isinstance(v.type, RangeType) or isinstance(v, TileGroup):
            raise self.err(node, "a tile used as a value: write `tile.index` for its indices, or use it in a subscript")
        if isinstance(v, SSAValue) and isinstance(v.type, TensorType):
            if v.type.rank == 0:  # a 0-d tensor in arithmetic is its one value, as in torch (`x[t] * scale`)
                return self.emit(T.LoadOp.build_load(v, [], [], _tile(0, v.type.element_type)), node).result
            name = v.name_hint or "x"
            raise self.err(node, f"expected a tile value here, not the tensor `{name}` (rank {v.type.rank})",
                           f"subscript it with tiles (`{name}[tile]`) to use its values")
        raise self.err(node, "expected a tile value here")

    def binary(self, op_cls, a, b, node: ast.AST) -> SSAValue:
        if op_cls is None:
            raise self.err(node, "unsupported operator")
        if isinstance(a, PyScalar) and isinstance(b, PyScalar):  # e.g. `i + 1` with i from hl.static_range
            fold = PYTHON_DIVISION.get(op_cls) or (op_cls.py_operation if issubclass(op_cls, Folds) else None)
            if fold is None:
                raise self.err(node, "arithmetic on two Python numbers belongs in host code")
            try:
                return PyScalar(fold(a.value, b.value))
            except (ZeroDivisionError, OverflowError) as e:
                raise self.err(node, f"constant arithmetic fails: {e}") from None
        a, b = (self.tile_index(v, node) for v in (a, b))  # `tile + offset`: the tile's indices
        if op_cls is T.PowOp:  # Triton has no `**`; frontend/ops/elementwise.py builds it from other ops
            from kopt.frontend.ops.elementwise import power

            return power(self, a, b, node)
        ta = self.as_tile(a, node, b.type.element_type if isinstance(b, SSAValue) and isinstance(b.type, TileType) else None)
        tb = self.as_tile(b, node, ta.type.element_type)
        try:
            elem = promote(ta.type.element_type, tb.type.element_type)
        except KoptError as e:  # fp8 with another dtype: located here
            raise self.err(node, e.message, *e.notes) from None
        if op_cls is T.DivOp and not is_float(elem):
            elem = f32
        if is_bool(elem) and op_cls in (T.AddOp, T.MulOp, T.SubOp):  # torch's bool arithmetic stays bool
            if op_cls is T.SubOp:
                raise self.err(node, "subtracting two bool tiles is not supported (torch refuses it too)",
                               "use `a != b` for xor, or convert first: `a.to(torch.int32) - b.to(torch.int32)`")
            op_cls = T.OrOp if op_cls is T.AddOp else T.AndOp  # True + True is True; a product is an and
        if op_cls in (T.AndOp, T.OrOp) and not (is_bool(elem) or not is_float(elem)):
            raise self.err(node, "`&` and `|` need boolean or integer tiles")
        ta, tb = (self.cast(t, elem, node) for t in (ta, tb))
        if op_cls in (T.FloorDivOp, T.RemOp):  # Triton's // and % truncate; torch's floor (frontend/ops/division.py)
            from kopt.frontend.ops.division import python_division

            return python_division(self, op_cls, ta, tb, node)
        result_elem = i1 if op_cls in T.COMPARE_OPS else elem
        rank = max(ta.type.rank, tb.type.rank)
        return self.emit(op_cls(ta, tb, _tile(rank, result_elem)), node).result

    def where(self, c, a, b, node: ast.AST) -> SSAValue:
        """torch.where(c, a, b): broadcast, the branches promoted to one element type."""
        c = self.as_tile(c, node)
        a_t = self.as_tile(a, node, b.type.element_type if isinstance(b, SSAValue) and isinstance(b.type, TileType) else None)
        b_t = self.as_tile(b, node, a_t.type.element_type)
        elem = promote(a_t.type.element_type, b_t.type.element_type)
        rank = max(c.type.rank, a_t.type.rank, b_t.type.rank)
        return self.emit(T.WhereOp(c, self.cast(a_t, elem, node), self.cast(b_t, elem, node), _tile(rank, elem)), node).result

    def cast(self, v: SSAValue, elem, node: ast.AST) -> SSAValue:
        if v.type.element_type == elem:
            return v
        return self.emit(T.CastOp(v, v.type.with_element(elem)), node).result

    def unary(self, op: str | type, v, node: ast.AST) -> SSAValue:
        """A unary op (its class, or its short name: "exp") on a value, in the types the op declares."""
        cls = T.UNARY_OPS[op] if isinstance(op, str) else op
        t = self.as_tile(v, node)
        short = cls.name.split(".", 1)[1]
        if short in _FLOAT_ONLY and not is_float(t.type.element_type) or short in _NO_BOOL and is_bool(t.type.element_type):
            raise self.err(node, f"{short} of a {short_name(t.type.element_type)} tile: torch does not take "
                                 f"{'integer or bool' if short in _FLOAT_ONLY else 'bool'} inputs here",
                           "convert first: `.to(torch.float32)`")
        if cls.FLOAT_MATH and not is_float(t.type.element_type):
            t = self.cast(t, f32, node)
        elem = t.type.element_type
        if cls.FLOAT_MATH and is_low_precision(elem):
            # Triton's math functions take fp32/fp64 only: compute in fp32 and round back, as torch's result is fp16/bf16
            wide = self.emit(cls(self.cast(t, f32, node)), node).result
            return self.cast(wide, elem, node)
        return self.emit(cls(t), node).result

    def view(self, base: SSAValue, node: ast.Subscript) -> SSAValue:
        """`v[:, None]` on a tile value: insert unit dims."""
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        spec = []
        for it in items:
            if isinstance(it, ast.Slice) and it.lower is None and it.upper is None and it.step is None:
                spec.append(":")
            elif isinstance(it, ast.Constant) and it.value is None:
                spec.append("None")
            else:
                raise self.err(it, "a tile value can only be subscripted with `:` and `None`")
        if spec.count(":") != base.type.rank:
            raise self.err(node, f"{spec.count(':')} `:` for a tile of rank {base.type.rank}")
        return self.emit(T.ExpandOp(base, spec, _tile(len(spec), base.type.element_type)), node).result

    # ------------------------------------------------------------ calls

    def call(self, node: ast.Call) -> SSAValue:
        fn = torch_attr_name(node.func) or ""
        kwargs = {k.arg: k.value for k in node.keywords if k.arg}
        method = node.func.attr if isinstance(node.func, ast.Attribute) and fn not in UNARY_FUNCS else None
        arity = 1 if fn in UNARY_FUNCS else 2 if fn in BINARY_FUNCS else 3 if fn == "torch.where" else None
        if arity is not None and len(node.args) != arity:  # a located error, not an unpacking crash
            raise self.err(node, f"`{fn}` takes {arity} positional argument{'s' if arity > 1 else ''}, "
                                 f"got {len(node.args)}")
        if fn in UNARY_FUNCS:
            if fn == "torch.nn.functional.gelu" and "approximate" in kwargs:  # "tanh": frontend/ops/elementwise.py
                from kopt.frontend.ops.elementwise import gelu_approximate

                return gelu_approximate(self, self.expr(node.args[0]), kwargs["approximate"], node)
            return self.unary(UNARY_FUNCS[fn], self.expr(node.args[0]), node)
        if fn in BINARY_FUNCS:
            return self.binary(BINARY_FUNCS[fn], self.expr(node.args[0]), self.expr(node.args[1]), node)
        if fn == "torch.where":
            return self.where(*(self.expr(a) for a in node.args), node)
        if fn in ("hl.zeros", "hl.full"):
            return self.full(node, fn, kwargs)
        if isinstance(node.func, ast.Name) and node.func.id in self.scope.callables and node.func.id not in self.env:
            return self.inline_call(self.scope.callables[node.func.id], node)
        if fn in FUNCTIONS:
            return FUNCTIONS[fn](self, node, kwargs)
        if method is not None and method in METHODS and not (isinstance(node.func.value, ast.Name)
                                                              and node.func.value.id in ("torch", "hl")):
            return METHODS[method](self, self.expr(node.func.value), node, kwargs)
        if method is not None:
            recv = node.func.value
            if method in UNARY_METHODS:
                return self.unary(UNARY_METHODS[method], self.expr(recv), node)
            if method in ("to", "float", "half", "bfloat16"):
                return self.convert(self.as_tile(self.expr(recv), node), method, node)
        raise self.err(node, f"call to `{ast.unparse(node.func)}` is not supported in a tile loop", SUPPORTED_HINT)

    def inline_call(self, fn, node: ast.Call):
        """A function passed as an argument, inlined: its parameters bound to the call's values (and its closed-over
        constants), its body built here; names it assigns stay its own."""
        if node.keywords or len(node.args) != len(fn.params):
            raise self.err(node, f"`{fn.name}` takes {len(fn.params)} positional arguments here, got "
                                 f"{len(node.args)}{' and keywords' if node.keywords else ''}")
        args = [self.expr(a) for a in node.args]
        saved = dict(self.env)
        try:
            for name, value in fn.constants:
                self.env[name] = python_constant(value)
            for name, _, _ in fn.tensors:  # captured tensors are kernel arguments of their own
                self.env[name] = self.env[captured_name(node.func.id, name)]
            self.env.update(zip(fn.params, args))
            if isinstance(fn.body, ast.expr):
                return self.expr(fn.body)
            self.body(list(fn.body[:-1]))
            return self.expr(fn.body[-1].value)
        finally:
            self.env = saved

    def full(self, node: ast.Call, fn: str, kwargs) -> SSAValue:
        """`hl.zeros([tile_m, tile_n], dtype=...)` / `hl.full([tile_m], value, dtype=...)`: a filled block."""
        want = 1 if fn == "hl.zeros" else 2
        if len(node.args) != want:
            raise self.err(node, f"{fn} takes {'a shape' if want == 1 else 'a shape and a value'} (and dtype=)")
        shape = node.args[0]
        items = shape.elts if isinstance(shape, (ast.List, ast.Tuple)) else [shape]
        dims: list[str] = []
        for it in items:
            v = self.env.get(it.id) if isinstance(it, ast.Name) else None
            if isinstance(it, ast.Subscript) and isinstance(it.value, ast.Name) \
                    and isinstance(self.env.get(it.value.id), tuple):  # `tile[1]` of a tuple of tiles (an epilogue's)
                v = self.tuple_item(self.env[it.value.id], it)
            if isinstance(v, TileGroup):
                dims += [r.type.block.data for r in v.ranges]
            elif isinstance(v, SSAValue) and isinstance(v.type, RangeType):
                dims.append(v.type.block.data)
            else:
                dims.append(self._size(it))
        value = 0.0
        if want == 2:
            v = self.expr(node.args[1])  # a literal, `float("-inf")`, `-math.inf`, a static_range variable
            if not isinstance(v, PyScalar):
                raise self.err(node.args[1], f"{fn}: the fill value must be a number constant")
            value = v.value
        name = self.dtype_of(kwargs.get("dtype"), "f32")
        if name is None:
            raise self.err(kwargs["dtype"], f"{fn}: unknown dtype")
        elem = from_short(name)
        text = repr(float(value)) if is_float(elem) else str(int(value))
        if isinstance(value, float) and value in (float("inf"), float("-inf")):
            text = "inf" if value > 0 else "-inf"
        return self.emit(T.ConstantOp(text, TileType(dims, elem)), node).result

    def _dim_arg(self, args, kwargs, rank: int, node: ast.AST, name: str = "dim") -> int | None:
        d = kwargs.get(name, args[0] if args else None)
        if d is None:
            return None
        try:
            value = ast.literal_eval(d)
        except ValueError:
            raise self.err(d, f"`{name}` must be an integer constant") from None
        if not isinstance(value, int) or not -rank <= value < rank:
            raise self.err(d, f"dim {value} is out of range for a tile of rank {rank}")
        return value % rank

    def convert(self, t: SSAValue, method: str, node: ast.Call) -> SSAValue:
        if method == "to":
            dtype_node = node.args[0] if node.args else node.keywords[0].value if node.keywords else None
            name = self.dtype_of(dtype_node, "") if dtype_node is not None else None
            if not name:
                raise self.err(node, "`.to(...)` needs a dtype such as torch.float32 or x.dtype")
        else:
            name = {"float": "f32", "half": "f16", "bfloat16": "bf16"}[method]
        return self.cast(t, from_short(name), node)


def _product(values: list[int]) -> int:
    out = 1
    for v in values:
        out *= v
    return out


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


__all__ = ["DeviceBuilder", "short_name", "i32"]
