"""`kopt --list-passes`: each pass's name, one-line summary, origin if a plugin, and options."""

from __future__ import annotations

import dataclasses

from kopt.passes.pipeline import default_text, option_infos
from kopt.passes.registry import plugin_origin


def summary(cls: type) -> str:
    """The first line of a pass's docstring (dataclasses invent `Name(fields)` when there is none)."""
    doc = (cls.__doc__ or "").strip()
    if not doc or doc.startswith(f"{cls.__name__}("):
        return "(no description)"
    return doc.splitlines()[0].strip()


def describe_passes(passes: dict) -> str:
    """The --list-passes text: `  name   summary`, then one indented line per option."""
    lines = ["Available passes:"]
    for name in sorted(passes):
        cls = passes[name]
        origin = plugin_origin(cls)
        lines.append(f"  {name:<22} {summary(cls)}" + (f"  [plugin: {origin}]" if origin else ""))
        for opt, typ, default in option_infos(cls):
            shown = "(required)" if default is dataclasses.MISSING else f"= {default_text(default)}"
            lines.append(f"      {opt}: {typ} {shown}")
    return "\n".join(lines)
