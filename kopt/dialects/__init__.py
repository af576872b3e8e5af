"""kopt's dialects: `tile` (high level, host and device) and `tt` (the Triton level)."""

from __future__ import annotations

from io import StringIO

from xdsl.context import Context
from xdsl.dialects.builtin import Builtin
from xdsl.ir import Operation
from xdsl.printer import Printer

from kopt.dialects.tile import Tile
from kopt.dialects.tt import TT


def make_context() -> Context:
    """A context that knows every dialect kopt's IR may contain."""
    ctx = Context(allow_unregistered=False)
    ctx.load_dialect(Builtin)
    ctx.load_dialect(Tile)
    ctx.load_dialect(TT)
    return ctx


def ir_text(op: Operation) -> str:
    """The op as IR text: its custom form, or MLIR's generic form where broken IR cannot print in its own
    (an op holding an attribute of the wrong kind, as a pass that skipped verification may leave)."""
    try:
        return str(op)
    except Exception:  # noqa: BLE001 - any custom printer may trip over IR that does not verify
        out = StringIO()
        Printer(stream=out, print_generic_format=True).print_op(op)
        return out.getvalue()
