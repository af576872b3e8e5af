"""The autotuner: time candidate configs of one kernel on real arguments, keep the fastest correct one.

Every candidate runs once and its output is compared with the heuristic default's
output (the reference) before it is timed: a wrong config never wins. Candidates
are first compiled in parallel worker processes (`precompile.py`; on the GPU the
Triton JIT of each block-size/warps variant is what costs, and its on-disk cache
hands the result to this process), then timed one by one here while a tqdm bar
shows progress: on the GPU by CUDA graph with L2 flushed (`graph_timer`; a launch's
CPU cost is left out, so configs are ranked by the kernel alone), falling back to
`triton.testing.do_bench`. A candidate replaces the heuristic default only when it is
faster by more than `MARGIN`. Results are stored on disk (`cache.DiskCache("autotune")`)
by the caller's key.

Kernels of a few microseconds are bound by their launch, which a graph leaves out: where the default runs
under `SMALL_MS` by graph, the best few candidates and the default are timed again *as called*
(`as_called_timer`: calls back to back, launch included, the way a loop of user code calls them: through the
whole-call memo's replay where the memo keeps the call, as a user's repeat call runs, `Runner.user_calls`), twice,
interleaved, and the winner is chosen on those figures: it must beat the default as called by `MARGIN`, else
the default stays. Where the two rounds rank the finalists differently, the choice is within noise: the
default (or the candidate earlier in the space) is kept and the reason printed, so tuning twice on one
machine gives the same winner.
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import Callable

from kopt.runtime.config import Config

# Test hook: `hook(config, output) -> output` sees every candidate's output (not the reference's).
candidate_hook: Callable[[Config, object], object] | None = None

MARGIN = 0.03  # a win of a few % is within the timer's noise (seen on an H100): the heuristic default stays
SMALL_MS = 0.05  # kernels under ~50 us by graph: the launch is a large part of what users get
FINALISTS = 3  # candidates (besides the default) timed as called
# (rtol, atol in units of the reference's mean |value|), as the benchmark harness checks
_CHUNK = 1 << 26
_TOL = {"float32": (1e-4, 1e-4), "float16": (1e-2, 1e-2), "bfloat16": (4e-2, 4e-2), "float64": (1e-7, 1e-7)}


@dataclass
class Trial:
    config: Config
    status: str  # "ok", "wrong: why", "failed: why"
    ms: float | None = None
    called_ms: float | None = None  # as called (launch included), for small kernels' finalists


@dataclass
class TuneResult:
    """The winner (`Config()` is the heuristic default) and every trial."""

    config: Config
    ms: float | None
    default_ms: float | None
    trials: list[Trial] = field(default_factory=list)
    called: str = ""  # for small kernels: how the as-called round decided (printed, and kept with the result)
    seconds: float | None = None  # wall time of the tuning (compiles, checks, timings); None where not known

    def to_json(self) -> dict:
        return {"config": self.config.to_json(), "ms": self.ms, "default_ms": self.default_ms, "called": self.called,
                "seconds": self.seconds,
                "trials": [{"config": t.config.to_json(), "status": t.status, "ms": t.ms, "called_ms": t.called_ms}
                           for t in self.trials]}

    @classmethod
    def from_json(cls, data: dict) -> "TuneResult":
        trials = [Trial(Config.from_json(t["config"]), t["status"], t["ms"], t.get("called_ms"))
                  for t in data.get("trials", [])]
        return cls(Config.from_json(data["config"]), data["ms"], data["default_ms"], trials, data.get("called", ""),
                   data.get("seconds"))


def cuda_timer(fn) -> float:
    """Milliseconds per call on the GPU alone, L2 cold, by CUDA graph (`graph_timer`); where `fn`
    cannot be captured, `triton.testing.do_bench`'s median (which flushes L2 too)."""
    try:
        return graph_timer(fn)
    except Exception:  # noqa: BLE001 - e.g. a launcher that synchronizes; do_bench still works
        import triton.testing

        return float(triton.testing.do_bench(fn, warmup=10, rep=50, return_mode="median"))


_FLUSH = {}  # device -> a buffer of twice the L2 size, zeroed before each call to evict the inputs


