"""A do-nothing pass with one option of each kind, so that option handling is tested on options kopt's
own passes may change at any time."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.passes import ModulePass

from kopt.passes import register_pass


@register_pass
@dataclass(frozen=True)
class OptionsPass(ModulePass):
    """Do nothing, with options."""

    name = "test-options"
    count: int = 2
    label: str = "x"
    scale: float | None = None
    sizes: tuple[int, ...] = ()

    def apply(self, ctx, op) -> None:
        pass
