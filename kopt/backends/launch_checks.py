"""The checks a generated launcher makes before it launches: every condition the kernel was compiled relying on
that the host can evaluate from the call's sizes, each a KoptError located where the kernel needed it.

- stated shape facts (`--assume`, host `assert`s, signature sizes): a fact that does not hold would let an
  elided mask read or write out of bounds;
- equalities shape-inference assumed (`assumed`: broadcasting, contractions): assume, then check;
- bounds-checks' records (kopt/passes/bounds_checks.py): tile loops over a size that subscript a shorter
  dim (`bounds`), slices (`slice_checks`), reductions with no value over an empty dim (`nonempty_checks`),
  indices that are not loop ranges (`index_checks`).
A check about a size the launch does not know (a jagged range's data-dependent begin) is left out.
"""

from __future__ import annotations

import re

from xdsl.dialects.builtin import ArrayAttr

from kopt.backends.exprs import py_expr
from kopt.dialects import tile as T
from kopt.dialects.sizes import POWER_OF_TWO, SizeAttr

SYMBOL_NAME = re.compile(r"\b[A-Za-z_]\w*\b")


def host_text(text: str, bind: dict[str, str]) -> str:
    """A symbolic size expression as host Python, sizes through a launch's bindings."""
    return SYMBOL_NAME.sub(lambda m: bind.get(m.group(0), m.group(0)), py_expr(text, "host"))


def launch_checks(kernel: T.KernelOp, bind: dict[str, str], launch_symbols: set[str],
                  literal: dict[str, str]) -> list[str]:
    """Host lines that raise before the launch when a condition the kernel relies on does not hold."""
    known = set(bind) | launch_symbols
    return (_fact_checks(kernel, bind, known, literal) + _assumption_checks(kernel, bind, known)
            + _bounds_checks(kernel, bind, known) + _slice_checks(kernel, bind, known)
            + _nonempty_checks(kernel, bind, known) + _index_checks(kernel, bind, known))


def _entries(kernel: T.KernelOp, attr: str) -> list[list[str]]:
    entries = kernel.attributes.get(attr)
    return [[c.data for c in e.data] for e in entries.data] if isinstance(entries, ArrayAttr) else []


def _knows(known: set[str], *texts: str) -> bool:
    return set().union(*(SizeAttr(t).names for t in texts)) <= known


def _raise_if(cond: str, message: str, where: list[str], note: str) -> list[str]:
    """`if cond: raise KoptError(...)`; `message` is an f-string's text (host values in braces), `where` the
    [file, line, col] of the source that needed the condition (or empty)."""
    loc = f", SourceLoc({where[0]!r}, {where[1]}, {where[2]})" if where else ""
    text = f"f{message!r}" if "{" in message else repr(message)
    return [f"if {cond}:", f"    raise KoptError({text}{loc}, notes=[{note!r}])"]


def _fact_checks(kernel: T.KernelOp, bind: dict[str, str], known: set[str], literal: dict[str, str]) -> list[str]:
    """Every stated shape fact the launcher can evaluate is checked before the launch, so a fact
    that does not hold (an `--assume`, a stripped `assert` under `python -O`) raises instead of
    letting an elided mask read or write out of bounds."""
    lines = []
    assumed = _assumed(kernel)
    for fact in kernel.plan.fact_list:
        text = fact.data
        if text in assumed:
            continue  # an equality shape-inference assumed: checked below, located where it was needed
        fixed = fact.equates()
        if fixed is not None and literal.get(fixed[0]) == str(fixed[1]):
            continue  # the launcher itself sets this block size to that constant
        if not fact.names <= known:
            continue  # about sizes this launch does not know: it cannot affect this kernel's masks
        if fact.relations == (POWER_OF_TWO,):
            n = host_text(fact.sides[0].data, bind)
            cond = f"{n} > 0 and ({n} & ({n} - 1)) == 0"
        else:
            cond = host_text(text, bind)
        message = f"the shape fact `{text}` the kernel was compiled with does not hold for this call"
        lines += [f"if not ({cond}):", f"    raise KoptError({message!r})"]
    return lines


def _assumed(kernel: T.KernelOp) -> dict[str, list[str]]:
    """The equalities shape-inference assumed ("a == b" -> [a, b, file, line, col])."""
    return {f"{e[0]} == {e[1]}": e for e in _entries(kernel, "assumed")}


