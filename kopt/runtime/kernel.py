"""@kopt.kernel: a callable that compiles once per specialization and launches on every call.

The specialization key is what changes the generated code (kopt/runtime/specialize.py):
dtypes, ranks and device kind of the tensors, kinds of the scalars, the config, and
only on request the sizes (`static_shapes=True`) or their divisibility by 16
(`specialize_divisibility=True`). One compile serves every size otherwise.

Lookups go memory -> disk (kopt/runtime/cache.py, shared by processes) -> compile;
`cache_info()` counts a disk load as a hit and a full kopt compile as a miss.
On CUDA, unless `config=` is given or KOPT_AUTOTUNE=0, the first call per size
bucket autotunes the launch-time choices (kopt/runtime/autotune.py); the result is
cached on disk too. `autotune=True` forces tuning (also on the CPU interpreter, for
tests), `autotune=False` never tunes.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.util
import inspect
import os
import tempfile
import threading
import time
from collections import namedtuple
from dataclasses import dataclass, field
from pathlib import Path

from kopt.backends.range_knobs import range_options
from kopt.backends.triton_codegen import LaunchConfig
from kopt.errors import KoptError, caller_loc
from kopt.frontend.signature import TensorSpec, parse_signature
from kopt.frontend.source import KernelSource, from_function
from kopt.dialects.plan import PERSISTENT_PID_TYPES
from kopt.passes.pipeline import DEFAULT_PIPELINE, Pipeline
from kopt.runtime import bundle, fast_launch, launch_memo, mode, shape_log
from kopt.runtime.cache import DiskCache, cache_dir, compiler_fingerprint, discard, write_atomic
from kopt.runtime.compiler import compile_kernel, parsed_pipeline
from kopt.runtime.config import Config
from kopt.runtime.specialize import call_key, size_bucket, specs_and_facts

CacheInfo = namedtuple("CacheInfo", ["hits", "misses", "maxsize", "currsize", "disk_hits"], defaults=[0])
_OPTIONS = ("signature", "config", "static_shapes", "pipeline", "specialize_divisibility", "autotune",
            "autotune_space")


@dataclass
class CompiledKernel:
    """One specialization: the Triton source, its launcher, and what it took to make."""

    key: tuple
    triton_source: str
    launcher: object
    timings: dict[str, float] = field(default_factory=dict)
    path: Path | None = None
    plan: dict = field(default_factory=dict)  # launch-time choices, for the autotuner (space.launch_plan)
    from_disk: bool = False

    def __call__(self, *args, _config: dict | None = None):
        return self.launcher(*args, _config=_config)


def _load_source(name: str, source: str) -> tuple[object, Path]:
    """Write the generated module to a real file (triton.jit reads its source) and import it."""
    digest = hashlib.sha256(source.encode()).hexdigest()[:20]
    path = cache_dir() / "triton" / f"{name}_{digest}.py"
    try:
        current = path.read_text()
    except (OSError, ValueError):  # absent, a folder, not UTF-8: written again
        current = None
    if current != source:
        try:
            write_atomic(path, source)  # a concurrent reader sees the old file or the new one
        except OSError:  # the directory failed under us: a file of this process's own
            path = Path(tempfile.mkdtemp(prefix="kopt-src-")) / path.name
            path.write_text(source)
    if not mode.interpreting():  # a bundle's Triton binaries of this module, where Triton's JIT looks for them
        bundle.install_triton_kernels(digest)
    spec = importlib.util.spec_from_file_location(f"kopt_generated_{name}_{digest}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not mode.interpreting() and fast_launch.enabled():
        fast_launch.wrap_module(module, source)
    return getattr(module, name), path


def _f32_dot_precision() -> str:
    """How fp32 matmuls multiply, following torch: full fp32 at "highest" (torch's default), TF32 otherwise."""
    import torch

    return "ieee" if torch.get_float32_matmul_precision() == "highest" else "tf32"


_EXACT_MEMO = 1024  # per kernel entry: exact argument sizes -> tuned choice (varying scalars stop filling it)


def exact_choice(tuning: dict, values) -> tuple:
    """(the call's exact sizes, the tuned choice kept in a compile entry for them, or None): a repeat call costs one
    tuple of shapes and one lookup; the size bucket, which hashes the full key, is only for sizes not seen yet. The
    sizes are None where an argument cannot be hashed (a list): nothing is kept for such calls."""
    exact = tuple([getattr(v, "shape", v) for v in values])
    try:
        return exact, tuning.get(exact)
    except TypeError:
        return None, None


class Kernel:
    """The object `@kopt.kernel` returns."""

    _memo = None  # the whole-call memo's entries (launch_memo.py): a list once a kernel runs on the GPU

    def __init__(self, fn, *, signature: str | None = None, config: Config | None = None,
                 static_shapes: bool = False, pipeline: str | Pipeline | None = None,
                 specialize_divisibility: bool = False, autotune: bool | None = None,
                 autotune_space: list[Config] | None = None):
        if config is not None and autotune:
            raise KoptError("@kopt.kernel: give either config= (a fixed config) or autotune=True, not both",
                            caller_loc())
        self.fn = fn
        self.config = config or Config()
        self._config_key = self.config.key()
        self.static_shapes = static_shapes
        self.specialize_divisibility = specialize_divisibility
        self._user_config = config is not None
        self._autotune = autotune
        self._space = list(autotune_space) if autotune_space is not None else None
        self._signature = parse_signature(signature, "signature=") if signature else None
        self._pipeline = pipeline
        self._pipelines: dict[tuple, Pipeline] = {}
        self._src: KernelSource | None = None
        self._cache: dict[tuple, CompiledKernel] = {}
        self._tuned: dict[tuple, object] = {}  # (device, key, size bucket) -> autotune.TuneResult
        self._chosen: dict[tuple, tuple] = {}  # the same -> (compiled kernel, `_config` overrides)
        self._hits = self._misses = self._disk_hits = 0
        self._lock = threading.RLock()
        self._tune_lock = threading.Lock()
        self._params = list(fn.__code__.co_varnames[: fn.__code__.co_argcount])
        self._nparams = len(self._params)
        # cheap key -> (compiled, tuned choices (size bucket -> (compiled, overrides); None: no tuning), key, device,
        # broadcast dims)
        self._fast: dict[tuple, tuple] = {}
        functools.update_wrapper(self, fn)

    # ------------------------------------------------------------ arguments

    def _bind(self, args, kwargs) -> list:
        """The call's value for every parameter, Python's defaults filling those not given. A mistake is located
        at the kernel's `def` (a parameter there where one is concerned)."""
        code = self.fn.__code__
        if code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS) or code.co_kwonlyargcount \
                or code.co_posonlyargcount:  # `*xs`: said at the def, not as a count of arguments
            from kopt.frontend.builder import check_params

            check_params(self._source())
        takes = f"its arguments: {', '.join(self._params)}" if self._params else "it takes no arguments"
        if len(args) > len(self._params):
            raise self._at_def(f"{self.fn.__name__}() takes {len(self._params)} arguments, got {len(args)}", None,
                               takes)
        values = list(args) + [_MISSING] * (len(self._params) - len(args))
        for k, v in kwargs.items():
            if k not in self._params:
                raise self._at_def(f"{self.fn.__name__}() has no argument {k!r}", None, takes)
            if self._params.index(k) < len(args):  # as Python says: given by position and by name
                raise self._at_def(f"{self.fn.__name__}() got multiple values for argument {k!r}", k,
                                   f"the call gives {k!r} by position and as {k}=")
            values[self._params.index(k)] = v
        defaults = self.fn.__defaults__ or ()
        first_default = len(self._params) - len(defaults)
        for i, v in enumerate(values):
            if v is _MISSING and i >= first_default:
                values[i] = defaults[i - first_default]
        missing = [p for p, v in zip(self._params, values) if v is _MISSING]
        if missing:
            raise self._at_def(f"{self.fn.__name__}() missing argument {missing[0]!r}", missing[0],
                               f"the call gives {len(args) + len(kwargs)} of {len(self._params)} arguments")
        return values

    def _at_def(self, message: str, param: str | None, *notes: str) -> KoptError:
        """A call's mistake, located at parameter `param` of the kernel's `def` (at the `def` when None)."""
        try:
            src = self._source()
        except KoptError:  # no source to point into (a kernel defined in a REPL)
            return KoptError(message, notes=notes)
        node = next((a for a in src.fn.args.args if a.arg == param), src.fn)
        return src.error(node, message, *notes)

    def _key(self, values) -> tuple[tuple, str]:
        try:
            items, device = call_key(self._params, values, self.static_shapes, self.specialize_divisibility)
        except KoptError as e:
            if e.loc is not None:
                raise
            raise self._at_param(e) from None
        if self._specialized:  # ("sizes", ((param, dim, value), ...)): facts `== value` (specialize.py)
            items += (("sizes", tuple((self._params[p], i, values[p].shape[i]) for p, i in self._specialized)),)
        return items, device

    @functools.cached_property
    def _specialized(self) -> tuple[tuple[int, int], ...]:
        """(parameter index, dim) of the sizes the kernel `hl.specialize`s, read from its source."""
        from kopt.frontend.host_facts import specialized_dims

        try:
            dims = specialized_dims(self._source().fn)
        except KoptError:
            return ()  # the source does not parse: the compile will say so, located
        return tuple((self._params.index(p), i) for p, i in dims if p in self._params)

    def _at_param(self, e: KoptError) -> KoptError:
        """An argument's error, located at that parameter in the kernel's `def` (else at the `def`)."""
        src = self._source()
        node = next((a for a in src.fn.args.args if f"argument {a.arg!r}" in e.message), src.fn)
        return src.error(node, e.message, *e.notes)

    def _check_signature(self, specs: dict) -> None:
        for name, want in (self._signature or {}).items():
            got = specs.get(name)
            if got is None:
                continue
            if want.__class__ is not got.__class__ or (
                    isinstance(want, TensorSpec) and (want.dtype, want.rank) != (got.dtype, got.rank)):
                raise self._at_def(f"argument {name!r} is {got.describe()}, but the signature says "
                                   f"{want.describe()}", name, "the signature is given to @kopt.kernel(signature=...)")

    # ------------------------------------------------------------ compile, memory and disk caches

    def _pipeline_for(self, cfg: Config) -> Pipeline:
        """The pipeline for a config: the kernel's, with the reduction strategy the config asks for."""
        key = (cfg.reduction, cfg.reduction_block, repr(cfg.extra.get("l2_groupings")), _persistent(cfg),
               check_indices(), _descriptors(cfg))
        if key in self._pipelines:
            return self._pipelines[key]
        if isinstance(self._pipeline, Pipeline):
            pipeline = Pipeline(self._pipeline.passes)
        else:
            pipeline = parsed_pipeline(self._pipeline or DEFAULT_PIPELINE)
        if cfg.reduction is not None or cfg.reduction_block is not None:  # reduction-lowering's default is auto
            pipeline = _with_reduction(pipeline, cfg)
        if cfg.extra.get("l2_groupings"):
            pipeline = _with_l2_grouping(pipeline, cfg)
        if _persistent(cfg):
            pipeline = _with_tiling_option(pipeline, pid_type=_persistent(cfg))
        if check_indices():
            pipeline = _with_device_index_checks(pipeline)
        if _descriptors(cfg) and "lower-to-tt" in pipeline.names() and "tensor-descriptors" not in pipeline.names():
            pipeline = Pipeline(pipeline.passes).insert_before("lower-to-tt", "tensor-descriptors")
        self._pipelines[key] = pipeline
        return pipeline

    def _source(self) -> KernelSource:
        if self._src is None:
            self._src = from_function(self.fn)
        return self._src

    def _disk_key(self, key: tuple, cfg: Config) -> dict:
        src = self._source()  # where it is too: the launcher's checks raise errors located in that file
        return {"kopt": compiler_fingerprint(), "kernel": self.fn.__qualname__,
                "source": hashlib.sha256(src.text.encode()).hexdigest(), "file": src.file,
                "line": src.line_offset, "col": src.col_offset, "args": repr(key[1]),
                "device": key[0], "config": repr(cfg.key()), "pipeline": str(self._pipeline_for(cfg)),
                "f32_dot_precision": key[3] if len(key) > 3 else _f32_dot_precision()}

    def _variant(self, items: tuple, device: str, cfg: Config, count: bool = True) -> CompiledKernel:
        """The compiled kernel for these arguments and this config: from memory, disk, or a compile."""
        key = (device, items, self._config_key if cfg is self.config else cfg.key(), _f32_dot_precision(),
               check_indices())
        compiled = self._cache.get(key)
        if compiled is not None:
            self._hits += count
            return compiled
        with self._lock:
            if key in self._cache:
                self._hits += count
                return self._cache[key]
            store = DiskCache("compiled")
            disk_key = self._disk_key(key, cfg)
            compiled = self._from_disk(store, disk_key, key)
            if compiled is not None:
                self._hits += 1
                self._disk_hits += 1
            else:
                self._misses += 1
                bundle.note_miss(f"{self.fn.__name__}({_kinds_label(items)}) on {device}"
                                 + (f" with {cfg}" if cfg != Config() else ""), "compiling")
                compiled = self._compile(items, cfg, key)
                store.store(disk_key, {"triton_source": compiled.triton_source, "plan": compiled.plan,
                                       "timings": compiled.timings})
            self._cache[key] = compiled
            return compiled

    def _from_disk(self, store: DiskCache, disk_key: dict, key: tuple) -> CompiledKernel | None:
        t0 = time.perf_counter()
        entry = store.load(disk_key, required=("triton_source", "plan"))
        if entry is None:
            return None
        try:
            launcher, path = _load_source(self.fn.__name__, entry["triton_source"])
        except Exception as e:  # noqa: BLE001 - e.g. a truncated source: rebuild it
            discard(store.path(disk_key), f"its source does not load: {type(e).__name__}: {e}")
            return None
        timings = {"disk_cache": time.perf_counter() - t0}
        return CompiledKernel(key, entry["triton_source"], launcher, timings, path, entry["plan"], from_disk=True)

    def _compile(self, items: tuple, cfg: Config, key: tuple) -> CompiledKernel:
        from kopt.runtime.space import launch_plan

        t0 = time.perf_counter()
        result = self._lower(items, cfg, key[3], verify=os.environ.get("KOPT_VERIFY", "0") not in ("", "0"))
        plan = launch_plan(result.tile_ir)
        t1 = time.perf_counter()
        launcher, path = _load_source(self.fn.__name__, result.triton_source)
        result.timings["load"] = time.perf_counter() - t1
        result.timings["total"] = time.perf_counter() - t0
        return CompiledKernel(key, result.triton_source, launcher, result.timings, path, plan)

    def _lower(self, items: tuple, cfg: Config, f32_dot_precision: str, verify: bool = False, hook=None):
        try:
            return self._lower_located(items, cfg, f32_dot_precision, verify, hook)
        except KoptError as e:
            if e.loc is not None:
                raise
            raise self._at_param(e) from None  # a compile error no stage could place: at the kernel's def

    @functools.cached_property
    def _tunables(self) -> dict:
        """Config field -> (host name, fragment) of the kernel's `hl.register_tunable`s."""
        from kopt.frontend.tunables import registrations

        return registrations(self._source())

    def _tunable_values(self, cfg: Config) -> dict:
        unknown = sorted(set(cfg.tunables) - set(self._tunables))
        if unknown:
            raise self._source().error(
                self._source().fn, f"kopt.Config: unknown field {unknown[0]!r} for kernel `{self.fn.__name__}`",
                "a field that is not one of kopt's or Helion's names must be a tunable the kernel registers "
                f"(hl.register_tunable); it registers: {', '.join(sorted(self._tunables)) or 'none'}")
        return {f: cfg.tunables.get(f, frag.default()) for f, (_, frag) in self._tunables.items()}

    def _tunable_candidates(self) -> list[Config]:
        """One config per other choice of each tunable (the rest at their defaults): the autotuner's extra tries."""
        return [Config(**{f: v}) for f, (_, frag) in self._tunables.items() for v in frag.choices()
                if v != frag.default()]

    def _lower_located(self, items: tuple, cfg: Config, f32_dot_precision: str, verify: bool, hook):
        specs, arg_facts = specs_and_facts(self._params, items)
        self._check_signature(specs)
        tunables = self._tunable_values(cfg)
        for name, want in (self._signature or {}).items():  # its dim names tie sizes (`N` twice), as in the CLI:
            if isinstance(want, TensorSpec) and want.dims and name in specs:  # one symbol, checked at each call
                specs[name] = dataclasses.replace(specs[name], dims=want.dims)
        # A config's block sizes are baked in, so they are facts too: `_BLOCK_SIZE_0 == 8`.
        facts = tuple(f"_BLOCK_SIZE_{i} == {b}" for i, b in enumerate(cfg.block_sizes))
        if cfg.block_sizes:  # as many as the kernel has tile blocks, tiles within Triton's limit: said up front
            hook = _config_limits(cfg, self._source(), hook)
        return compile_kernel(self._source(), specs, self._pipeline_for(cfg), facts=facts, arg_facts=arg_facts,
                              f32_dot_precision=f32_dot_precision,
                              config=LaunchConfig(cfg.block_sizes, cfg.num_warps, cfg.num_stages, overridable=True,
                                                  ranges=range_options(cfg.extra)),
                              verify=verify, hook=hook, tunables=tunables)

    # ------------------------------------------------------------ autotuning

    def _tuning(self, device: str) -> bool:
        if os.environ.get("KOPT_AUTOTUNE", "") == "0" or self._autotune is False:
            return False
        return bool(self._autotune) or (device == "cuda" and not self._user_config)

    def _launch_config(self, items: tuple, device: str, values: list, compiled: CompiledKernel):
        """(compiled kernel, `_config` overrides) the tuned config for this size bucket asks for."""
        from kopt.runtime.autotune import TuneResult

        tkey = (device, items, self.tune_bucket(values, compiled))
        chosen = self._chosen.get(tkey)
        if chosen is not None:  # the per-call path: one dict lookup
            return chosen
        result = self._tuned.get(tkey)
        if result is None:
            with self._tune_lock:
                result = self._tuned.get(tkey)
                if result is None:
                    store = DiskCache("autotune")
                    disk_key = self._tune_key(tkey, device)
                    entry = store.load(disk_key, required=("config", "ms", "default_ms"))
                    if entry is None:
                        bundle.note_miss(f"{self.fn.__name__}{_bucket_label(items, tkey[2])} on "
                                         f"{disk_key['device_kind']}", "tuning")
                    result = TuneResult.from_json(entry) if entry else self._autotune_now(items, device, values,
                                                                                          compiled)
                    if entry is None:
                        store.store(disk_key, result.to_json())
                    self._tuned[tkey] = result
        cfg = result.config
        if cfg.compile_part() != Config():
            compiled = self._variant(items, device, cfg.compile_part(), count=False)
        self._chosen[tkey] = (compiled, cfg.launch_overrides())
        return self._chosen[tkey]

    def tune_bucket(self, values: list, compiled: CompiledKernel) -> tuple:
        """The sizes a tuned config is shared by: those rounding up to the same powers of two (size_bucket) that
        launch the same size variants (a chunked row and a padded one can share a bucket: each is tuned apart)."""
        from kopt.runtime.space import active_kernels
        from kopt.runtime.specialize import symbol_values

        bucket = size_bucket(values)
        if not any(k.get("variant_of") for k in compiled.plan["kernels"]):
            return bucket
        sizes = symbol_values(compiled.plan["symbols"], self._params, values)
        return (*bucket, ("launches", *active_kernels(compiled.plan, sizes)))

    def _tune_key(self, tkey: tuple, device: str) -> dict:
        """A tuned config's key: the compile's, the size bucket, the device kind (GPU name and compute
        capability: kopt/runtime/bundle.py) and the Triton version."""
        key = self._disk_key((device, tkey[1]), self.config)
        return {**key, "bucket": repr(tkey[2]), "device_kind": bundle.device_kind(device),
                "triton": bundle.triton_version(),
                "space": repr([c.to_json() for c in self._space]) if self._space is not None else "default"}

    def tune_candidates(self, values: list, compiled: CompiledKernel) -> list[Config]:
        """The configs the autotuner tries for these arguments' size bucket (the heuristic default left out)."""
        from kopt.runtime.space import config_space
        from kopt.runtime.specialize import next_power_of_2, symbol_values

        if self._space is not None:
            return [c for c in self._space if c != Config()]
        sizes = symbol_values(compiled.plan["symbols"], self._params, values)
        bucketed = {s: next_power_of_2(v) if compiled.plan["symbols"][s][1] != "stride" else v
                    for s, v in sizes.items()}
        space = config_space(compiled.plan, bucketed, choose=sizes)
        return (space.candidates() if space is not None else []) + self._tunable_candidates()

    def _autotune_now(self, items: tuple, device: str, values: list, compiled: CompiledKernel,
                      candidates: list[Config] | None = None):
        """Tune this size bucket now, over `candidates` (`kopt tune` gives them) or `tune_candidates`'."""
        from kopt.runtime import autotune, precompile

        candidates = [c for c in candidates if c != Config()] if candidates is not None \
            else self.tune_candidates(values, compiled)
        if not candidates:
            return autotune.TuneResult(Config(), None, None)

        def variant_for(cfg: Config) -> CompiledKernel:  # a candidate's compile (its code-changing fields)
            return compiled if cfg.compile_part() == Config() else self._variant(items, device, cfg.compile_part(),
                                                                                count=False)

        def launch(cfg: Config, args: list):
            return variant_for(cfg).launcher(*args, _config=cfg.launch_overrides())

        arg_bytes = sum(v.numel() * v.element_size() for v in values if hasattr(v, "element_size"))
        workers = precompile.worker_count(device, len(candidates), arg_bytes)

        def compile_all(cfgs: list[Config], on_done) -> dict:
            jobs = {}
            for cfg in cfgs:
                jobs[cfg] = (variant_for(cfg).path, self.fn.__name__, cfg.launch_overrides())
            return precompile.precompile(jobs, values, workers, on_done)

        label = " " + " ".join(f"{it[1]}[{'x'.join(map(str, b))}]" for it, b in zip(items, size_bucket(values))
                               if it[0] == "tensor")

        def replay(cfg: Config, run):  # the memo's replay of a candidate's call, where the memo would keep it
            pure = device == "cuda" and launch_memo.pure(variant_for(cfg))
            return launch_memo.replay_of(values, run) if pure else None

        snapshot = fast_launch.plans_snapshot()
        runner = autotune.Runner(launch, list(values), replay, lambda: fast_launch.forget_plans_since(snapshot))
        return autotune.tune(self.fn.__name__, candidates, runner, timer=autotune.timer_for(device),
                             precompile=compile_all if workers else None, label=label,
                             as_called=autotune.as_called_for(device))

    # ------------------------------------------------------------ public

    def __call__(self, *args, **kwargs):
        # The per-call path costs a few microseconds on top of the launcher: on the GPU a launch is
        # ~40 us of CPU, which small kernels do not hide (see benchmarks/README.md).
        try:  # (free in Python 3.11 until something raises)
            values = args if not kwargs and len(args) == self._nparams else self._bind(args, kwargs)
            if _RECORDER is not None:  # KOPT_RECORD_SHAPES=FILE
                _RECORDER.see(self, values)
            fast = self._fast_key(values)
            entry = self._fast.get(fast)
            if entry is None:
                entry = self._first_call(values, fast)
            else:
                self._hits += 1
                if (self._memo is not None and not kwargs and len(args) == self._nparams
                        and launch_memo.may_record(self, values, entry)):
                    # a repeat on the GPU the whole-call memo may keep: its launches recorded (launch_memo.py)
                    return launch_memo.record(self, values, lambda: self._launch(values, *entry))
            if entry[3] == "cpu":  # Triton's interpreter is not thread-safe: one CPU launch at a time (GPU ones overlap)
                with _INTERPRETER:
                    return self._launch(values, *entry)
            return self._launch(values, *entry)
        except KoptError as e:
            if _FULL_TRACEBACK:
                raise
            raise _without_internal_frames(e) from None

    def _launch(self, values, compiled, tuning, items, device, broadcast_at):
        if broadcast_at and (ones := tuple(d for d in broadcast_at if values[d[0]].shape[d[1]] == 1)):
            return self._broadcast_variant(items, device, ones).launcher(*values)
        if tuning is None:
            return compiled.launcher(*values)
        exact, chosen = exact_choice(tuning, values)
        if chosen is None:
            chosen = self._launch_config(items, device, values, compiled)
            if exact is not None and len(tuning) < _EXACT_MEMO:
                tuning[exact] = chosen
        compiled, overrides = chosen
        return compiled.launcher(*values, _config=overrides) if overrides else compiled.launcher(*values)

    def _fast_key(self, values) -> tuple:
        """A cheap key that determines the full one: per tensor its dtype, rank and device kind."""
        if self.static_shapes or self.specialize_divisibility:
            return self._key(values)
        key = tuple((v.dtype, v.ndim, v.is_cuda, v.is_cpu) if isinstance(v, _tensor_type())
                    else type(v) if type(v) in (int, float) else _by_value(v) for v in values)
        if self._specialized:  # hl.specialize'd sizes: a compile per value
            key += tuple(values[p].shape[i] for p, i in self._specialized)
        return key

    def _first_call(self, values, fast: tuple) -> tuple:
        items, device = self._key(values)
        self._prepare(device)
        compiled = self._variant(items, device, self.config)
        broadcast_at = tuple((self._params.index(p), i) for p, i in (compiled.plan or {}).get("broadcast_dims", ()))
        self._fast[fast] = (compiled, {} if self._tuning(device) else None, items, device, broadcast_at)
        if device == "cuda" and _RECORDER is None:
            launch_memo.attach(self)  # repeat calls replayed in C where that is the same as running them
        return self._fast[fast]

    def _prepare(self, device: str) -> None:
        """mode.prepare: the device kind against the Triton interpreter; a mismatch is said at the kernel's def."""
        try:
            mode.prepare(device)
        except KoptError as e:
            raise (self._at_param(e) if e.loc is None else e) from None

    def _broadcast_variant(self, items: tuple, device: str, ones: tuple) -> CompiledKernel:
        """The kernel for a call where argument sizes it assumed equal to others are 1: torch broadcasts them, so
        it is compiled with those sizes stated to be 1 (once per such pattern)."""
        units = tuple((self._params[p], i) for p, i in ones)
        return self._variant((*items, ("units", units)), device, self.config)

    def compile(self, *args, **kwargs) -> CompiledKernel:
        """Compile for these arguments without running; `.triton_source` holds the generated code."""
        try:
            values = self._bind(args, kwargs)
            items, device = self._key(values)
            self._prepare(device)
            return self._variant(items, device, self.config)
        except KoptError as e:
            if _FULL_TRACEBACK:
                raise
            raise _without_internal_frames(e) from None

    def lower(self, *args, verify: bool = False, hook=None, **kwargs):
        """The full compile for these arguments, uncached and not loaded: the `CompileResult` with the tile IR
        after the pipeline and the Triton source. `verify` checks the IR after every pass; `hook(prev, module,
        next)` sees it between passes (kopt.passes.pipeline.Hook). For tools that inspect the compile."""
        values = self._bind(args, kwargs)
        items, _device = self._key(values)
        return self._lower(items, self.config, _f32_dot_precision(), verify=verify, hook=hook)

    def tuned_config(self, *args, **kwargs) -> Config | None:
        """The autotuned config for these arguments' size bucket, if tuned in this process (Config() is
        the heuristic default)."""
        values = self._bind(args, kwargs)
        items, device = self._key(values)
        compiled = self._variant(items, device, self.config, count=False)
        result = self._tuned.get((device, items, self.tune_bucket(values, compiled)))
        return None if result is None else result.config

    def cache_info(self) -> CacheInfo:
        """Hits (memory and disk) and misses (full kopt compiles) in this process; disk_hits of the hits."""
        replayed = sum(e.hits for e in self.__dict__.get("_memo", ()))  # calls the whole-call memo served
        return CacheInfo(self._hits + replayed, self._misses, None, len(self._cache), self._disk_hits)

    def cache_clear(self) -> None:
        """Forget this process's compiles and tuning results (the disk cache stays)."""
        with self._lock:
            self._cache.clear()
            self._tuned.clear()
            self._chosen.clear()
            self._fast.clear()
            self.__dict__.get("_memo", []).clear()
            self._hits = self._misses = self._disk_hits = 0


