"""tiling: map each kernel's outermost parallel tile loop onto the launch grid.

The loop's ranges become `tile.program_range` values (one per grid dim) and its
body moves into the kernel. The kernel's plan records what the launcher needs:
the grid (programs per dim, `cdiv(extent, block)`; an `hl.grid` dim has block 1)
and every tile block with the extent it tiles; a kernel with a `tile.dot` also gets
`dot_dims` (block symbol -> m, n, k or batch: the launcher gives those dims
tensor-core tiles, never below 16, as `tl.dot` needs).

Multi-dim grids are flattened into one launch axis (Triton's grid dims past the
first are capped at 65535). The program-id order is an option: `l2-grouping=1`
is flat (first grid dim fastest); `l2-grouping=G` walks the last two grid dims in
groups of G rows, as the Triton matmul tutorial's GROUP_SIZE_M does, so that
programs running together share operand tiles in L2; 0 (the default) means 8 for
kernels with a dot and a grid of two or more dims, flat otherwise.

`pid-type` (Helion's `pid_type`): `flat` (the default) launches one program per tile;
`persistent_interleaved` / `persistent_blocked` mark the kernel (`pid_type`) so that lower-to-tt
makes it loop over tiles and the launcher starts at most one program per SM.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import DictionaryAttr, IntegerAttr, ModuleOp, StringAttr
from xdsl.passes import ModulePass

from kopt.analysis import DATA_SIZE_PREFIX
from kopt.dialects import tile as T
from kopt.dialects.plan import PERSISTENT_PID_TYPES, TILE, Block, read_block_name
from kopt.dialects.sizes import SizeAttr
from kopt.dialects.types import RangeType
from kopt.errors import KoptError
from kopt.ir.util import kernels, op_error
from kopt.passes.registry import register_pass

DOT_MIN_BLOCK = 16  # tl.dot: every dim of both operands is at least 16
DEFAULT_DOT_GROUPING = 8


def _grid_loop(kernel: T.KernelOp) -> T.ForOp | None:
    loops = [op for op in kernel.body.block.ops if isinstance(op, T.ForOp) and op.kind_name == "parallel"]
    if len(loops) > 1:
        raise op_error(loops[1], "a kernel has one parallel tile loop; this is a second one")
    return loops[0] if loops else None


# The extent the launcher sizes the block of a loop by, where the kernel computes the loop's extent and no
# size the host knows bounds it (`hl.tile(start, end)` with `start = offsets[g]`): as if the loop ran 64.
UNKNOWN_EXTENT = "64"


def _host_extent(extent: SizeAttr, bounds: dict[str, SizeAttr | None]) -> SizeAttr:
    """What the launcher may size a block by: the extent itself, or for one the kernel computes (a `tile.let`
    name) the size the host knows it never exceeds, else UNKNOWN_EXTENT."""
    if not any(n.startswith(DATA_SIZE_PREFIX) for n in extent.names):
        return extent
    return bounds.get(extent.data) or SizeAttr(UNKNOWN_EXTENT)


def _tile_blocks(kernel: T.KernelOp) -> list[Block]:
    """Every block symbol of the kernel's ranges, with the extent it tiles (literal blocks are no symbols)."""
    bounds: dict[str, SizeAttr | None] = {}  # a `tile.let` comes before the loops over the size it names
    blocks: dict[str, Block] = {}
    for op in kernel.walk():
        if isinstance(op, T.LetOp):
            bounds[op.symbol.data] = op.bound
        for v in (*op.results, *(a for r in op.regions for b in r.blocks for a in b.args)):
            if isinstance(v.type, RangeType) and not v.type.block.is_literal():
                found = read_block_name(v.type.block.data)
                if found is None or found[0] != TILE:
                    raise op_error(op, f"`{v.type.block.data}` is no tile block symbol (`_BLOCK_SIZE_k`)")
                blocks.setdefault(v.type.block.data, Block(TILE, found[1], _host_extent(v.type.extent, bounds)))
    return sorted(blocks.values(), key=lambda b: b.index)


def _dot_roles(kernel: T.KernelOp, blocks: set[str]) -> dict[str, str]:
    """Block symbol -> its role in the kernel's first dot that uses it; literal dims below 16 are errors."""
    roles: dict[str, str] = {}
    for dot in (o for o in kernel.walk() if isinstance(o, T.DotOp)):
        a, b = dot.lhs.type.dims, dot.rhs.type.dims
        named = {"m": a[-2], "k": a[-1], "n": b[-1], **({"batch": a[0]} if len(a) == 3 else {})}
        for role, dim in named.items():
            if role != "batch" and dim.isdigit() and int(dim) < DOT_MIN_BLOCK:
                raise op_error(dot, f"matmul block dim {role} is {dim}: tl.dot needs every block dim of its "
                                    f"operands to be at least {DOT_MIN_BLOCK}",
                               "use block_size=16 or more (or no block_size) for the loops this product tiles")
            if dim in blocks:
                roles.setdefault(dim, role)
    return roles


def _grid_dim(t: RangeType) -> str:
    return t.extent.data if t.block.data == "1" else f"cdiv({t.extent.data}, {t.block.data})"


PID_TYPES = ("flat", *PERSISTENT_PID_TYPES)


@register_pass
@dataclass(frozen=True)
class TilingPass(ModulePass):
    """Map the outermost parallel tile loop to program ids; record grid, block sizes, dot dims, pid order."""

    name = "tiling"
    l2_grouping: int = 0
    pid_type: str = "flat"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.l2_grouping < 0:
            raise KoptError(f"tiling: l2-grouping must be 0 (automatic), 1 (flat) or a group size, "
                            f"not {self.l2_grouping}")
        if self.pid_type not in PID_TYPES:
            raise KoptError(f"tiling: pid-type {self.pid_type!r} is not one kopt acts on",
                            notes=[f"pid types: {', '.join(PID_TYPES)}"])
        for kernel in kernels(op):
            loop = _grid_loop(kernel)
            if loop is None:
                continue
            blocks = _tile_blocks(kernel)
            roles = _dot_roles(kernel, {b.name for b in blocks})
            if roles:
                kernel.attributes["dot_dims"] = DictionaryAttr({k: StringAttr(v) for k, v in sorted(roles.items())})
            grid = []
            for axis, r in enumerate(loop.ranges):
                grid.append(_grid_dim(r.type))
                pr = T.ProgramRangeOp(axis, r.type)
                pr.location = loop.location
                kernel.body.block.insert_op_before(pr, loop)
                pr.result.name_hint = r.name_hint
                r.replace_all_uses_with(pr.result)
            if self.pid_type != "flat":
                kernel.attributes["pid_type"] = StringAttr(self.pid_type)
            group = self.l2_grouping or (DEFAULT_DOT_GROUPING if roles else 1)
            if group > 1 and len(grid) >= 2:
                kernel.attributes["l2_grouping"] = IntegerAttr(group, 64)
            body = loop.body.block
            body.erase_op(body.last_op)  # the loop's yield
            for inner in list(body.ops):
                inner.detach()
                kernel.body.block.insert_op_before(inner, loop)
            loop.detach()
            loop.erase(safe_erase=False)
            names = {b.name for b in blocks}
            plan = kernel.plan
            kernel.plan = plan.with_grid(grid, [*blocks, *(b for b in plan.blocks if b.name not in names)])
