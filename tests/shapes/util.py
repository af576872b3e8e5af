"""Helpers for the shape tests: run the CLI in-process, write and import kernel files."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import sys
from pathlib import Path

from kopt.tools.cli import main

HEADER = "import torch\nimport kopt\nimport kopt.language as hl\n\n"


def run_cli(*argv: str) -> tuple[int, str, str]:
    """`kopt ARGV` in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def kernel_file(directory: Path, name: str, body: str) -> Path:
    """Write `body` (kernel definitions) after the usual imports; line 5 is the body's first line."""
    path = directory / f"{name}.py"
    path.write_text(HEADER + body)
    return path


def import_file(path: Path):
    """Import a kernel file as a module (the runtime reads kernel source through inspect)."""
    key = f"kopt_shape_test_{path.stem}_{abs(hash(str(path)))}"
    spec = importlib.util.spec_from_file_location(key, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[key] = module
    spec.loader.exec_module(module)
    return module


def compile_with_facts(kernel, specs: dict, facts: tuple[str, ...], block_sizes: tuple[int, ...] = ()):
    """Compile an @kopt.kernel's function with explicit facts (and fixed block sizes); return
    (launcher, Triton source). The facts are the caller's promise, as with `--assume`."""
    from kopt import api
    from kopt.backends.triton_codegen import LaunchConfig
    from kopt.frontend.source import from_function
    from kopt.runtime.compiler import compile_kernel

    result = compile_kernel(from_function(kernel.fn), specs, facts=facts, config=LaunchConfig(block_sizes))
    return api.load_kernel(result, kernel.fn.__name__, device="cpu"), result.triton_source
