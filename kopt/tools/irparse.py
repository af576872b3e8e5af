"""Reading .tile text: xDSL's parser, with its errors turned into located KoptErrors."""

from __future__ import annotations

import re

from xdsl.dialects.builtin import ModuleOp
from xdsl.parser import Parser
from xdsl.utils.exceptions import ParseError

from kopt.dialects import make_context
from kopt.errors import KoptError, SourceLoc


def parse_tile(text: str, name: str) -> ModuleOp:
    """Parse a textual tile-dialect module; errors point at line:col of the input."""
    try:
        module = Parser(make_context(), text, name).parse_module()
    except ParseError as e:
        msg = str(e)
        m = re.search(r"(\d+):(\d+)", msg)
        line, col = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
        reason = msg.strip().splitlines()[-1].strip() if msg.strip() else "syntax error"
        lines = text.splitlines()
        src = lines[line - 1] if 0 < line <= len(lines) else None
        raise KoptError(f"cannot parse IR: {reason}", SourceLoc(name, line, col + 1 if col or line else 0),
                        source_line=src) from None
    except Exception as e:  # the parser raises plain exceptions for some malformed types
        raise KoptError(f"cannot parse IR: {e}", SourceLoc(name, 1)) from None
    if not isinstance(module, ModuleOp):
        raise KoptError("expected a builtin.module at the top of the IR", SourceLoc(name, 1))
    return module
