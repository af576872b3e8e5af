"""Run Helion programs on kopt with no edit: `python -m kopt.helion script.py [args]`, or `kopt.helion.install()`.

After `install()`, `import helion`, `import helion.language as hl`, `helion.kernel`, `helion.Config`,
`helion.exc` and `helion._testing`'s `run_example`, `DEVICE` and `HALF_DTYPE` resolve to kopt (shims.py).
A name of Helion's that kopt does not model (`helion.runtime.Foo`, ...) raises an
ImportError or AttributeError that names it, never a half-working stand-in.
"""

from __future__ import annotations

import sys

from kopt.helion.shims import HelionFinder, helion_module, submodules


def install() -> None:
    """Make `import helion` (and its modelled submodules) resolve to kopt in this process. Idempotent."""
    if isinstance(sys.modules.get("helion"), type(sys)) and getattr(sys.modules["helion"], "__kopt__", False):
        return
    root = helion_module()
    sys.modules["helion"] = root
    for name, module in submodules(root).items():
        sys.modules[name] = module
    if not any(isinstance(f, HelionFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, HelionFinder())


def uninstall() -> None:
    """Undo `install()` (tests use it to leave the process as they found it)."""
    for name in [n for n in sys.modules if n == "helion" or n.startswith("helion.")]:
        if getattr(sys.modules[name], "__kopt__", False):
            del sys.modules[name]
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, HelionFinder)]


__all__ = ["install", "uninstall"]