_MISSING = object()  # a parameter the call did not give (None is a value: an optional tensor left out)
_INTERPRETER = threading.RLock()  # serialises CPU launches: Triton's interpreter keeps global state


def _by_value(v) -> tuple:
    """The fast key of an argument compiled in by value (None, a bool, a tuple of ints, a dtype)."""
    v = tuple(v) if isinstance(v, list) else v
    try:
        hash(v)
    except TypeError:  # not a kind kopt takes: the full key says so on the first call
        return ("unhashable", id(v))
    return ("value", v)


@functools.lru_cache(maxsize=1)
def _tensor_type() -> type:
    import torch  # on the first call only: importing kopt must not import torch

    return torch.Tensor


def _config_limits(cfg: Config, src: KernelSource, hook):
    """A pipeline hook: before the first pass, the config's block sizes against the kernel's tile blocks; after
    the last, its tiles against Triton's element limit (kopt/runtime/limits.py); then the caller's hook."""
    from kopt.runtime.limits import check_block_count, check_tile_numel

    def checked(prev, module, nxt):
        if prev is None:
            check_block_count(module, cfg.block_sizes, src)
        if nxt is None:
            check_tile_numel(module, cfg.block_sizes, src)
        if hook is not None:
            hook(prev, module, nxt)

    return checked


