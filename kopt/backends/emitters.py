"""A backend's emitters: one function per op class, in a table the backend owns.

Ops in kopt/dialects know nothing of any target's text; each backend registers how it writes each
op class it supports (`@TRITON.emits(T.ExpOp)`), and a writer asks the table for an op's emitter
(`TRITON.lookup(op)`, which walks the op's class hierarchy, so one registration can serve a family).
An op without one is a KoptError naming the op and the backend, never a silent skip. A second
backend keeps its own table.
"""

from __future__ import annotations

from collections.abc import Callable

from xdsl.ir import Operation

from kopt.ir.util import op_error

Emitter = Callable[..., None]  # (writer, op) -> None


class EmitterTable:
    """Op class -> emitter, for one backend."""

    def __init__(self, backend: str, missing_hint: Callable[[Operation], str]):
        self.backend = backend
        self._missing_hint = missing_hint
        self._by_class: dict[type, Emitter] = {}

    def emits(self, *classes: type) -> Callable[[Emitter], Emitter]:
        """Decorator: the function writes ops of these classes (and of their subclasses without one of their own)."""
        def register(fn: Emitter) -> Emitter:
            for cls in classes:
                self.register(cls, fn)
            return fn
        return register

    def register(self, cls: type, fn: Emitter) -> None:
        self._by_class[cls] = fn

    def lookup(self, op: Operation) -> Emitter:
        for cls in type(op).__mro__:
            fn = self._by_class.get(cls)
            if fn is not None:
                return fn
        raise op_error(op, f"the {self.backend} backend cannot emit `{op.name}`: {self._missing_hint(op)}")

    def covers(self, cls: type) -> bool:
        return any(c in self._by_class for c in cls.__mro__)