def graph_timer(fn, rep_ms: float = 10.0, replays: int = 3) -> float:
    """Median over `replays` of: a CUDA graph of n (L2 flush, call) pairs, minus one of n flushes, / n.

    A kernel of a few microseconds costs ~40 us of Python and Triton launch on the CPU, more than
    do_bench's flush hides, so do_bench's figures for small shapes drift with CPU load and would rank
    configs by noise. A graph replays the launches with no CPU in the loop.
    """
    import torch

    dev = torch.cuda.current_device()
    if dev not in _FLUSH:
        l2 = getattr(torch.cuda.get_device_properties(dev), "L2_cache_size", 50 << 20) or (50 << 20)
        _FLUSH[dev] = torch.empty(2 * l2 // 4, dtype=torch.int32, device="cuda")
    flush = _FLUSH[dev]
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        fn()  # compiled and warm before capture
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(3):
            flush.zero_()
            fn()
        end.record()
        torch.cuda.synchronize()
        n = max(5, min(1000, int(rep_ms / max(1e-3, start.elapsed_time(end) / 3))))
        both, flushes = torch.cuda.CUDAGraph(), torch.cuda.CUDAGraph()
        with torch.cuda.graph(both):
            for _ in range(n):
                flush.zero_()
                fn()
        with torch.cuda.graph(flushes):
            for _ in range(n):
                flush.zero_()
        times = {both: [], flushes: []}
        for _ in range(replays):
            for g in (both, flushes):
                start.record()
                g.replay()
                end.record()
                torch.cuda.synchronize()
                times[g].append(start.elapsed_time(end))
    torch.cuda.current_stream().wait_stream(stream)
    return max(1e-6, (statistics.median(times[both]) - statistics.median(times[flushes])) / n)


def median_ms(fn, reps: int) -> float:
    """Median wall milliseconds of `reps` calls of `fn`."""
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def cpu_timer(fn, reps: int = 3) -> float:
    """Median milliseconds of a few calls: for the Triton interpreter in tests, never for real tuning."""
    return median_ms(fn, reps)


def timer_for(device: str) -> Callable[[Callable], float]:
    return cuda_timer if device == "cuda" else cpu_timer


def as_called_timer(fn, target_ms: float = 5.0, rounds: int = 3) -> float:
    """Milliseconds per call as user code calls it: calls back to back between two CUDA events (the GPU waits
    for each launch, so host time per call shows), the median of `rounds`; inputs stay as the caller left them."""
    import torch

    fn()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(10):
        fn()
    end.record()
    end.synchronize()
    calls = max(10, min(2000, int(target_ms / max(start.elapsed_time(end) / 10, 1e-4))))
    times = []
    for _ in range(rounds):
        start.record()
        for _ in range(calls):
            fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) / calls)
    return statistics.median(times)


def as_called_for(device: str) -> Callable[[Callable], float] | None:
    return as_called_timer if device == "cuda" else None


def choose_as_called(finalists: list[Config], time_as_called: Callable[[Config], float],
                     trials: dict) -> tuple[Config, float, str]:
    """The winner among `finalists` (the default, Config(), first; then candidates in the space's order) by two
    interleaved rounds of as-called times: the fastest must beat the default by MARGIN in both rounds and win
    both, else the default stays (said why)."""
    rounds = [{cfg: time_as_called(cfg) for cfg in finalists} for _ in range(2)]
    best = {cfg: min(r[cfg] for r in rounds) for cfg in finalists}
    for cfg in finalists:
        if cfg in trials:
            trials[cfg].called_ms = best[cfg]
    default = finalists[0]
    leaders = [min(finalists, key=lambda c, r=r: (r[c], finalists.index(c))) for r in rounds]
    fmt = ", ".join(f"{'default' if c == default else c}: {best[c]:.4g}" for c in finalists)
    if leaders[0] != leaders[1]:
        return default, best[default], f"as called ({fmt} ms): the two rounds disagree, within noise: default kept"
    leader = leaders[0]
    if leader != default and all(r[leader] < r[default] * (1 - MARGIN) for r in rounds):
        return leader, best[leader], f"as called ({fmt} ms): {leader} wins both rounds"
    return default, best[default], f"as called ({fmt} ms): no candidate beats the default by {MARGIN:.0%}"