def _with_reduction(pipeline: Pipeline, cfg: Config) -> Pipeline:
    """The pipeline with reduction-lowering set to the config's strategy (its own options say which); a
    strategy other than auto also drops reduction-variants, whose wide-row clones are auto's."""
    p = next((p for p in pipeline.passes if p.name == "reduction-lowering"), None)
    fields = {f.name for f in dataclasses.fields(p)} if p is not None else set()
    if "mode" not in fields:
        raise KoptError(f"kopt.Config(reduction={cfg.reduction!r}) needs a reduction-lowering pass with a mode")
    changes = {"mode": cfg.reduction or p.mode}
    if cfg.reduction_block is not None:
        name = next((f for f in ("reduction_block", "block", "rblock") if f in fields), None)
        if name is None:
            raise KoptError(f"kopt.Config(reduction_block={cfg.reduction_block}): reduction-lowering has no "
                            "option for the chunk size yet")
        changes[name] = cfg.reduction_block
    out = Pipeline(pipeline.passes).replace("reduction-lowering", dataclasses.replace(p, **changes))
    if changes["mode"] != "auto" and any(q.name == "reduction-variants" for q in out.passes):
        out = out.remove("reduction-variants")
    return out


# KOPT_TRACEBACK=full: a KoptError from a kernel call keeps kopt's own frames (for debugging kopt itself)
_FULL_TRACEBACK = os.environ.get("KOPT_TRACEBACK", "") == "full"
_RECORDER = shape_log.recorder_from_env()  # KOPT_RECORD_SHAPES=FILE: the shape log `kopt tune` reads


