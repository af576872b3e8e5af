"""Shared test helpers: load an example module by name, compile IR from source text."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def load_example(name: str):
    """Import examples/<name>.py as a module (examples are scripts, not a package)."""
    key = f"kopt_example_{name}"
    if key in sys.modules:
        return sys.modules[key]
    spec = importlib.util.spec_from_file_location(key, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[key] = module
    spec.loader.exec_module(module)
    return module


class Launches:
    """Stands in for a compiled kernel's generated kernels while a call runs: which of them it launched, in order."""

    def __init__(self, compiled):
        self.names, self.namespace = [], compiled.launcher.__globals__
        self.saved = {n: k for n, k in self.namespace.items() if n.startswith("_") and hasattr(k, "__getitem__")
                      and "_kernel" in n}

    def __enter__(self):
        for name, inner in self.saved.items():
            self.namespace[name] = self._recording(name, inner)
        return self

    def _recording(self, name, inner):
        names = self.names

        class Recording:
            def __getitem__(self, grid):
                names.append(name)
                return inner[grid]
        return Recording()

    def __exit__(self, *exc):
        self.namespace.update(self.saved)


def built_for_sm90(script: str, tmp_path) -> tuple[list[str], str]:
    """Run a script that builds kernels with `kopt.build_for_target` in a process without the interpreter, and return
    its `BUILT ...` lines and its stdout (for failure messages); the script must exit cleanly."""
    from tests.corpus.test_target_build import _run

    r = _run(["-c", script], tmp_path, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    return [line for line in r.stdout.splitlines() if line.startswith("BUILT")], r.stdout[-3000:]
