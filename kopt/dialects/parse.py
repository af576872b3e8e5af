"""Reading .tile text: xDSL's parser, with its errors turned into located KoptErrors.

Every parsed op gets the location of its first character in the .tile file, so
that verifier errors and pass diagnostics point at the input line, as in
mlir-opt. Two of xDSL's errors point at the wrong place (an unregistered op name,
a value used but never defined); the parser below puts them where the user looks.
"""

from __future__ import annotations

import re

from xdsl.dialects.builtin import FileLineColLoc, IntAttr, ModuleOp, StringAttr, UnknownLoc
from xdsl.ir import Operation
from xdsl.parser import Parser, UnresolvedOperand
from xdsl.utils.exceptions import ParseError
from xdsl.utils.lexer import Span

from kopt.dialects import make_context
from kopt.errors import KoptError, SourceLoc


class _LocatingParser(Parser):
    """xDSL's parser (0.74 internals: `_current_token`, `_get_op_by_name`), recording positions."""

    def __init__(self, text: str, name: str):
        super().__init__(make_context(), text, name)
        self.name = name
        self.first_use: dict[str, Span] = {}

    def parse_operation(self) -> Operation:
        start = self._current_token.span.get_location()
        op = super().parse_operation()
        if isinstance(op.location, UnknownLoc):  # a trailing loc(...) in the text wins
            op.location = FileLineColLoc(StringAttr(self.name), IntAttr(start.line), IntAttr(start.col))
        return op

    def _get_op_by_name(self, name: str):
        try:
            return super()._get_op_by_name(name)
        except ParseError as e:  # xDSL points at the token after the name
            text = self.lexer.input.content
            at = text.rfind(name, 0, self._current_token.span.start)
            raise ParseError(Span(at, at + len(name), self.lexer.input) if at >= 0 else e.span,
                             f"unknown operation '{name}'") from None

    def resolve_operand(self, operand: UnresolvedOperand, type):
        if operand.operand_name not in self.ssa_values:
            self.first_use.setdefault(operand.operand_name, operand.span)
        return super().resolve_operand(operand, type)

    def parse_module(self, allow_implicit_module: bool = True) -> ModuleOp:
        try:
            return super().parse_module(allow_implicit_module)
        except ParseError as e:
            undefined = [n for n in self.forward_ssa_references if n in self.first_use]
            if not e.msg.startswith("values used but not defined") or not undefined:
                raise
            raise ParseError(self.first_use[undefined[0]], f"use of undefined value '%{undefined[0]}'") from None


def _located(text: str, name: str, span: Span, message: str) -> KoptError:
    loc = span.get_location()
    line, col = loc.line, loc.col
    lines = text.splitlines()
    if not text[span.start:].strip():  # at the end of the input: point just past its last character
        if not any(ln.strip() and not ln.lstrip().startswith("//") for ln in lines):
            return KoptError("cannot parse IR: empty input: expected a tile-dialect module", SourceLoc(name, 1))
        if message.strip() in ("in block definition", "Could not parse entire input!"):
            message = "unexpected end of input (is a `}` missing?)"
        last = max((i for i, ln in enumerate(lines) if ln.strip()), default=-1)
        line, col = (last + 1, len(lines[last]) + 1) if last >= 0 else (1, 1)
    src = lines[line - 1] if 0 < line <= len(lines) else None
    return KoptError(f"cannot parse IR: {message.strip()}", SourceLoc(name, line, col), source_line=src)


# A string literal or a comment, in linear time (possessive quantifiers: no backtracking); group 1 is the closing
# quote, absent when the string runs to the end of its line.
_STRING_OR_COMMENT = re.compile(r'//[^\n]*|"(?:[^"\\\n]++|\\.)*+(")?')


def _unclosed_string(text: str, name: str) -> KoptError | None:
    """xDSL 0.74 lexes a string literal with a nested quantifier that backtracks exponentially when the closing
    quote is missing (a truncated file hangs the parser), so kopt finds an unclosed string first."""
    for m in _STRING_OR_COMMENT.finditer(text):
        if m.group().startswith('"') and m.group(1) is None:
            line = text.count("\n", 0, m.start()) + 1
            col = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
            src = text.splitlines()[line - 1] if text.splitlines() else None
            return KoptError("cannot parse IR: a string literal is not closed on its line", SourceLoc(name, line, col),
                             source_line=src)
    return None


def parse_tile(text: str, name: str) -> ModuleOp:
    """Parse a textual tile-dialect module; errors point at line:col of the input."""
    unclosed = _unclosed_string(text, name)
    if unclosed is not None:
        raise unclosed
    parser = _LocatingParser(text, name)
    try:
        module = parser.parse_module()
    except ParseError as e:
        raise _located(text, name, e.span, e.msg) from None
    except Exception as e:  # a type or attribute that rejects its parameters raises while being built
        raise _located(text, name, parser._current_token.span, f"{type(e).__name__}: {e}") from None
    if not isinstance(module, ModuleOp):
        raise KoptError("expected a builtin.module at the top of the IR", SourceLoc(name, 1))
    return module