def _kinds_label(items: tuple) -> str:
    """`f32 rank 2, int`: a specialization's argument kinds, for messages."""
    return ", ".join(f"{it[1]} rank {it[2]}" if it[0] == "tensor" else it[0] for it in items if isinstance(it, tuple)
                     and it and it[0] in ("tensor", "int", "float", "const"))


def _bucket_label(items: tuple, bucket: tuple) -> str:
    """` f32[64x128] f32[128]`: the tensors of a size bucket, as the autotuner's progress bar names them."""
    return " " + " ".join(f"{it[1]}[{'x'.join(map(str, b))}]" for it, b in zip(items, bucket) if it[0] == "tensor")
_FILTERED_NOTE = "(kopt's internal frames are left out of this traceback; KOPT_TRACEBACK=full shows them)"


def _without_internal_frames(e: KoptError) -> KoptError:
    """The error with its traceback cut at the kernel call, as JAX filters its tracebacks: the error is located
    in the user's source already, and kopt's frames under the call only bury it."""
    if _FILTERED_NOTE not in getattr(e, "__notes__", ()):
        e.add_note(_FILTERED_NOTE)
    return e.with_traceback(None)


def check_indices() -> bool:
    """KOPT_CHECK_INDICES=1: indices read from tensors are checked on the device (bounds-checks' option)."""
    return os.environ.get("KOPT_CHECK_INDICES", "0") not in ("", "0")


