"""split-k: a product with few output tiles and a long k, split along k over more programs, summed in order.

An [m, n] output of a handful of tiles (a decode step's 16 rows against a 4096-wide weight: 64 tiles of 64 x 64)
leaves most SMs idle however long k is. Beside each matmul-shaped kernel this pass makes a variant pair the launcher
runs where `split_k_wanted(m, n, k, bytes)` holds (kopt/launch/hostmath.py: the tiles fill at most half of the SMs
and the partial sums stay small beside the operands):

- `<name>_splitk` runs S programs per tile (a leading grid dim of `_SPLIT_K`), each over its own run of
  `_SPLIT_CHUNK` k-elements (`[s * chunk, min((s + 1) * chunk, k))`, a loop over a computed range), and stores its
  fp32 partial product into a workspace `_splitk_ws[s, m, n]`; nothing after the k-loop runs there;
- `<name>_splitk_sum` is the kernel with its k-loop replaced by a loop over the S partial products of its tile,
  added in order (s = 0, 1, ...: the same sum on every run, not atomics' order), then the kernel's own epilogue
  (bias, activation, cast, store) on the sum.

The launcher (triton_codegen.py) picks `split_k_tile`'s tiles for the pair, S = `split_k_factor` of the device's SMs, the
chunk a whole number of k-blocks, allocates the workspace and launches both, one after the other on one stream.
Matmul-shaped: the kernel's one top-level loop runs over the k-role block of its `dot_dims` (no batch) and a k the
host knows, carries one fp32 value that starts at 0 and only adds products to it (`acc + a @ b`, `hl.dot(a, b,
acc=acc)`), does not read its block's number (`tile.id`), and nothing before or in it stores. Other kernels (attention's loop carries a max and a sum) keep one launch.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ArrayAttr, IntegerAttr, ModuleOp, StringAttr
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.transforms.dead_code_elimination import region_dce

from kopt.dialects import tile as T
from kopt.dialects.dtypes import elem_bytes, f32, i32
from kopt.dialects.types import RangeType, TensorType, TileType
from kopt.ir.coverage import numbers_blocks
from kopt.ir.util import kernels, set_type
from kopt.passes.registry import register_pass

SPLITS, CHUNK, WORKSPACE = "_SPLIT_K", "_SPLIT_CHUNK", "_splitk_ws"


@dataclass(frozen=True)
class _Shape:
    """Where a matmul-shaped kernel's parts are: its k-loop, the m and n program ranges, the k extent."""

    loop: T.ForOp
    m_range: SSAValue
    n_range: SSAValue
    k_extent: str
    k_block: str


def _is_zero(v: SSAValue) -> bool:
    return isinstance(v.owner, T.ConstantOp) and v.owner.value.data in ("0", "0.0")


def _adds_products(loop: T.ForOp) -> bool:
    """The one carried value is fp32 (the workspace's type), starts at 0 and each iteration only adds a product."""
    if len(loop.carried) != 1 or not _is_zero(loop.iter_args[0]) or loop.carried[0].type.element_type != f32:
        return False
    acc = loop.carried[0]
    uses = list(acc.uses)
    yielded = loop.body.block.last_op.operands[0]
    op = yielded.owner
    if len(uses) != 1:
        return False
    if isinstance(op, T.DotOp):
        return op.acc is acc
    if isinstance(op, T.AddOp) and acc in op.operands:
        other = op.rhs if op.lhs is acc else op.lhs
        return isinstance(other.owner, T.DotOp) and other.owner.acc is None
    return False


def matmul_shape(kernel: T.KernelOp) -> _Shape | None:
    roles = kernel.attributes.get("dot_dims")
    if roles is None or "pid_type" in kernel.attributes:
        return None
    block_of = {role.data: sym for sym, role in roles.data.items()}
    if set(block_of) != {"m", "n", "k"}:
        return None
    top = list(kernel.body.block.ops)
    loops = [op for op in top if isinstance(op, T.ForOp)]
    if len(loops) != 1 or loops[0].kind_name != "sequential" or len(loops[0].ranges) != 1:
        return None
    loop = loops[0]
    r = loop.ranges[0].type
    if r.block.data != block_of["k"] or r.begin.data != "0" or not _adds_products(loop):
        return None
    if T.computed_in_kernel(r.extent) or numbers_blocks(loop.ranges[0]):
        return None  # a k the host cannot see (the launcher splits it), or blocks numbered from k's start
    before = top[:top.index(loop)]
    if any(isinstance(op, T.StoreOp) for o in [*before, loop] for op in o.walk()):
        return None
    ranges = {op.result.type.block.data: op.result for op in top if isinstance(op, T.ProgramRangeOp)}
    if block_of["m"] not in ranges or block_of["n"] not in ranges or len(ranges) != 2:
        return None
    return _Shape(loop, ranges[block_of["m"]], ranges[block_of["n"]], r.extent.data, r.block.data)


def _add_workspace(kernel: T.KernelOp, s: _Shape) -> SSAValue:
    """A kernel argument `_splitk_ws`: [_SPLIT_K, m, n] fp32, strides of its own."""
    m, n = s.m_range.type.extent.data, s.n_range.type.extent.data
    ws_type = TensorType([SPLITS, m, n], f32, [f"{WORKSPACE}_stride_{i}" for i in range(3)])
    block = kernel.body.block
    arg = block.insert_arg(ws_type, len(block.args))
    arg.name_hint = WORKSPACE
    names = [a.data for a in kernel.attributes["arg_names"].data]
    kernel.attributes["arg_names"] = ArrayAttr([StringAttr(a) for a in [*names, WORKSPACE]])
    return arg


