"""tiling: map each kernel's outermost parallel tile loop onto the launch grid.

The loop's ranges become `tile.program_range` values (one per grid dim) and its
body moves into the kernel. The kernel records what the launcher needs:
`grid` (programs per dim, `cdiv(extent, block)`) and `block_sizes` (every
block-size symbol with the extent it tiles). Multi-dim grids are flattened
into one launch axis (Triton's grid dims past the first are capped at 65535).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, ModuleOp, StringAttr
from xdsl.passes import ModulePass

from kopt.dialects import tile as T
from kopt.dialects.types import RangeType
from kopt.passes.registry import register_pass
from kopt.passes.util import kernels, op_error


def _grid_loop(kernel: T.KernelOp) -> T.ForOp | None:
    loops = [op for op in kernel.body.block.ops if isinstance(op, T.ForOp) and op.kind.data == "parallel"]
    if len(loops) > 1:
        raise op_error(loops[1], "a kernel has one parallel tile loop; this is a second one")
    return loops[0] if loops else None


def _record_blocks(kernel: T.KernelOp) -> None:
    blocks: dict[str, str] = {}
    for op in kernel.walk():
        for v in (*op.results, *(a for r in op.regions for b in r.blocks for a in b.args)):
            if isinstance(v.type, RangeType) and not v.type.block.data.isdigit():
                blocks.setdefault(v.type.block.data, v.type.extent.data)
    kernel.attributes["block_sizes"] = DictionaryAttr({k: StringAttr(v) for k, v in sorted(blocks.items())})


@register_pass
@dataclass(frozen=True)
class TilingPass(ModulePass):
    """Map the outermost parallel tile loop to program ids and record grid and block sizes."""

    name = "tiling"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for kernel in kernels(op):
            loop = _grid_loop(kernel)
            if loop is None:
                continue
            _record_blocks(kernel)
            grid = []
            for axis, r in enumerate(loop.ranges):
                t = r.type
                grid.append(f"cdiv({t.extent.data}, {t.block.data})")
                pr = T.ProgramRangeOp(axis, t)
                pr.location = loop.location
                kernel.body.block.insert_op_before(pr, loop)
                pr.result.name_hint = r.name_hint
                r.replace_all_uses_with(pr.result)
            body = loop.body.block
            terminator = body.last_op
            terminator.detach()
            terminator.erase()
            for inner in list(body.ops):
                inner.detach()
                kernel.body.block.insert_op_before(inner, loop)
            loop.detach()
            loop.erase(safe_erase=False)
            kernel.attributes["grid"] = ArrayAttr(StringAttr(g) for g in grid)
