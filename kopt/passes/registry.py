"""The pass registry: pass name -> ModulePass class, filled by decorator, plugin file or entry point.

kopt's own passes register themselves when `kopt.passes` is imported; installed
packages add theirs through the `kopt.passes` entry-point group; a single file
is loaded with `load_plugin(path)` (the CLI's `--load-pass-plugin`).
"""

from __future__ import annotations

import importlib.util
import sys
import traceback
from importlib.metadata import entry_points
from pathlib import Path

from xdsl.passes import ModulePass

from kopt.errors import KoptError

_PASSES: dict[str, type[ModulePass]] = {}
_ORIGIN: dict[str, str] = {}
_entry_points_loaded = False


def register_pass(cls: type[ModulePass]) -> type[ModulePass]:
    """Class decorator: make a ModulePass available by its `name` in pipeline strings."""
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name:
        raise KoptError(f"pass class {cls.__qualname__} has no `name`")
    origin = getattr(sys.modules.get(cls.__module__), "__file__", None) or cls.__module__
    if name in _PASSES and _PASSES[name] is not cls and _PASSES[name].__qualname__ != cls.__qualname__:
        raise KoptError(f"a pass named {name!r} is already registered (from {_ORIGIN[name]})",
                        notes=[f"the second one comes from {origin}; pick another name"])
    _PASSES[name] = cls
    _ORIGIN[name] = origin
    return cls


def _load_entry_points() -> None:
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    for ep in entry_points(group="kopt.passes"):
        try:
            cls = ep.load()
        except Exception as e:  # a broken installed plugin must not break kopt
            raise KoptError(f"pass plugin entry point {ep.name!r} ({ep.value}) failed to load: {e}") from None
        register_pass(cls)


def available_passes() -> dict[str, type[ModulePass]]:
    import kopt.passes  # noqa: F401 - registers the built-in passes

    _load_entry_points()
    return dict(_PASSES)


def load_plugin(path: str) -> list[str]:
    """Import a plugin file; every pass it registers becomes usable by name. Returns their names."""
    p = Path(path)
    if not p.is_file():
        raise KoptError(f"pass plugin {path!r} does not exist")
    before = set(_PASSES)
    name = f"kopt_plugin_{abs(hash(str(p.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, p)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except KoptError:
        raise
    except Exception as e:
        tb = traceback.extract_tb(e.__traceback__)
        line = next((f.lineno for f in reversed(tb) if f.filename == str(p)), 0)
        raise KoptError(f"pass plugin failed to load: {type(e).__name__}: {e}",
                        loc=None if not line else __import__("kopt.errors").errors.SourceLoc(str(p), line)) from None
    sys.modules[name] = module
    added = sorted(set(_PASSES) - before)
    if not added:
        raise KoptError(f"pass plugin {path!r} registered no pass",
                        notes=["decorate the ModulePass subclass with @kopt.passes.register_pass"])
    return added
