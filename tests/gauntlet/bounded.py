"""Run a call with a wall-clock bound: a compile that hangs fails its test instead of the suite."""

from __future__ import annotations

import threading

COMPILE_TIMEOUT_S = 60.0  # a compile takes ~0.1 s; the bound only catches hangs (the CI machine may be slow)


class Hung(AssertionError):
    pass


def bounded(fn, *args, timeout: float = COMPILE_TIMEOUT_S, **kwargs):
    """fn(*args, **kwargs) in a daemon thread; its result, its exception, or Hung after `timeout` seconds."""
    box: dict = {}

    def target():
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as e:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = e

    t = threading.Thread(target=target, daemon=True, name=f"bounded-{getattr(fn, '__name__', 'call')}")
    t.start()
    t.join(timeout)
    if t.is_alive():
        raise Hung(f"{getattr(fn, '__name__', fn)} did not finish within {timeout:.0f} s")
    if "error" in box:
        raise box["error"]
    return box.get("value")
