"""bounds-checks: a tile loop over one size that subscripts a tensor dim of another size must fit it.

`for tile in hl.tile(n): out[tile] = x[tile]` reads x[0:n]; masks stop at n, not at x's own
size, so an x shorter than n would be read out of bounds (a wrong answer, or a fault on the
GPU; torch would raise a size mismatch). For every load and store of a kernel argument
subscripted by a range, this pass asks the kernel's shape facts whether `begin + extent <= dim`.
Proven: nothing to do (the common case: the loop runs over that very size, or an `assert`
says the sizes are equal). Not proven: the check goes into the kernel's `bounds` attribute,
and the launcher evaluates it at every call and raises a KoptError naming the tensor, the dim
and the source line before launching (kopt/backends/triton_codegen.py). Checks about sizes
the launcher does not know (a jagged range's data-dependent begin) are left out: only what
the host can evaluate is checked.

An index that is not a loop range (`x[i]` in an `hl.grid` loop, `x[t.index + 1]`) has an interval
(kopt/ir/index_intervals.py); unless the facts put it inside its dim, the launcher checks it (`index_checks`).

A max, min, argmax or argmin over a dim of size 0 has no value: torch raises, and so does the launcher
(`nonempty_checks`). Slices (`x[:, a:b]`, a `tile.slice_view`) must lie within their dim: `0 <= a <= b <= size`, checked at launch
unless proven (`slice_checks`).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ArrayAttr, FileLineColLoc, IntAttr, ModuleOp, StringAttr
from xdsl.ir import BlockArgument
from xdsl.passes import ModulePass

from kopt.dialects import tile as T
from kopt.dialects.sizes import SizeAttr
from kopt.dialects.dtypes import i32
from kopt.dialects.types import RangeType, TensorType
from kopt.ir.facts import kernel_facts
from kopt.ir.index_intervals import FLAGS, host_text, index_interval
from kopt.ir.util import kernels
from kopt.passes.registry import register_pass


def _where(op) -> list[StringAttr]:
    loc = op.location
    if not isinstance(loc, FileLineColLoc):
        return []
    return [StringAttr(loc.filename.data), StringAttr(str(loc.line.data)), StringAttr(str(loc.column.data))]


@register_pass
@dataclass(frozen=True)
class BoundsChecksPass(ModulePass):
    """Record launch-time checks for tile ranges that subscript a tensor dim not proven large enough."""

    name = "bounds-checks"
    # KOPT_CHECK_INDICES=1: indices read from tensors (no interval the host can check) are checked on the
    # device, into a flag buffer the launcher reads after the call (kopt/launch/index_flags.py)
    device_indices: bool = False

    def apply(self, ctx: Context, module: ModuleOp) -> None:
        for kernel in kernels(module):
            facts = kernel_facts(kernel)
            names = dict(zip(kernel.body.block.args, kernel.arg_names))
            checks: dict[tuple[str, str], list[StringAttr]] = {}
            index_checks: dict[tuple[str, ...], list[StringAttr]] = {}
            unbounded = []  # (access, position, index operand, dim) of indices read from tensors
            for op, position, k, index, dim in _subscripts(kernel):
                tensor = names.get(op.tensor, "a tensor")
                if not isinstance(index.type, RangeType):  # a scalar index or a tile of indices
                    interval = index_interval(index)
                    if interval is None:
                        unbounded.append((op, position, k, dim))
                        continue
                    check = _index_check(op, interval, dim, facts, tensor, position)
                    if check is not None:
                        index_checks.setdefault(tuple(c.data for c in check[:3]), check)
                    continue
                end = index.type.end
                if end.data == dim or facts.le(end.expr, SizeAttr(dim).expr).is_true:
                    continue
                end = end.data
                checks.setdefault((end, dim), [StringAttr(end), StringAttr(dim), StringAttr(tensor),
                                               StringAttr(str(position)), *_where(op)])
            if self.device_indices and unbounded:
                _device_index_checks(module, kernel, unbounded, names)
            if checks:
                # one entry per check: [end, dim, tensor name, subscript position, file, line, col]
                kernel.attributes["bounds"] = ArrayAttr(ArrayAttr(c) for c in checks.values())
            if index_checks:
                # one entry per check: [lowest index, highest index, dim, guard, tensor name, position, file, line, col]
                kernel.attributes["index_checks"] = ArrayAttr(ArrayAttr(c) for c in index_checks.values())
            empty = {}
            for op in kernel.walk():  # max/min/argmax/argmin of the user's over a dim that may be empty
                if isinstance(op, T.ReduceOp) and "nonempty" in op.attributes:
                    size = op.reduced_size
                    if size.isdigit() and int(size) > 0:
                        continue  # (the facts take every size to be positive: only a literal says so here)
                    empty.setdefault(size, [StringAttr(size), StringAttr(op.kind_name), *_where(op)])
            if empty:
                # one entry per size: [size, reduction kind, file, line, col]
                kernel.attributes["nonempty_checks"] = ArrayAttr(ArrayAttr(c) for c in empty.values())
            slices = [_slice_check(op, facts, names) for op in kernel.walk() if isinstance(op, T.SliceViewOp)]
            if any(slices):
                # one entry per slice not proven in range: [begin, end, size, tensor name, dim, file, line, col]
                kernel.attributes["slice_checks"] = ArrayAttr(ArrayAttr(c) for c in slices if c)


def _slice_check(op: T.SliceViewOp, facts, names) -> list[StringAttr] | None:
    """`x[.., a:b]` must lie in x's dim (torch would clamp it; kopt reads exactly [a, b)): checked at launch
    unless the facts prove `0 <= a <= b <= size`."""
    begin, end, size = op.begin, op.end, SizeAttr(op.tensor.type.dims[op.dim.data])
    proven = (facts.le(SizeAttr("0").expr, begin.expr).is_true and facts.le(begin.expr, end.expr).is_true
              and facts.le(end.expr, size.expr).is_true)
    if proven:
        return None
    tensor = op.tensor
    while not isinstance(tensor, BlockArgument) and tensor.owner is not None and hasattr(tensor.owner, "tensor"):
        tensor = tensor.owner.tensor  # the kernel argument behind other views
    return [StringAttr(begin.data), StringAttr(end.data), StringAttr(size.data),
            StringAttr(names.get(tensor, "a tensor")), StringAttr(str(op.dim.data)), *_where(op)]


def _subscripts(kernel: T.KernelOp):
    """(access, subscript position, index operand number, index, tensor dim) of every indexed subscript entry of
    the loads and stores of kernel arguments (views and gathers build their own bounds)."""
    for op in kernel.walk():
        if not isinstance(op, T.ACCESS_OPS) or not isinstance(op.tensor, BlockArgument):
            continue
        indices = iter(enumerate(op.indices))
        for position, (entry, dim) in enumerate(zip(op.spec_list, op.tensor_dims())):
            if entry == "i":
                k, index = next(indices)
                yield op, position, k, index, dim


def _index_check(op, interval, dim: str, facts, tensor: str, position: int) -> list[StringAttr] | None:
    """An index that is not a loop range (`x[i]` of an `hl.grid` loop, `x[t.index + 1]`) must lie in
    `[0, dim)`: nothing to do where the facts prove its interval does, else a launch check over the interval,
    guarded by the loops it comes from running at all."""
    lo, hi, ranges = interval
    size = SizeAttr(dim).expr
    if facts.le(0, lo).is_true and facts.lt(hi, size).is_true:
        return None
    guard = " ; ".join(r.extent.data for r in dict.fromkeys(ranges))
    return [StringAttr(host_text(lo)), StringAttr(host_text(hi)), StringAttr(dim), StringAttr(guard),
            StringAttr(tensor), StringAttr(str(position)), *_where(op)]


def _device_index_checks(module: ModuleOp, kernel: T.KernelOp, unbounded: list, names: dict) -> None:
    """Each access by an index with no interval (read from a tensor: an embedding id, a label, a gather) gets
    a device check: its op lists `[index operand, check number]` pairs in `device_index_checks`, which
    lower-to-tt turns into a `tt.index_flag` and a mask. The kernel gains the flag buffer as its last
    argument; the launcher allocates it before the launch and raises the located error of a recorded check
    after it."""
    table, marks = [], {}
    for op, position, k, dim in unbounded:
        table.append((names.get(op.tensor, "a tensor"), position, dim, _where(op)))
        marks.setdefault(op, []).append(ArrayAttr([IntAttr(k), IntAttr(len(table))]))
    for op, pairs in marks.items():
        op.attributes["device_index_checks"] = ArrayAttr(pairs)
    kernel.body.block.insert_arg(TensorType(["1"], i32, ["1"]), len(kernel.body.block.args))
    kernel.attributes["arg_names"] = ArrayAttr([*kernel.attributes["arg_names"].data, StringAttr(FLAGS)])
    entries = [(t, p, d, *(w.data for w in where)) for t, p, d, where in table]
    for launch in module.walk():
        if isinstance(launch, T.LaunchOp) and launch.kernel.root_reference.data == kernel.sym_name.data:
            first = next(a.data for a, v in zip(launch.args.data, kernel.body.block.args)
                         if isinstance(v.type, TensorType))  # the flags live on its device
            launch.properties["args"] = ArrayAttr([*launch.args.data, StringAttr(FLAGS)])
            block = launch.parent_block()
            block.insert_op_before(T.PyStmtOp("from kopt.launch.index_flags import new_flags, raise_on_flag"), launch)
            block.insert_op_before(T.PyStmtOp(f"{FLAGS} = new_flags({first})"), launch)
            block.insert_op_after(T.PyStmtOp(f"raise_on_flag({FLAGS}, {entries!r})"), launch)
