"""`kopt --list-passes`: each pass's name, one-line summary and options with types and defaults."""

from __future__ import annotations

import dataclasses


def describe_passes(passes: dict) -> str:
    lines = ["Available passes:"]
    for name in sorted(passes):
        cls = passes[name]
        summary = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
        lines.append(f"  {name:<22} {summary}")
        for f in dataclasses.fields(cls):
            default = f.default if f.default is not dataclasses.MISSING else "(required)"
            t = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
            lines.append(f"      {f.name.replace('_', '-')}: {t} = {default}")
    return "\n".join(lines)