def _with_device_index_checks(pipeline: Pipeline) -> Pipeline:
    p = next((p for p in pipeline.passes if p.name == "bounds-checks"), None)
    if p is None or "device_indices" not in {f.name for f in dataclasses.fields(p)}:
        return pipeline  # a custom pipeline without the pass: nothing to switch on
    return Pipeline(pipeline.passes).replace("bounds-checks", dataclasses.replace(p, device_indices=True))


def _with_l2_grouping(pipeline: Pipeline, cfg: Config) -> Pipeline:
    """Helion's `l2_groupings=[g]` (1: flat program order) -> the tiling pass's `l2-grouping` option."""
    group = list(cfg.extra["l2_groupings"])[0]
    if not isinstance(group, int) or isinstance(group, bool) or group < 1:
        raise KoptError(f"kopt.Config: l2_groupings[0] must be a positive integer (1 = flat), not {group!r}")
    return _with_tiling_option(pipeline, l2_grouping=group)


def _persistent(cfg: Config) -> str | None:
    """Helion's `pid_type`, where it asks for a persistent kernel (kopt acts on those; `flat` is the default)."""
    pid_type = cfg.extra.get("pid_type")
    return pid_type if pid_type in PERSISTENT_PID_TYPES else None


def _descriptors(cfg: Config) -> bool:
    """Helion's `indexing`, where it asks for tensor descriptors (for any access: kopt uses them where they fit)."""
    indexing = cfg.extra.get("indexing")  # a str, or one per access; anything else Config said it does not act on
    return "tensor_descriptor" in ([indexing] if isinstance(indexing, str) else
                                   indexing if isinstance(indexing, (list, tuple)) else [])


def _with_tiling_option(pipeline: Pipeline, **option) -> Pipeline:
    """The pipeline with its tiling pass given an option (Helion's `l2_groupings`, `pid_type`); unchanged where it
    has no tiling pass with that option (a custom one)."""
    p = next((p for p in pipeline.passes if p.name == "tiling"), None)
    if p is None or not set(option) <= {f.name for f in dataclasses.fields(p)}:
        return pipeline
    return Pipeline(pipeline.passes).replace("tiling", dataclasses.replace(p, **option))


def kernel(fn=None, /, **options):
    """Decorator: `@kopt.kernel` or `@kopt.kernel(signature=..., config=..., static_shapes=...,
    specialize_divisibility=..., autotune=..., autotune_space=[Config(...), ...], pipeline=...)`."""
    unknown = sorted(set(options) - set(_OPTIONS))
    if unknown:
        raise KoptError(f"@kopt.kernel: unknown option {unknown[0]!r}", caller_loc(),
                        notes=[f"options: {', '.join(_OPTIONS)}"])
    if fn is None:
        return lambda f: Kernel(f, **options)
    return Kernel(fn, **options)


__all__ = ["kernel", "Kernel", "CompiledKernel", "CacheInfo", "cache_dir"]
