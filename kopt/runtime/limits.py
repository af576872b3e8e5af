"""Triton's limits, checked before Triton meets them: a kopt.Config's block sizes against the kernel's tile
loops (how many there are; how many elements a tile holds, at most TRITON_MAX_NUMEL = 2**20 per tensor).
A violation is a KoptError located in the user's kernel, with a note naming the config."""

from __future__ import annotations

import re

from xdsl.dialects.builtin import FileLineColLoc, ModuleOp
from xdsl.ir import Operation

from kopt.dialects import tile as T
from kopt.dialects.types import TileType
from kopt.errors import KoptError, SourceLoc
from kopt.frontend.literals import TRITON_MAX_NUMEL
from kopt.frontend.source import KernelSource
from kopt.ir.util import kernels

_BLOCK = re.compile(r"^_BLOCK_SIZE_(\d+)$")


def tile_blocks(module: ModuleOp) -> dict[int, tuple[Operation, str]]:
    """`_BLOCK_SIZE_k` (the k of `Config(block_sizes=[...])[k]`) -> the first tile loop that uses it and the
    extent it tiles there, as the frontend built them."""
    out: dict[int, tuple[Operation, str]] = {}
    for kernel in kernels(module):
        for op in kernel.walk():
            if isinstance(op, T.ForOp):
                for r in op.ranges:
                    if m := _BLOCK.match(r.type.block.data):
                        out.setdefault(int(m.group(1)), (op, r.type.extent.data))
    return out


def _loc(op: Operation | None) -> SourceLoc | None:
    loc = op.location if op is not None else None
    return SourceLoc(loc.filename.data, loc.line.data, loc.column.data) if isinstance(loc, FileLineColLoc) else None


def _config_text(block_sizes) -> str:
    return f"kopt.Config(block_sizes={list(block_sizes)})"


def check_block_count(module: ModuleOp, block_sizes, src: KernelSource) -> None:
    """A config with more block sizes than the kernel has tile-loop blocks: the extra ones would be ignored."""
    blocks = tile_blocks(module)
    have = max(blocks) + 1 if blocks else 0
    if len(block_sizes) <= have:
        return
    notes = [f"block_sizes[{k}] is the block of the tile loop on line {_loc(op).line if _loc(op) else '?'} over "
             f"`{extent}`" for k, (op, extent) in sorted(blocks.items())]
    raise src.error(src.fn, f"{_config_text(block_sizes)} gives {len(block_sizes)} block sizes, but kernel "
                            f"`{src.fn.name}` has {have} ({'one per tile-loop dim' if have else 'no tile loop'})",
                    *notes, f"give at most {have}")


def check_tile_numel(module: ModuleOp, block_sizes=(), src: KernelSource | None = None) -> None:
    """Every tile the kernel computes holds at most TRITON_MAX_NUMEL elements, counting the config's block sizes
    and literal dims (sizes the launcher picks are not counted): a located error at the first op that breaks it."""
    for kernel in kernels(module):
        seen: set = set()
        for op in kernel.walk():
            for r in op.results:
                t = r.type
                if not isinstance(t, TileType) or t in seen:
                    continue
                seen.add(t)
                parts = []
                for d in t.dims:
                    m = _BLOCK.match(d)
                    if d.isdigit():
                        parts.append(int(d))
                    elif m and int(m.group(1)) < len(block_sizes):
                        parts.append(int(block_sizes[int(m.group(1))]))
                numel = 1
                for p in parts:
                    numel *= p
                if numel <= TRITON_MAX_NUMEL:
                    continue
                where = _loc(op) or _loc(kernel)
                count = f"{' x '.join(map(str, parts))} = {numel}" if len(parts) > 1 else str(numel)
                least = "at least " if len(parts) < len(t.dims) else ""  # sizes the launcher picks: 1 or more
                message = (f"a tile of [{', '.join(t.dims)}] would hold {least}{count} elements, more than Triton's "
                           f"{TRITON_MAX_NUMEL} (2**20) per tensor")
                notes = [f"with {_config_text(block_sizes)}" if block_sizes else "with the literal sizes here",
                         "use smaller block sizes: the elements of a tile are the product of its dims' blocks"]
                if where is None and src is not None:
                    raise src.error(src.fn, message, *notes)
                raise KoptError(message, where, notes=notes)
