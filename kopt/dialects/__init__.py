"""kopt's dialects: `tile` (high level, host and device) and `tt` (the Triton level)."""

from __future__ import annotations

from xdsl.context import Context
from xdsl.dialects.builtin import Builtin

from kopt.dialects.tile import Tile
from kopt.dialects.tt import TT


def make_context() -> Context:
    """A context that knows every dialect kopt's IR may contain."""
    ctx = Context(allow_unregistered=False)
    ctx.load_dialect(Builtin)
    ctx.load_dialect(Tile)
    ctx.load_dialect(TT)
    return ctx
