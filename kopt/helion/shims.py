"""The modules `import helion` gets under `kopt.helion.install()`: kopt's objects under Helion's names.

- `helion.kernel(fn=None, **options)`: `@kopt.kernel` with Helion's options mapped (`config`, `configs` as the
  autotune space, `static_shapes`, `autotune_effort="none"` / `use_default_config=True` as no autotuning);
  options that only steer Helion's own machinery (printing, autotuner budgets) are accepted and ignored, each
  named once in a warning; an option kopt cannot honour is a KoptError naming it.
- `helion.Config`: `kopt.Config` (it takes Helion's field names).
- `helion.language`: `kopt.language`.
- `helion.exc.<Anything>`: `KoptError` (kopt reports every error as one located KoptError, so
  `except helion.exc.ShapeMismatch` catches kopt's diagnostics).
- `helion._testing`: `run_example`, `DEVICE`, `HALF_DTYPE`.
"""

from __future__ import annotations

import importlib.abc
import sys
import types
import warnings

from kopt.errors import KoptError

# Helion kernel options with nothing to do here (they steer its printing, autotuner budget or debugging)
_IGNORED = ("print_output_code", "print_repro", "ignore_warnings", "autotune_log_level", "autotune_compile_timeout",
            "autotune_precompile", "autotune_random_seed", "autotune_accuracy_check", "autotune_rebenchmark_threshold",
            "autotune_max_generations", "autotune_progress_bar", "autotune_baseline_fn", "force_autotune",
            "allow_warp_specialize", "debug_dtype_asserts", "dot_precision", "index_dtype")
_MODELLED = ("helion", "helion.language", "helion.exc", "helion._testing", "helion.autotuner")


def _kernel(fn=None, /, **options):
    """`@helion.kernel` / `@helion.kernel(config=..., static_shapes=..., ...)` -> `@kopt.kernel(...)`."""
    import kopt

    mapped = {}
    ignored = sorted(k for k, v in options.items() if k in _IGNORED and v)  # `print_output_code=False` is silent
    if ignored:
        warnings.warn(f"kopt.helion: ignoring Helion kernel option(s) {', '.join(ignored)}", stacklevel=2)
    for key, value in options.items():
        if key in _IGNORED:
            continue
        if key == "config":
            mapped["config"] = value
        elif key == "configs":
            mapped["autotune_space"] = list(value)
        elif key == "static_shapes":
            mapped["static_shapes"] = bool(value)
        elif key == "autotune_effort":
            if value == "none":
                mapped["autotune"] = False
        elif key == "use_default_config":
            if value:
                mapped["autotune"] = False
        else:
            raise KoptError(f"helion.kernel: option {key!r} is not modelled by kopt",
                            notes=["kopt takes config, configs, static_shapes, autotune_effort and use_default_config "
                                   "(docs/helion-compat.md)"])
    if fn is None:
        return lambda f: kopt.kernel(f, **mapped)
    return kopt.kernel(fn, **mapped)


def _missing(module: str):
    def __getattr__(name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(f"`{module}.{name}` is a part of Helion that kopt does not model "
                             f"(kopt.helion models {', '.join(_MODELLED)}; docs/helion-compat.md)")
    return __getattr__


def _exc_getattr(name: str):
    if name.startswith("__"):
        raise AttributeError(name)
    return KoptError  # every kopt diagnostic is a KoptError


def _config(*args, **kwargs):
    from kopt.runtime.config import Config

    return Config(*args, **kwargs)


def helion_module() -> types.ModuleType:
    from kopt._version import __version__

    root = types.ModuleType("helion", "kopt standing in for Helion (kopt.helion.install())")
    root.__kopt__ = True
    root.__path__ = []  # a package: `import helion.language` looks for submodules
    root.__version__ = __version__
    root.kernel = _kernel
    root.Config = _config
    root.__getattr__ = _missing("helion")
    return root


def submodules(root: types.ModuleType) -> dict[str, types.ModuleType]:
    import kopt.language as language

    exc = types.ModuleType("helion.exc", "Helion's exceptions: each is KoptError under kopt")
    exc.__kopt__ = True
    exc.__getattr__ = _exc_getattr
    exc.Base = KoptError
    testing = types.ModuleType("helion._testing", "run_example, DEVICE and HALF_DTYPE for Helion's example scripts")
    testing.__kopt__ = True
    from kopt.helion import testing as impl

    testing.run_example = impl.run_example
    testing.__getattr__ = impl.module_getattr
    from kopt import autotuner as fragments

    tuner = types.ModuleType("helion.autotuner", "the search-space fragments of hl.register_tunable (kopt.autotuner)")
    tuner.__kopt__ = True
    for cls in fragments.FRAGMENTS:
        setattr(tuner, cls.__name__, cls)
    tuner.__getattr__ = _missing("helion.autotuner")
    root.language = language
    root.exc = exc
    root._testing = testing
    root.autotuner = tuner
    return {"helion.language": language, "helion.exc": exc, "helion._testing": testing, "helion.autotuner": tuner}


class HelionFinder(importlib.abc.MetaPathFinder):
    """`import helion.<something kopt does not model>`: an ImportError that names it."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname.startswith("helion.") and fullname not in sys.modules:
            raise ImportError(f"`{fullname}` is a part of Helion that kopt does not model "
                              f"(kopt.helion models {', '.join(_MODELLED)}; docs/helion-compat.md)", name=fullname)
        return None
