"""@kopt.kernel: a callable that compiles once per specialization and launches on every call.

The specialization key is what changes the generated code: dtypes, ranks and
device kind of the tensors, kinds of the scalars, the config, and the sizes
themselves only under `static_shapes=True`. One compile serves every size.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import sys
import threading
import time
from collections import namedtuple
from dataclasses import dataclass, field
from pathlib import Path

from kopt.backends.triton_codegen import LaunchConfig
from kopt.errors import KoptError
from kopt.frontend.signature import ScalarSpec, TensorSpec, parse_signature
from kopt.frontend.source import KernelSource, from_function
from kopt.passes.pipeline import Pipeline
from kopt.runtime import mode
from kopt.runtime.compiler import compile_kernel
from kopt.runtime.config import Config

CacheInfo = namedtuple("CacheInfo", ["hits", "misses", "maxsize", "currsize"])


def cache_dir() -> Path:
    """KOPT_CACHE_DIR, else the user's cache directory."""
    env = os.environ.get("KOPT_CACHE_DIR")
    if env:
        return Path(env)
    try:
        from platformdirs import user_cache_dir

        return Path(user_cache_dir("kopt"))
    except ImportError:
        return Path.home() / ".cache" / "kopt"


@dataclass
class CompiledKernel:
    """One specialization: the Triton source, its launcher, and what it took to make."""

    key: tuple
    triton_source: str
    launcher: object
    timings: dict[str, float] = field(default_factory=dict)
    path: Path | None = None

    def __call__(self, *args):
        return self.launcher(*args)


