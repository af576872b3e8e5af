"""The fact base of one kernel, read from its plan (the IR is the only source).

The plan (`#tile.plan`, kopt/dialects/plan.py) states every fact: each block symbol is a power of
2; a whole dim's block is `next_power_of_2(extent)`, a reduction chunk its literal size; and the
`facts` (host `assert`s, static sizes, config block sizes, `--assume`). Nothing else is assumed:
what these do not prove is unknown.
"""

from __future__ import annotations

from kopt.analysis import FactBase, block_symbol
from kopt.analysis.symbols import next_power_of_2
from kopt.dialects import tile as T
from kopt.dialects.plan import CHUNK, TILE, WHOLE
from kopt.dialects.shape_rules import Sizes
from kopt.errors import KoptError
from kopt.ir.util import op_error


def kernel_facts(kernel: T.KernelOp) -> FactBase:
    """The fact base a kernel's plan states; a contradictory fact is a located KoptError."""
    facts = FactBase()
    plan = kernel.plan
    try:
        for block in plan.blocks:
            sym = block_symbol(block.name)
            if block.kind == TILE:
                facts.assume_power_of_two(sym)
            elif block.kind == WHOLE and isinstance(block.size.expr, next_power_of_2):
                facts.assume_next_power_of_2(sym, block.size.expr.args[0])
            elif block.kind in (WHOLE, CHUNK):  # a literal chunk (or a whole dim fixed by a config)
                facts.assume_power_of_two(sym)
                facts.assume_eq(sym, block.size.expr)
        for fact in plan.fact_list:
            facts.assume_text(fact.data)
    except KoptError as e:  # located at the kernel's loop: the facts are about it
        raise op_error(kernel, f"in the shape facts of kernel @{kernel.sym_name.data}: {e.message}",
                       *e.notes) from None
    return facts


def kernel_sizes(kernel: T.KernelOp) -> Sizes:
    """The size comparisons the kernel's facts allow (what shape rules take)."""
    return Sizes(kernel_facts(kernel))
