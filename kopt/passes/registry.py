"""The pass registry: pass name -> ModulePass class, filled by decorator, plugin file or entry point.

kopt's own passes register themselves when `kopt.passes` is imported; installed
packages add theirs through the `kopt.passes` entry-point group; a single file
is loaded with `load_plugin(path)` (the CLI's `--load-pass-plugin`).

Every registered class remembers the file that defined it, so that a duplicate
name, or a plugin pass that raises while it runs, is reported against the
plugin's file rather than as an internal compiler error.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import os
import sys
import traceback
from importlib.metadata import entry_points
from pathlib import Path

from xdsl.passes import ModulePass

from kopt.errors import KoptError, SourceLoc

_PASSES: dict[str, type[ModulePass]] = {}
_ORIGIN: dict[str, str] = {}
_KOPT_DIR = Path(__file__).resolve().parent.parent  # passes defined under it are built-in
_loading: set[str] | None = None  # names registered by the plugin being loaded right now
_entry_points_loaded = False


def _defining_file(cls: type) -> str:
    return getattr(sys.modules.get(cls.__module__), "__file__", None) or cls.__module__


def plugin_origin(cls: type) -> str | None:
    """The file a pass class comes from, or None for kopt's own passes."""
    origin = _defining_file(cls)
    try:
        Path(origin).resolve().relative_to(_KOPT_DIR)
        return None
    except (ValueError, OSError):
        return origin


def register_pass(cls: type[ModulePass]) -> type[ModulePass]:
    """Class decorator: make a ModulePass available by its `name` in pipeline strings."""
    if not (isinstance(cls, type) and issubclass(cls, ModulePass)):
        what = f"class {cls.__qualname__}" if isinstance(cls, type) else repr(cls)
        raise KoptError(f"@register_pass expects a subclass of xdsl.passes.ModulePass, got {what}")
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name:
        raise KoptError(f"pass class {cls.__qualname__} has no `name`",
                        notes=['give it one: `name = "my-pass"` (the name used in pipeline strings)'])
    origin = _defining_file(cls)
    old = _PASSES.get(name)
    # The same file loaded again (a second --load-pass-plugin, a re-import) replaces its own passes.
    clash = old is not None and old is not cls and (_ORIGIN[name] != origin or (_loading is not None and name in _loading))
    if clash:
        owner = "a built-in kopt pass" if plugin_origin(old) is None else f"a pass from {_ORIGIN[name]}"
        raise KoptError(f"pass name {name!r} is already taken by {owner}",
                        notes=[f"{cls.__qualname__} in {origin} needs another name"])
    _PASSES[name] = cls
    _ORIGIN[name] = origin
    if _loading is not None:
        _loading.add(name)
    return cls


def _load_entry_points() -> None:
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    for ep in entry_points(group="kopt.passes"):
        try:
            register_pass(ep.load())
        except KoptError as e:
            raise KoptError(f"pass plugin entry point {ep.name!r} ({ep.value}): {e.message}", notes=e.notes) from None
        except Exception as e:  # a broken installed plugin is the user's to fix, not an internal error
            raise KoptError(f"pass plugin entry point {ep.name!r} ({ep.value}) failed to load: "
                            f"{type(e).__name__}: {e}") from None


def passes_named(names) -> dict[str, type[ModulePass]]:
    """The registered passes, reading installed plugins' entry points only where `names` has one not registered yet:
    scanning the entry points costs ~20 ms, most of a kernel's first call in a process that compiles nothing."""
    import kopt.passes  # noqa: F401 - registers the built-in passes

    return dict(_PASSES) if set(names) <= set(_PASSES) else available_passes()


def available_passes() -> dict[str, type[ModulePass]]:
    """Every registered pass by name: kopt's own, entry points and loaded plugin files."""
    import kopt.passes  # noqa: F401 - registers the built-in passes

    _load_entry_points()
    return dict(_PASSES)


def line_in(exc: BaseException, file: str) -> int:
    """The innermost line of `file` in an exception's traceback (0 when it is not there)."""
    frames = traceback.extract_tb(exc.__traceback__)
    file = os.path.abspath(file)
    return next((f.lineno or 0 for f in reversed(frames) if os.path.abspath(f.filename) == file), 0)


def _plugin_error(e: BaseException, path: str, file: str) -> KoptError:
    if isinstance(e, SyntaxError) and e.filename and os.path.abspath(e.filename) == os.path.abspath(file):
        return KoptError(f"pass plugin is not valid Python: {e.msg}", SourceLoc(path, e.lineno or 0, e.offset or 0),
                         source_line=(e.text or "").rstrip("\n") or None)
    line = line_in(e, file)
    loc = SourceLoc(path, line) if line else SourceLoc(path, 1, 1)  # the column: the line's first character
    if isinstance(e, KoptError):  # e.g. a duplicate pass name: locate it in the plugin
        return KoptError(e.message, e.loc or loc, notes=[*e.notes, f"while loading pass plugin {path}"])
    return KoptError(f"pass plugin failed to load: {type(e).__name__}: {e}", loc,
                     notes=[] if line else [f"the plugin is {path}"])


def load_plugin(path: str) -> list[str]:
    """Import a plugin file; every pass it registers becomes usable by name. Returns their names.

    Loading the same file twice is harmless. Errors name the file, and the line where known.
    """
    global _loading
    available_passes()  # built-ins first, so that a plugin clashing with one is the one reported
    p = Path(path)
    if not p.is_file():
        raise KoptError(f"pass plugin {path!r} does not exist", SourceLoc(path, 1, 1))
    mod_name = "kopt_plugin_" + hashlib.sha256(str(p.resolve()).encode()).hexdigest()[:16]
    # the source loader whatever the suffix: a plugin that is not Python is a syntax error at its line
    spec = importlib.util.spec_from_file_location(mod_name, p, loader=importlib.machinery.SourceFileLoader(mod_name,
                                                                                                         str(p)))
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module  # before running it, so that its classes know their file
    saved = dict(_PASSES), dict(_ORIGIN)
    _loading = set()
    try:
        spec.loader.exec_module(module)
        added = sorted(_loading)
    except BaseException as e:
        sys.modules.pop(mod_name, None)
        for table, before in zip((_PASSES, _ORIGIN), saved):  # a half-loaded plugin leaves nothing behind
            table.clear()
            table.update(before)
        if isinstance(e, KeyboardInterrupt):
            raise
        raise _plugin_error(e, path, module.__file__) from None
    finally:
        _loading = None
    if not added:
        raise KoptError(f"pass plugin {path!r} registered no pass", SourceLoc(path, 1, 1),
                        notes=["decorate a ModulePass subclass with @kopt.passes.register_pass"])
    return added