def _short(e: BaseException) -> str:
    lines = str(e).strip().splitlines()
    return f"{type(e).__name__}: {lines[0] if lines else ''}"[:200]


def compare(out, ref) -> str | None:
    """None when `out` matches `ref` (tensors within a dtype's tolerance, the rest equal), else why not."""
    import torch

    if isinstance(ref, (tuple, list)):
        if not isinstance(out, (tuple, list)) or len(out) != len(ref):
            return f"returned {type(out).__name__}, expected {len(ref)} values"
        return next((w for o, r in zip(out, ref) if (w := compare(o, r))), None)
    if not torch.is_tensor(ref):
        return None if out == ref else f"returned {out!r}, expected {ref!r}"
    if not torch.is_tensor(out) or out.shape != ref.shape or out.dtype != ref.dtype:
        got = getattr(out, "shape", type(out).__name__)
        return f"returned {got}, expected a {ref.dtype} tensor of {tuple(ref.shape)}"
    if not ref.is_floating_point():
        return None if torch.equal(out, ref) else "integer outputs differ"
    rtol, atol = _TOL.get(str(ref.dtype).removeprefix("torch."), (1e-4, 1e-4))
    # a scale-free atol (softmax outputs are ~1/N); the 1-norm needs no full-size |ref| temporary
    scale = float(torch.linalg.vector_norm(ref.reshape(-1), 1, dtype=torch.float32)) / max(1, ref.numel())
    atol *= scale if 0 < scale < float("inf") else 1.0
    o, r = out.reshape(-1), ref.reshape(-1)
    for i in range(0, max(1, r.numel()), _CHUNK):  # assert_close makes several full-size temporaries
        try:
            torch.testing.assert_close(o[i:i + _CHUNK], r[i:i + _CHUNK], rtol=rtol, atol=atol, equal_nan=True)
        except AssertionError as e:
            return next((ln.strip() for ln in str(e).splitlines() if ln.startswith("Mismatch")), "outputs differ")
    return None


class Runner:
    """Runs the kernel under a config on fixed arguments; restores arguments the kernel writes into,
    and counts them as outputs (an in-place kernel returns nothing)."""

    def __init__(self, launch: Callable[[Config, list], object], args: list,
                 replay: Callable[[Config, Callable], Callable | None] | None = None,
                 forget_launches: Callable[[], None] = lambda: None):
        import torch

        self.launch, self.args, self._replay = launch, args, replay
        self.forget_launches = forget_launches  # drop what the candidates' launches left in the launch caches
        self._pristine = {i: a.clone() for i, a in enumerate(args) if torch.is_tensor(a)}
        self.mutated: list[int] = []

    def reference(self):
        import torch

        out = self.launch(Config(), self.args)
        self.mutated = [i for i, p in self._pristine.items() if not torch.equal(self.args[i], p)]
        self._pristine = {i: p for i, p in self._pristine.items() if i in self.mutated}
        return self._bundle(out, clone=True)

    def __call__(self, config: Config):
        self.restore()
        out = self.launch(config, self.args)
        if candidate_hook is not None and config != Config():
            out = candidate_hook(config, out)
        return self._bundle(out, clone=False)

    def user_calls(self, configs: list[Config]) -> dict[Config, Callable]:
        """What to time each config by as called: the call a user's repeat call makes (the whole-call memo's replay
        of it, `replay(config, run)`), where the memo keeps every one of them; else, for all alike, the config's
        launch through the generated launcher (a replay beside a launch would compare two paths, not two configs).
        Arguments they write into are restored by neither (tune() restores them at the end)."""
        launches = {cfg: (lambda cfg=cfg: self.launch(cfg, self.args)) for cfg in configs}
        if self._replay is None:
            return launches
        replays = {cfg: self._replay(cfg, lambda cfg=cfg: self(cfg)) for cfg in configs}
        if any(r is None for r in replays.values()):
            return launches
        return {cfg: (lambda r=r: r(*self.args)) for cfg, r in replays.items()}

    def restore(self) -> None:
        """Put back what the kernel wrote into its arguments (after tuning: the call itself then runs once on them,
        so an accumulating kernel, `y += a * x`, applies once, not once per timed run plus one)."""
        for i, p in self._pristine.items():
            self.args[i].copy_(p)

    def _bundle(self, out, clone: bool):
        if not self.mutated:
            return out
        written = [self.args[i].clone() if clone else self.args[i] for i in self.mutated]
        return (out, *written)