def _load_source(name: str, source: str) -> tuple[object, Path]:
    """Write the generated module to a real file (triton.jit reads its source) and import it."""
    digest = hashlib.sha256(source.encode()).hexdigest()[:20]
    directory = cache_dir() / "triton"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}_{digest}.py"
    if not path.exists() or path.read_text() != source:
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(source)
        os.replace(tmp, path)  # atomic: a concurrent reader sees the old file or the new one
    spec = importlib.util.spec_from_file_location(f"kopt_generated_{name}_{digest}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name), path


class Kernel:
    """The object `@kopt.kernel` returns."""

    def __init__(self, fn, *, signature: str | None = None, config: Config | None = None,
                 static_shapes: bool = False, pipeline: str | Pipeline | None = None):
        self.fn = fn
        self.config = config or Config()
        self.static_shapes = static_shapes
        self._signature = parse_signature(signature, "signature=") if signature else None
        self._pipeline = pipeline
        self._src: KernelSource | None = None
        self._cache: dict[tuple, CompiledKernel] = {}
        self._hits = 0
        self._misses = 0
        self._lock = threading.Lock()
        self._params = list(fn.__code__.co_varnames[: fn.__code__.co_argcount])
        functools.update_wrapper(self, fn)

    # ------------------------------------------------------------ keys

    def _bind(self, args, kwargs) -> list:
        if len(args) > len(self._params):
            raise KoptError(f"{self.fn.__name__}() takes {len(self._params)} arguments, got {len(args)}")
        values = list(args) + [None] * (len(self._params) - len(args))
        for k, v in kwargs.items():
            if k not in self._params:
                raise KoptError(f"{self.fn.__name__}() has no argument {k!r}")
            values[self._params.index(k)] = v
        missing = [p for p, v in zip(self._params, values) if v is None]
        if missing:
            raise KoptError(f"{self.fn.__name__}() missing argument {missing[0]!r}")
        return values

    def _specs(self, values) -> tuple[dict, tuple, str]:
        import torch

        from kopt.dialects.dtypes import from_torch_name

        specs, key, device = {}, [], None
        for name, v in zip(self._params, values):
            if isinstance(v, torch.Tensor):
                dtype = from_torch_name(str(v.dtype))
                if dtype is None:
                    raise KoptError(f"argument {name!r}: dtype {v.dtype} is not supported by kopt")
                if device is None:
                    device = v.device.type
                elif v.device.type != device:
                    raise KoptError(f"argument {name!r} is on {v.device.type}, the others on {device}")
                dims = tuple(str(s) for s in v.shape) if self.static_shapes else None
                specs[name] = TensorSpec(dtype, v.dim(), dims)
                key.append(("tensor", dtype, v.dim(), dims))
            elif isinstance(v, bool):
                raise KoptError(f"argument {name!r}: bool scalars are not supported")
            elif isinstance(v, int):
                specs[name] = ScalarSpec("i64")
                key.append(("int",))
            elif isinstance(v, float):
                specs[name] = ScalarSpec("f32")
                key.append(("float",))
            else:
                raise KoptError(f"argument {name!r}: expected a torch.Tensor, int or float, got {type(v).__name__}")
            if self._signature and name in self._signature:
                want = self._signature[name]
                if want.__class__ is not specs[name].__class__ or (
                        isinstance(want, TensorSpec) and (want.dtype, want.rank) != (specs[name].dtype, specs[name].rank)):
                    raise KoptError(f"argument {name!r} is {specs[name].describe()}, but the signature says "
                                    f"{want.describe()}")
        if device is None:
            raise KoptError(f"{self.fn.__name__}() got no tensor argument")
        return specs, (device, tuple(key), self.config.key()), device

    # ------------------------------------------------------------ compile

    def _pipeline_obj(self) -> Pipeline:
        if isinstance(self._pipeline, Pipeline):
            return self._pipeline
        pipeline = Pipeline.parse(self._pipeline) if self._pipeline else Pipeline.default()
        cfg = self.config
        if cfg.reduction not in (None, "persistent"):
            raise KoptError(f"kopt.Config(reduction={cfg.reduction!r}) is not available yet; "
                            "only persistent reductions are lowered")
        return pipeline

    def _compile(self, specs, key) -> CompiledKernel:
        if self._src is None:
            self._src = from_function(self.fn)
        facts = ()
        t0 = time.perf_counter()
        result = compile_kernel(self._src, specs, self._pipeline_obj(), facts=facts,
                                config=LaunchConfig(self.config.block_sizes, self.config.num_warps,
                                                    self.config.num_stages),
                                verify=os.environ.get("KOPT_VERIFY", "0") not in ("", "0"))
        launcher, path = _load_source(self.fn.__name__, result.triton_source)
        result.timings["total"] = time.perf_counter() - t0
        return CompiledKernel(key, result.triton_source, launcher, result.timings, path)

    def _get(self, values) -> CompiledKernel:
        specs, key, device = self._specs(values)
        mode.prepare(device)
        with self._lock:
            compiled = self._cache.get(key)
            if compiled is not None:
                self._hits += 1
                return compiled
            self._misses += 1
            compiled = self._compile(specs, key)
            self._cache[key] = compiled
            return compiled

    # ------------------------------------------------------------ public

    def __call__(self, *args, **kwargs):
        values = self._bind(args, kwargs)
        return self._get(values)(*values)

    def compile(self, *args, **kwargs) -> CompiledKernel:
        """Compile for these arguments without running; `.triton_source` holds the generated code."""
        return self._get(self._bind(args, kwargs))

    def cache_info(self) -> CacheInfo:
        """Hits and misses of the in-process cache; a miss is one full kopt compile."""
        return CacheInfo(self._hits, self._misses, None, len(self._cache))

    def cache_clear(self) -> None:
        with self._lock:
            self._cache.clear()
            self._hits = self._misses = 0


def kernel(fn=None, /, **options):
    """Decorator: `@kopt.kernel` or `@kopt.kernel(signature=..., config=..., static_shapes=...)`."""
    allowed = {"signature", "config", "static_shapes", "pipeline"}
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise KoptError(f"@kopt.kernel: unknown option {unknown[0]!r}", notes=[f"options: {', '.join(sorted(allowed))}"])
    if fn is None:
        return lambda f: Kernel(f, **options)
    return Kernel(fn, **options)


__all__ = ["kernel", "Kernel", "CompiledKernel", "CacheInfo", "cache_dir", "sys"]
