"""The one exception type every layer of kopt raises for user-facing problems.

A `KoptError` prints like clang or mlir-opt: the first line is
`file:line:col: error: message` (greppable), followed by the source line and a
caret under the column, then optional notes. Every layer imports it from here,
so this module imports nothing else of kopt.
"""

from __future__ import annotations

import linecache
from dataclasses import dataclass


@dataclass(frozen=True)
class SourceLoc:
    """A position in a user's file: 1-based line, 1-based column (0 = not known: a KoptError fills it in).

    Input that is not a file has a pseudo-file: `<command line>` (the command line as one line), `<signature>`,
    `<assume>`, `<pass-pipeline>`, `<stdin>`."""

    file: str
    line: int
    col: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}" if self.col else f"{self.file}:{self.line}"


class KoptError(Exception):
    """A diagnostic for a person: located, one line first, then context.

    `source_line` may be given for inputs that are not files on disk (stdin,
    strings); otherwise it is read from `loc.file` when the message is formatted.
    """

    def __init__(
        self,
        message: str,
        loc: SourceLoc | None = None,
        *,
        notes: tuple[str, ...] | list[str] = (),
        source_line: str | None = None,
    ):
        self.message = message
        self.loc = _with_column(loc, source_line)
        self.notes = tuple(notes)
        self.source_line = source_line
        super().__init__(self.format())

    def format(self) -> str:
        head = f"{self.loc}: error: {self.message}" if self.loc else f"error: {self.message}"
        lines = [head]
        text = self.source_line
        if text is None and self.loc is not None and self.loc.line > 0:
            text = linecache.getline(self.loc.file, self.loc.line).rstrip("\n")
        if text and self.loc is not None:
            lines.append(text)
            if self.loc.col:
                lines.append(" " * (self.loc.col - 1) + "^")
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()


def _with_column(loc: SourceLoc | None, source_line: str | None) -> SourceLoc | None:
    """Every located diagnostic has a column: a location that knows only its line points at the line's first
    character that is not blank (line 0, "somewhere in the file", is 1:1)."""
    if loc is None or (loc.line >= 1 and loc.col >= 1):
        return loc
    if loc.line < 1:
        return SourceLoc(loc.file, 1, 1)
    text = source_line if source_line is not None else linecache.getline(loc.file, loc.line)
    text = text.rstrip("\n")
    return SourceLoc(loc.file, loc.line, len(text) - len(text.lstrip()) + 1 if text.strip() else 1)


def caller_loc() -> SourceLoc | None:
    """Where the user's code called into kopt: the innermost frame outside the kopt package (its line and
    column), for mistakes in a call to kopt's API (`kopt.Config(block_sizes=[3])`). None when there is none."""
    import os
    import sys

    package = os.path.dirname(os.path.abspath(__file__)) + os.sep
    frame = sys._getframe(1)
    while frame is not None:
        file = frame.f_code.co_filename
        if not (os.path.abspath(file).startswith(package) or file.startswith("<frozen")):
            col = 0
            try:
                positions = list(frame.f_code.co_positions())
                col = (positions[frame.f_lasti // 2][2] or 0) + 1
            except (AttributeError, IndexError, TypeError):
                pass
            return SourceLoc(file, frame.f_lineno, col)
        frame = frame.f_back
    return None


def error_at(message: str, file: str, line: int, col: int = 0, **kw) -> KoptError:
    """Shorthand used by the frontend and the IR parser."""
    return KoptError(message, SourceLoc(file, line, col), **kw)
