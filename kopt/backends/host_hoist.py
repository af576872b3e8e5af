"""Read each size and stride a launch uses once: `x.size(0)` four times becomes `_x_size_0 = x.size(0)` and a name.

Why: a launch's host code names a tensor's sizes wherever the plan uses them (the guard, block sizes, checks, grid,
arguments), and each `x.size(0)` is a call into torch (~0.16 us on the H200 machine's host); on every call of a
small kernel that is a sizeable part of its host time (benchmarks/results/h200_2026-12-01_launch/). Only code is
rewritten, found with Python's tokenizer: text inside string literals (error messages) stays as it is.
"""

from __future__ import annotations

import io
import tokenize

_READS = ("size", "stride")


def _reads(text: str) -> list[tuple[tuple[int, int], tuple[int, int], str]]:
    """(start, end, source) of each `name.size(k)` / `name.stride(k)` outside string literals, in order."""
    try:
        toks = [t for t in tokenize.generate_tokens(io.StringIO(text).readline)
                if t.type not in (tokenize.NL, tokenize.COMMENT)]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return []
    found = []
    for i in range(len(toks) - 5):
        a, dot, attr, lp, num, rp = toks[i:i + 6]
        if (a.type == tokenize.NAME and dot.string == "." and attr.string in _READS and lp.string == "("
                and num.type == tokenize.NUMBER and num.string.isdigit() and rp.string == ")"
                and (i == 0 or toks[i - 1].string != ".")):
            found.append((a.start, rp.end, f"{a.string}.{attr.string}({num.string})"))
    return found


def hoist_size_reads(lines: list[str]) -> list[str]:
    """`lines` with every size or stride read used twice or more bound once, before them."""
    text = "\n".join(lines)
    reads = _reads(text)
    counts: dict[str, int] = {}
    for *_, src in reads:
        counts[src] = counts.get(src, 0) + 1
    names = {src: "_" + src.replace(".", "_").replace("(", "_").replace(")", "")
             for src, n in counts.items() if n > 1}
    if not names:
        return lines
    out = list(lines)
    for (row, col), (end_row, end_col), src in reversed(reads):
        if src in names and row == end_row:
            line = out[row - 1]
            out[row - 1] = line[:col] + names[src] + line[end_col:]
    return [f"{name} = {src}" for src, name in names.items()] + out