def _assumption_checks(kernel: T.KernelOp, bind: dict[str, str], known: set[str]) -> list[str]:
    """Assume, then check: each size equality the kernel was compiled assuming (broadcasting, a contraction),
    checked at every call; a mismatch is a KoptError located where the kernel needed it."""
    lines = []
    for a, b, *where in _assumed(kernel).values():
        if not _knows(known, a, b):
            continue
        a_h, b_h = host_text(a, bind), host_text(b, bind)
        lines += _raise_if(
            f"not ({a_h} == {b_h})",
            f"`{a}` ({{{a_h}}}) and `{b}` ({{{b_h}}}) must be equal here: the kernel was compiled assuming so", where,
            "torch would raise a size mismatch (a size of 1 broadcasts: kopt compiles a kernel of its own for "
            "that); state the equality with `assert` to move this check into your code")
    return lines


def _bounds_checks(kernel: T.KernelOp, bind: dict[str, str], known: set[str]) -> list[str]:
    """A tile loop over one size that subscripts a tensor dim of another must fit in it; else a KoptError at the
    subscript, with both sizes, before the launch."""
    lines = []
    for end, dim, tensor, position, *where in _entries(kernel, "bounds"):
        if not _knows(known, end, dim):
            continue  # sizes the host does not know (a jagged range's begin): not checkable here
        end_h, dim_h = host_text(end, bind), host_text(dim, bind)
        lines += _raise_if(
            f"not ({end_h} <= {dim_h})",
            f"the tile loop over `{end}` ({{{end_h}}}) subscripts dim {position} of `{tensor}`, of size {{{dim_h}}}: "
            "it would run past its end", where,
            f"masks stop at `{end}`, not at the size of `{tensor}`; make the sizes agree (torch would raise a size "
            f"mismatch), or loop over the size of `{tensor}`")
    return lines


def _slice_checks(kernel: T.KernelOp, bind: dict[str, str], known: set[str]) -> list[str]:
    """A slice must lie in its dim (kopt does not clamp it as torch does)."""
    lines = []
    for begin, end, size, tensor, dim, *where in _entries(kernel, "slice_checks"):
        if not _knows(known, begin, end, size):
            continue
        b_h, e_h, s_h = (host_text(t, bind) for t in (begin, end, size))
        lines += _raise_if(
            f"not (0 <= {b_h} <= {e_h} <= {s_h})",
            f"the slice [{begin}:{end}] ([{{{b_h}}}:{{{e_h}}}]) of dim {dim} of `{tensor}`, of size {{{s_h}}}, "
            "is not within it", where,
            "torch would clamp the slice; kopt reads exactly the lanes it names: keep 0 <= begin <= end <= size")
    return lines


def _nonempty_checks(kernel: T.KernelOp, bind: dict[str, str], known: set[str]) -> list[str]:
    """A max/min/argmax/argmin over an empty dim raises, as in torch."""
    lines = []
    for size, kind, *where in _entries(kernel, "nonempty_checks"):
        if not _knows(known, size):
            continue
        lines += _raise_if(f"not ({host_text(size, bind)} > 0)",
                           f"{kind} over a dim of size 0 (`{size}`): there is no value to give", where,
                           "torch raises on it too")
    return lines


def _index_checks(kernel: T.KernelOp, bind: dict[str, str], known: set[str]) -> list[str]:
    """An index that is not a loop range (`x[i]` of an `hl.grid` loop, `x[t.index + 1]`) must stay in its dim over
    the whole loop, as torch's indexing requires; the loops it comes from must run at all."""
    lines = []
    for lo, hi, dim, guard, tensor, position, *where in _entries(kernel, "index_checks"):
        extents = [g for g in guard.split(" ; ") if g]
        if not _knows(known, lo, hi, dim, *extents):
            continue
        lo_h, hi_h, dim_h = (host_text(t, bind) for t in (lo, hi, dim))
        runs = " and ".join(f"{host_text(e, bind)} > 0" for e in extents) or "True"
        low = "" if lo.isdigit() else f"0 <= {lo_h} and "  # (a literal lower bound is never negative here)
        lines += _raise_if(
            f"{runs} and not ({low}{hi_h} < {dim_h})",
            f"an index into dim {position} of `{tensor}` runs over [{lo}, {hi}] ([{{{lo_h}}}, {{{hi_h}}}]), "
            f"outside its size {{{dim_h}}}", where,
            f"torch would raise an IndexError; keep the index in [0, {dim})")
    return lines
