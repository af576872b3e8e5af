"""The fact base of one kernel, read from its attributes (the IR is the only source).

Three attributes state facts, each written by the stage that knows them:
`block_sizes` (tiling: every block symbol is a power of 2), `constexprs`
(reduction-lowering: `_RDIM_SIZE_k = next_power_of_2(extent)`) and `facts`
(text lines: `assert`s in the kernel's host code, static sizes, config block
sizes, `--assume`). Nothing else is assumed: what these do not prove is unknown.
"""

from __future__ import annotations

from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr

from kopt.analysis import FactBase, parse_expr
from kopt.dialects import tile as T
from kopt.errors import KoptError
from kopt.passes.util import op_error

_NPOW2 = "next_power_of_2("


def kernel_facts(kernel: T.KernelOp) -> FactBase:
    """The fact base a kernel's attributes state; a bad or contradictory fact is a KoptError."""
    facts = FactBase()
    try:
        for block in kernel.attributes.get("block_sizes", DictionaryAttr({})).data:
            facts.assume_power_of_two(parse_expr(block))
        for sym, definition in kernel.attributes.get("constexprs", DictionaryAttr({})).data.items():
            text = definition.data
            if text.startswith(_NPOW2) and text.endswith(")"):
                facts.assume_next_power_of_2(parse_expr(sym), parse_expr(text[len(_NPOW2):-1]))
        for fact in kernel.attributes.get("facts", ArrayAttr([])).data:
            facts.assume_text(fact.data)
    except KoptError as e:  # located at the kernel's loop: the facts are about it
        raise op_error(kernel, f"in the shape facts of kernel @{kernel.sym_name.data}: {e.message}",
                       *e.notes) from None
    return facts
