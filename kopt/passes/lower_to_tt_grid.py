"""lower-to-tt, the part for the launch grid: program ids in L2-friendly groups, and `hl.grid` ranges.

With a kernel's `l2_grouping = G` (set by `tiling`), the flat program id walks the last two
grid dims (rows r, columns c) in groups of G rows, as the Triton matmul tutorial does:

    group_id = pid // (G * c);  first_row = group_id * G;  group_rows = min(r - first_row, G)
    row = first_row + (pid % (G * c)) % group_rows;  col = (pid % (G * c)) // group_rows

so the G * c programs that run together read G row blocks of one operand and c column
blocks of the other, and hit L2 for the rest. Leading grid dims (a batch) are slowest.

A range of block 1 (`hl.grid`) has no lanes: its program's index is used as a scalar
(`tile.tile_attr "begin"`), so the one-lane `indices` built for it are dropped when unused.

With a kernel's `pid_type` persistent (Helion's `pid_type="persistent_interleaved" | "persistent_blocked"`,
set by `tiling`), the launcher starts at most one program per SM (kopt.launch.hostmath.persistent_programs) and
each program loops over tiles, the body after the program id becoming the loop's body with the tile number in
place of the program id: interleaved takes tiles pid, pid + P, pid + 2P, ...; blocked a run of cdiv(T, P)
consecutive ones (T tiles, P programs).
"""

from __future__ import annotations

from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Operation, SSAValue

from kopt.dialects import tile as T
from kopt.dialects import tt
from kopt.dialects.dtypes import i32
from kopt.dialects.plan import PERSISTENT_PID_TYPES
from kopt.dialects.types import TileType

_SCALAR = TileType([], i32)


class GridLowering:
    """Mixin of lower_to_tt's `_KernelLowering` (needs its `pid`, `grid`, `emit`, `sym`)."""

    grid: list[str]
    pid: SSAValue

    def grouped_program_indices(self, group: int, at: Operation) -> list[SSAValue]:
        """One scalar program index per grid dim, grouped over the last two dims."""
        emit, sym = self.emit, self.sym
        rows, cols = self.grid[-2], self.grid[-1]
        lead = self.grid[:-2]
        inner, out = self.pid, []
        if lead:  # leading dims: flat, first fastest, after the whole (rows x cols) plane
            plane = f"({rows}) * ({cols})"
            outer = emit(T.FloorDivOp(self.pid, sym(plane, at), _SCALAR), at, "pid.batch")
            inner = emit(T.RemOp(self.pid, sym(plane, at), _SCALAR), at, "pid.plane")
            for i, g in enumerate(lead):
                stride = " * ".join(f"({x})" for x in lead[:i])
                v = emit(T.FloorDivOp(outer, sym(stride, at), _SCALAR), at) if stride else outer
                if i < len(lead) - 1:
                    v = emit(T.RemOp(v, sym(g, at), _SCALAR), at)
                out.append(v)
        per_group = f"{group} * ({cols})"
        group_id = emit(T.FloorDivOp(inner, sym(per_group, at), _SCALAR), at, "group_id")
        first = emit(T.MulOp(group_id, sym(str(group), at), _SCALAR), at, "first_row")
        left = emit(T.SubOp(sym(rows, at), first, _SCALAR), at)
        group_rows = emit(T.MinimumOp(left, sym(str(group), at), _SCALAR), at, "group_rows")
        in_group = emit(T.RemOp(inner, sym(per_group, at), _SCALAR), at, "in_group")
        row_off = emit(T.RemOp(in_group, group_rows, _SCALAR), at)
        out.append(emit(T.AddOp(first, row_off, _SCALAR), at))
        out.append(emit(T.FloorDivOp(in_group, group_rows, _SCALAR), at))
        for axis, v in enumerate(out):
            v.name_hint = f"pid.{axis}"
        return out

    def drop_unused(self, values: list[SSAValue]) -> None:
        """Erase the given values' ops (and then their unused operands' ops) when nothing reads them."""
        for v in values:
            op = v.owner
            if not isinstance(op, Operation) or any(True for _ in v.uses):
                continue
            operands = list(op.operands)
            op.detach()
            op.erase()
            self.drop_unused([o for o in operands if isinstance(o.owner, Operation)
                              and not o.owner.regions and len(o.owner.results) == 1
                              and o.owner.name in ("tt.arange", "tile.symbol", "tile.mul", "tile.add")])

    def loop_over_tiles(self, pid_type: str) -> None:
        """A persistent kernel: everything after the program id runs once per tile the program takes. The loop
        counts iterations from 0 and the tile number is `first + i * stride`: a value computed from the program
        id (on the interpreter a loop's counter is a Python int, which the body's `.to(tl.int64)` cannot take)."""
        pid_op = self.pid.owner if self.pid is not None else None
        block = self.kernel.body.block
        if pid_op is None or pid_type not in PERSISTENT_PID_TYPES:
            return
        body = list(block.ops)[list(block.ops).index(pid_op) + 1:]
        anchor = T.YieldOp()  # (a placeholder after the program id: the bounds' ops go before it)
        block.insert_op_after(anchor, pid_op)
        emit, sym = self.emit, self.sym
        programs = emit(tt.NumProgramsOp(0, _SCALAR), anchor, "programs")
        tiles = sym(" * ".join(f"({g})" for g in self.grid) or "1", anchor)
        one = sym("1", anchor)

        def cdiv(a: SSAValue, b: SSAValue) -> SSAValue:
            up = emit(T.SubOp(emit(T.AddOp(a, b, _SCALAR), anchor), one, _SCALAR), anchor)
            return emit(T.FloorDivOp(up, b, _SCALAR), anchor)

        if pid_type == "persistent_interleaved":  # tiles pid, pid + P, pid + 2P, ...
            left = emit(T.SubOp(tiles, self.pid, _SCALAR), anchor)
            first, stride, count = self.pid, programs, cdiv(left, programs)
        else:  # a run of cdiv(tiles, P) consecutive tiles
            run = cdiv(tiles, programs)
            first = emit(T.MulOp(self.pid, run, _SCALAR), anchor, "first_tile")
            rest = emit(T.SubOp(tiles, first, _SCALAR), anchor)
            stride, count = one, emit(T.MinimumOp(run, rest, _SCALAR), anchor)
        emit(T.LetOp("_dyn_tile_count", count), anchor)
        loop = tt.ForOp("0", "_dyn_tile_count", "1")
        loop.offset.name_hint = "tile_step"
        loop.attributes["persistent"] = StringAttr(pid_type)
        loop.location = pid_op.location
        block.insert_op_before(loop, anchor)
        block.erase_op(anchor)
        for op in body:
            op.detach()
            loop.body.block.add_op(op)
        loop.body.block.add_op(T.YieldOp())
        inside = set(loop.walk())
        uses = [u for u in self.pid.uses if u.operation in inside]
        step = T.MulOp(loop.offset, stride, _SCALAR)
        tile = T.AddOp(first, step.result, _SCALAR)
        tile.result.name_hint = "tile_id"
        start = loop.body.block.first_op
        for op in (step, tile):
            op.location = pid_op.location
            loop.body.block.insert_op_before(op, start)
        for use in uses:
            use.operation.operands[use.index] = tile.result
