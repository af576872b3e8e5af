"""Kernel arguments described without their data, and the shape log a run records (KOPT_RECORD_SHAPES=FILE).

`describe(values)` turns a call's arguments into JSON: per argument `["tensor", shape, stride, dtype]`,
`["value", v]` (None, a bool, an int, a float, a tuple of ints) or `["dtype", name]`. `rebuild(metas,
device, fill)` makes arguments of those shapes, strides and dtypes again, anywhere: `kopt tune` describes
the sizes to cover once and builds and times them on other processes and hosts.

With KOPT_RECORD_SHAPES=FILE in the environment, every @kopt.kernel call whose (kernel, argument kinds,
size bucket) this process has not seen yet appends one JSON line to FILE:
`{"file": path of the kernel's source, "kernel": its name, "args": describe(arguments)}`. One `write` per
line on a file opened for appending, so processes may share the file. `kopt tune --shape-log FILE` reads it.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

def _torch():
    import torch  # not at import: importing kopt must not import torch

    return torch


def describe_value(v) -> list | None:
    """One argument as JSON, or None where it cannot be described (a function argument)."""
    if hasattr(v, "data_ptr") and hasattr(v, "dtype") and hasattr(v, "stride"):
        return ["tensor", list(v.shape), list(v.stride()), str(v.dtype).removeprefix("torch.")]
    if v is None or isinstance(v, (bool, int, float)):
        return ["value", v]
    if isinstance(v, (tuple, list)) and all(isinstance(e, int) and not isinstance(e, bool) for e in v):
        return ["value", list(v), "tuple"]
    if type(v).__name__ == "dtype" and type(v).__module__ == "torch":
        return ["dtype", str(v).removeprefix("torch.")]
    return None


def describe(values) -> list | None:
    """Every argument as JSON (None if one of them cannot be described)."""
    out = []
    for v in values:
        meta = describe_value(v)
        if meta is None:
            return None
        out.append(meta)
    return out


def rebuild(metas: list, device: str = "cpu", fill: str = "random") -> list:
    """Arguments of the described shapes, strides and dtypes on `device`. `fill`: "random" (normal floats,
    integers 0: safe as indices into the other arguments), or "empty"
    (uninitialised: for builds that never read the data; a large tensor then costs no memory pages)."""
    torch = _torch()
    out = []
    for m in metas:
        if m[0] == "value":
            out.append(tuple(m[1]) if len(m) > 2 and m[2] == "tuple" else m[1])
        elif m[0] == "dtype":
            out.append(getattr(torch, m[1]))
        elif m[0] == "tensor":
            _, shape, stride, dtype = m[:4]
            t = torch.empty_strided(shape, stride, dtype=getattr(torch, dtype), device=device)
            if fill == "random" and device != "meta" and t.numel():
                if t.is_floating_point():
                    t.normal_()
                elif t.dtype == torch.bool:
                    t.random_(0, 2)
                else:
                    t.zero_()
            out.append(t)
        else:
            raise ValueError(f"not an argument description: {m!r}")
    return out


def tensor_label(metas: list) -> str:
    """`f32[4096x1024] f32[1024]`: the tensors of a description, for reports."""
    from kopt.runtime.specialize import _short_dtype

    torch = _torch()
    parts = []
    for m in metas:
        if m[0] == "tensor":
            parts.append(f"{_short_dtype(getattr(torch, m[3]))}[{'x'.join(map(str, m[1]))}]")
        elif m[0] == "value" and not isinstance(m[1], (list, type(None))):
            parts.append(repr(m[1]))
    return " ".join(parts)


# ---------------------------------------------------------------- KOPT_RECORD_SHAPES


class Recorder:
    """Appends a line per new (kernel, argument kinds, size bucket) to a shape log."""

    def __init__(self, path: str):
        self.path = Path(path)
        self.seen: set = set()
        self.lock = threading.Lock()

    def see(self, kernel, values) -> None:
        from kopt.runtime.specialize import size_bucket

        metas = describe(values)
        if metas is None:  # a function argument: no shape to record
            return
        kinds = tuple((m[0], m[3] if m[0] == "tensor" else type(m[1]).__name__, len(m[1]) if m[0] == "tensor" else 0)
                      for m in metas)
        key = (id(kernel), kinds, size_bucket(values))
        if key in self.seen:
            return
        with self.lock:
            if key in self.seen:
                return
            self.seen.add(key)
            line = json.dumps({"file": os.path.abspath(kernel.fn.__code__.co_filename), "kernel": kernel.fn.__name__,
                               "args": metas}) + "\n"
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line.encode())
            finally:
                os.close(fd)


def recorder_from_env() -> Recorder | None:
    path = os.environ.get("KOPT_RECORD_SHAPES")
    return Recorder(path) if path else None


def read_log(path: str | Path) -> list[dict]:
    """The entries of a shape log (lines that are not entries are skipped: a log cut short by a crash)."""
    out = []
    for line in Path(path).read_text().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and {"file", "kernel", "args"} <= entry.keys():
            out.append(entry)
    return out
