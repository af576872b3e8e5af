"""The autotuner's as-called round for small kernels (kopt/runtime/autotune.py), with timers whose figures the test
sets: the GPU's as-called timer (`as_called_timer`) runs in `kopt bench` and the GPU tuning runs, not here."""

from __future__ import annotations

import pytest
import torch

from kopt.runtime import autotune
from kopt.runtime.config import Config

A, B, C = Config(num_warps=2), Config(num_warps=4), Config(num_warps=8)


def _tune(graph_ms: dict, called_ms: dict | list):
    """tune() over A, B, C on a runner whose output is always right; graph and as-called times from the tables
    (`called_ms` a list: one table per as-called round)."""
    runner = autotune.Runner(lambda cfg, args: args[0] * 2, [torch.ones(4)])
    last = {}
    tables = called_ms if isinstance(called_ms, list) else [called_ms, called_ms]
    timed = []
    forgotten = _tune.forgotten = []  # (how many as-called timings had run each time the launch caches were reset)

    class Recording:
        def reference(self):
            return runner.reference()

        def __call__(self, cfg):
            last["cfg"] = cfg
            return runner(cfg)

        def restore(self):
            runner.restore()

        def user_calls(self, cfgs):
            return {cfg: (lambda cfg=cfg: self(cfg)) for cfg in cfgs}

        def forget_launches(self):
            forgotten.append(len(timed))

    def graph(fn):
        fn()
        return graph_ms[last["cfg"]]

    def as_called(fn):
        fn()
        timed.append(last["cfg"])
        return tables[(len(timed) - 1) // 4][last["cfg"]]  # 4 finalists a round: the default and A, B, C

    return autotune.tune("k", [A, B, C], Recording(), timer=graph, as_called=as_called)


D = Config()


def test_a_small_kernels_winner_is_chosen_as_called_not_by_graph():
    graph = {D: 0.010, A: 0.006, B: 0.008, C: 0.009}
    called = {D: 0.030, A: 0.031, B: 0.020, C: 0.029}  # A is fastest alone, B as users call it
    result = _tune(graph, called)
    assert result.config == B and "wins both rounds" in result.called
    # the candidates' launch cache entries are dropped before the as-called round (the finalists get theirs
    # afresh, as a winner does after tuning) and when tuning ends
    assert _tune.forgotten == [0, 8]
    assert {t.config: t.called_ms for t in result.trials}[B] == pytest.approx(0.020)


def test_the_tuned_choice_is_never_slower_as_called_than_the_default():
    graph = {D: 0.010, A: 0.005, B: 0.006, C: 0.007}  # by graph every candidate beats the default by far ...
    called = {D: 0.020, A: 0.0199, B: 0.025, C: 0.030}  # ... as called, none by the margin
    result = _tune(graph, called)
    assert result.config == D and "no candidate beats the default" in result.called


def test_rounds_that_disagree_keep_the_default_and_say_why():
    graph = {D: 0.010, A: 0.005, B: 0.006, C: 0.007}
    rounds = [{D: 0.030, A: 0.020, B: 0.025, C: 0.030}, {D: 0.030, A: 0.025, B: 0.020, C: 0.030}]
    result = _tune(graph, rounds)
    assert result.config == D and "the two rounds disagree" in result.called


def test_large_kernels_are_chosen_by_graph_alone():
    graph = {D: 0.500, A: 0.300, B: 0.400, C: 0.450}
    result = _tune(graph, {D: 0.0, A: 1.0, B: 1.0, C: 1.0})  # as-called figures that would pick the default
    assert result.config == A and result.called == ""


def test_the_as_called_decision_survives_the_disk_cache():
    result = autotune.TuneResult(B, 0.008, 0.010, [autotune.Trial(B, "ok", 0.008, 0.020)], "as called (...)")
    again = autotune.TuneResult.from_json(result.to_json())
    assert again.called == result.called and again.trials[0].called_ms == 0.020 and again.config == B


def test_as_called_is_only_timed_on_the_gpu():
    assert autotune.as_called_for("cpu") is None and autotune.as_called_for("cuda") is autotune.as_called_timer


def test_finalists_are_timed_as_called_through_the_memos_replays_where_every_one_has_one():
    """Runner.user_calls: the replays `replay(cfg, run)` gives (what a user's repeat call runs) where there is one for
    every finalist, else each finalist's launch (a replay beside a launch would compare paths, not configs)."""
    x = torch.ones(4)
    launched, replayed = [], []

    def replay(cfg, run):
        run()  # (the memo records a run of the config)
        return None if cfg == A else (lambda *args: replayed.append((cfg, args)))

    runner = autotune.Runner(lambda cfg, args: launched.append(cfg), [x], replay)
    calls = runner.user_calls([B, C])
    assert launched == [B, C]  # each recorded once
    calls[B]()
    calls[C]()
    assert replayed == [(B, (x,)), (C, (x,))] and launched == [B, C]
    launched.clear()
    calls = runner.user_calls([B, A])  # no replay for A: both are timed by their launches
    calls[B]()
    calls[A]()
    assert launched == [B, A, B, A] and len(replayed) == 2
    plain = autotune.Runner(lambda cfg, args: launched.append(cfg), [x]).user_calls([C])
    assert plain[C]() is None and launched[-1] == C