def tune(name: str, candidates: list[Config], runner: Runner, *, timer: Callable[[Callable], float],
         precompile: Callable[[list[Config], Callable], dict] | None = None, label: str = "",
         as_called: Callable[[Callable], float] | None = None) -> TuneResult:
    """Check and time every candidate against the heuristic default; the fastest correct one wins.
    `precompile(configs, on_done)` compiles them ahead (in parallel) and returns config -> error or None.
    `as_called`: the timer of the as-called round for kernels under SMALL_MS (None: no such round). The arguments
    the kernel writes into are as they were when tuning ends, however it ends."""
    try:
        return _tune(name, candidates, runner, timer=timer, precompile=precompile, label=label, as_called=as_called)
    finally:
        try:
            runner.restore()
        finally:
            runner.forget_launches()


def _tune(name, candidates, runner, *, timer, precompile, label, as_called) -> TuneResult:
    from tqdm import tqdm

    started = time.perf_counter()
    trials: dict[Config, Trial] = {}
    ref = runner.reference()
    if precompile is not None and candidates:
        with tqdm(total=len(candidates), desc=f"kopt autotune {name}{label}: compiling", unit="config",
                  file=sys.stderr, dynamic_ncols=True, disable=False) as compiling:
            for cfg, error in precompile(candidates, compiling.update).items():
                if error:
                    trials[cfg] = Trial(cfg, f"failed: {error}")
    bar = tqdm(candidates, desc=f"kopt autotune {name}{label}", unit="config", file=sys.stderr, leave=True,
               dynamic_ncols=True, disable=False)
    best: tuple[float, Config] | None = None
    for cfg in bar:
        if cfg in trials:
            continue
        try:
            why = compare(runner(cfg), ref)
            trial = Trial(cfg, "ok" if why is None else f"wrong: {why}")
            if why is None:
                trial.ms = timer(lambda cfg=cfg: runner(cfg))
        except Exception as e:  # noqa: BLE001 - a config that cannot launch (too many registers, ...) just loses
            trial = Trial(cfg, f"failed: {_short(e)}")
        trials[cfg] = trial
        if trial.ms is not None and (best is None or trial.ms < best[0]):
            best = (trial.ms, cfg)
            bar.set_postfix_str(f"best {trial.ms:.4g} ms")
    bar.close()
    default_ms = timer(lambda: runner(Config()))
    better = best is not None and best[0] < default_ms * (1 - MARGIN)
    winner, ms = (best[1], best[0]) if better else (Config(), default_ms)
    called = ""
    if as_called is not None and default_ms < SMALL_MS:
        ranked = sorted((t for t in trials.values() if t.ms is not None and t.config != Config()),
                        key=lambda t: (t.ms, candidates.index(t.config)))
        finalists = [Config()] + sorted((t.config for t in ranked[:FINALISTS]), key=candidates.index)
        runner.forget_launches()  # each finalist's call gets its launch cache entry afresh, as after tuning
        calls = runner.user_calls(finalists)
        winner, _, called = choose_as_called(finalists, lambda cfg: as_called(calls[cfg]), trials)
        ms = default_ms if winner == Config() else trials[winner].ms
    result = TuneResult(winner, ms, default_ms, [trials[c] for c in candidates if c in trials], called,
                        time.perf_counter() - started)
    rejected = sum(1 for t in result.trials if t.status != "ok")
    print(f"kopt autotune {name}{label}: {winner if winner != Config() else 'heuristic default'} "
          f"{ms:.4g} ms (default {default_ms:.4g} ms); {len(candidates)} candidates, {rejected} rejected"
          + (f"; {called}" if called else "") + f"; tuned in {result.seconds:.2f} s", file=sys.stderr, flush=True)
    return result
