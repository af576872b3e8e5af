"""reread-hints: make a looped reduction's second read of a row come from L2, not DRAM.

A looped (or online) reduction reads its row once per phase: softmax reads it for
the max and sum, then again to normalize. When the row does not fit in registers
the second read costs a full DRAM pass unless the chunks are still in L2. Two
things keep them there (measured on an H100, benchmarks/results/h100_2026-11-25b:
32768 x 32768 fp32 online softmax 2052 -> 2578 GB/s, fp16 2046 -> 2894):

  - loads of a tensor in an earlier phase that a later phase reads again are
    `evict_last`; the last phase's loads of it, and its stores, are `evict_first`
    (nothing reads them again, so they should not push the row out);
  - the last phase walks its chunks backwards (`reverse` on its `tt.for`): the
    chunks read most recently, most likely still in L2, are read first.

Only loops that reduction-lowering made (they carry a `phase` attribute) are
touched, and the last phase is reversed only when it carries no values: its chunks
are independent (each reads and writes its own chunk), so the result is
bit-identical. A phase that loop-peeling split is two loops (the whole chunks, then
the rest): reversed, the rest (the chunk read last) goes first. Hints change no result either; the pass can be left out of a
pipeline with no effect on correctness.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, UnitAttr
from xdsl.ir import SSAValue
from xdsl.passes import ModulePass

from kopt.dialects import tt
from kopt.dialects.enums import Eviction, EvictionAttr
from kopt.passes.registry import register_pass
from kopt.ir.util import kernels


def _base(op: tt.LoadOp | tt.StoreOp) -> SSAValue | None:
    """The tensor argument a load or store addresses (None for pointers built another way)."""
    owner = op.ptrs.owner
    return owner.base if isinstance(owner, tt.AddPtrOp) else None


def _phase(loop: tt.ForOp) -> int:
    return loop.attributes["phase"].value.data


def _accesses(loop: tt.ForOp, kind: type) -> list:
    return [op for op in loop.body.walk() if isinstance(op, kind)]


@register_pass
@dataclass(frozen=True)
class RereadHintsPass(ModulePass):
    """Eviction hints and a backwards last phase for looped reductions that read a row twice."""

    name = "reread-hints"

    def apply(self, ctx: Context, module: ModuleOp) -> None:
        for kernel in kernels(module):
            loops = tt.phase_loops(kernel)
            final = [op for op in loops if _phase(op) == _phase(loops[-1])] if loops else []
            earlier = loops[:len(loops) - len(final)]
            if not earlier:
                continue
            read_before = {_base(op) for loop in earlier for op in _accesses(loop, tt.LoadOp)} - {None}
            reread = {_base(op) for last in final for op in _accesses(last, tt.LoadOp)} & read_before
            if not reread:
                continue
            for loop in earlier:
                for op in _accesses(loop, tt.LoadOp):
                    if _base(op) in reread:
                        op.properties["eviction"] = EvictionAttr(Eviction.EVICT_LAST)
            for last in final:
                for op in _accesses(last, tt.LoadOp):
                    if _base(op) in reread:
                        op.properties["eviction"] = EvictionAttr(Eviction.EVICT_FIRST)
                for op in _accesses(last, tt.StoreOp):
                    op.properties["eviction"] = EvictionAttr(Eviction.EVICT_FIRST)
            if not any(last.iter_args for last in final):
                for last in final:
                    last.attributes["reverse"] = UnitAttr()
                if len(final) == 2:  # peeled: the rest first
                    final[1].detach()
                    final[0].parent_block().insert_op_before(final[1], final[0])