def _before(anchor: Operation, *ops: Operation) -> None:
    for op in ops:
        op.location = anchor.location
        anchor.parent_block().insert_op_before(op, anchor)


def _dyn_index(kernel: T.KernelOp) -> int:
    taken = [int(op.symbol.data.rsplit("_", 1)[1]) for op in kernel.walk()
             if isinstance(op, T.LetOp) and op.symbol.data.rsplit("_", 1)[1].isdigit()]
    return max(taken, default=-1) + 1


def partial_kernel(kernel: T.KernelOp, name: str) -> T.KernelOp:
    """`<name>_splitk`: each program's run of k, its fp32 product stored into the workspace."""
    p = kernel.clone()
    p.properties["sym_name"] = StringAttr(name)
    s = matmul_shape(p)
    ws = _add_workspace(p, s)
    block = p.body.block
    for op in block.ops:
        if isinstance(op, T.ProgramRangeOp):
            op.properties["axis"] = IntegerAttr(op.axis.value.data + 1, 64)
    split = T.ProgramRangeOp(0, RangeType(SPLITS, "1"))
    split.result.name_hint = "split"
    block.insert_op_before(split, block.first_op)
    scalar = TileType([], i32)
    loop = s.loop
    index = T.TileAttrOp(split.result, "begin")
    chunk, k = T.SymbolOp(CHUNK, scalar), T.SymbolOp(s.k_extent, scalar)
    begin = T.MulOp(index.result, chunk.result, scalar)
    left = T.SubOp(k.result, begin.result, scalar)
    most = T.MinimumOp(chunk.result, left.result, scalar)
    zero = T.ConstantOp("0", scalar)
    extent = T.MaximumOp(most.result, zero.result, scalar)  # (a split past k's end: an empty run, not a negative one)
    i = _dyn_index(p)
    lets = [T.LetOp(f"_dyn_begin_{i}", begin.result), T.LetOp(f"_dyn_extent_{i}", extent.result, s.k_extent)]
    _before(loop, index, chunk, k, begin, left, most, zero, extent, *lets)
    set_type(loop.ranges[0], RangeType(f"_dyn_extent_{i}", s.k_block, f"_dyn_begin_{i}"))
    store = T.StoreOp.build_store(ws, ["i", "i", "i"], [index.result, s.m_range, s.n_range], loop.res[0])
    block.insert_op_after(store, loop)
    for op in list(block.ops)[list(block.ops).index(store) + 1:]:
        op.detach()
        op.erase(safe_erase=False)
    region_dce(p.body)
    p.plan = p.plan.with_grid([SPLITS, *(g.data for g in p.plan.grid_sizes)])
    return p


def sum_kernel(kernel: T.KernelOp, name: str) -> T.KernelOp:
    """`<name>_splitk_sum`: the k-loop replaced by the sum, in order, of the tile's partial products."""
    r = kernel.clone()
    r.properties["sym_name"] = StringAttr(name)
    s = matmul_shape(r)
    ws = _add_workspace(r, s)
    acc_type = s.loop.res[0].type
    loop = T.ForOp([RangeType(SPLITS, "1")], "sequential", [s.loop.iter_args[0]])
    split, carried = loop.body.block.args
    split.name_hint, carried.name_hint = "split", "acc"
    index = T.TileAttrOp(split, "begin")
    part = T.LoadOp.build_load(ws, ["i", "i", "i"], [index.result, s.m_range, s.n_range], acc_type)
    part.result.name_hint = "partial"
    total = T.AddOp(carried, part.result, acc_type)
    for op in (index, part, total, T.YieldOp(total.result)):
        loop.body.block.add_op(op)
    loop.location = s.loop.location
    r.body.block.insert_op_before(loop, s.loop)
    loop.res[0].name_hint = s.loop.res[0].name_hint
    s.loop.res[0].replace_all_uses_with(loop.res[0])
    s.loop.detach()
    s.loop.erase(safe_erase=False)
    region_dce(r.body)
    del r.attributes["dot_dims"]  # no product left: its blocks are the partial kernel's (the launcher's)
    return r


@register_pass
@dataclass(frozen=True)
class SplitKPass(ModulePass):
    """Beside each matmul-shaped kernel, a split-K pair the launcher runs for few output tiles and a long k."""

    name = "split-k"

    def apply(self, ctx: Context, module: ModuleOp) -> None:
        for kernel in list(kernels(module)):
            s = None if "variant_of" in kernel.attributes else matmul_shape(kernel)
            if s is None:
                continue
            base = kernel.sym_name.data
            dot = next(op for op in kernel.walk() if isinstance(op, T.DotOp))
            m, n = s.m_range.type.extent.data, s.n_range.type.extent.data
            partial = partial_kernel(kernel, f"{base}_splitk")
            total = sum_kernel(kernel, f"{base}_splitk_sum")
            partial.attributes["variant_of"] = StringAttr(base)
            partial.attributes["launch_if"] = StringAttr(
                f"split_k_wanted({m}, {n}, {s.k_extent}, {elem_bytes(dot.lhs.type.element_type)})")
            partial.attributes["split_k_sum"] = StringAttr(total.sym_name.data)
            partial.attributes["split_k_extent"] = StringAttr(s.k_extent)  # (the launcher's chunk is of it)
            total.attributes["split_k_of"] = StringAttr(partial.sym_name.data)
            module.body.block.insert_op_after(partial, kernel)
            module.body.block.insert_op_after(total, partial)
