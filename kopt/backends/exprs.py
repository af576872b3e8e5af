"""Symbolic size expressions (IR text) -> Python source for the kernel or the launcher."""

from __future__ import annotations

import re

_FUNCS = {"cdiv": "cdiv", "next_power_of_2": "next_power_of_2"}


def py_expr(text: str, namespace: str) -> str:
    """`cdiv(n, _BLOCK_SIZE_0)` -> `tl.cdiv(n, _BLOCK_SIZE_0)` in a kernel (namespace 'tl'); in host code
    (namespace 'host') the names stay bare: the launcher imports kopt.launch.hostmath's."""
    def sub(m: re.Match) -> str:
        fn = m.group(1)
        if namespace == "tl" and fn == "next_power_of_2":
            raise ValueError("next_power_of_2 is computed by the launcher, not in the kernel")
        return f"{_FUNCS[fn]}(" if namespace == "host" else f"{namespace}.{_FUNCS[fn]}("

    return re.sub(r"\b(cdiv|next_power_of_2)\(", sub, text)


def is_atom(text: str) -> bool:
    """Needs no parentheses when used as an operand."""
    return re.fullmatch(r"[A-Za-z_][\w.]*(\[[^\]]*\])?(\([^()]*\))?|\d+(\.\d*)?", text) is not None
