"""A cache that degrades instead of failing: an unusable cache directory, corrupt or truncated entries, a folder
where an entry belongs, non-UTF-8 bytes; each gives a warning and the kernel still runs and is right. And kernels
called from several threads at once on the CPU (Triton's interpreter is not thread-safe: kopt serialises it)."""

from __future__ import annotations

import json
import threading
import warnings

import pytest
import torch

import kopt
import kopt.language as hl
from kopt.runtime import cache


def _make():
    @kopt.kernel
    def scale(x: torch.Tensor) -> torch.Tensor:
        n = x.size(0)
        out = torch.empty_like(x)
        for t in hl.tile(n):
            out[t] = x[t] * 3.0
        return out

    return scale


def _runs(kernel) -> None:
    x = torch.randn(37)
    torch.testing.assert_close(kernel(x), x * 3.0)


@pytest.mark.parametrize("where", ["a_file", "/dev/null", "under_a_file", "/proc/kopt-no-such-dir"])
def test_an_unusable_cache_directory_warns_once_and_falls_back(where, tmp_path, monkeypatch):
    if where == "a_file":
        path = tmp_path / "file"
        path.write_text("not a directory")
    elif where == "under_a_file":
        (tmp_path / "file").write_text("")
        path = tmp_path / "file" / "cache"
    else:
        path = where
    monkeypatch.setenv("KOPT_CACHE_DIR", str(path))
    cache._USABLE.clear()
    with pytest.warns(RuntimeWarning, match="cannot use the cache directory"):
        _runs(_make())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per process and directory
        _runs(_make())


def _entries(root):
    return sorted((root / "compiled").glob("*.json"))


@pytest.mark.parametrize("damage", ["truncated_json", "bad_checksum", "non_utf8", "a_folder", "empty", "wrong_type"])
def test_a_damaged_entry_is_rebuilt_with_a_warning(damage, tmp_path, monkeypatch):
    monkeypatch.setenv("KOPT_CACHE_DIR", str(tmp_path))
    cache._USABLE.clear()
    _runs(_make())
    [entry] = _entries(tmp_path)
    text = entry.read_text()
    if damage == "truncated_json":
        entry.write_text(text[: len(text) // 2])
    elif damage == "bad_checksum":  # valid JSON, the source cut short: only the checksum can tell
        data = json.loads(text)
        data["value"]["triton_source"] = data["value"]["triton_source"][:100]
        entry.write_text(json.dumps(data))
    elif damage == "non_utf8":
        entry.write_bytes(b"\xff\xfe" + text.encode()[:50])
    elif damage == "a_folder":
        entry.unlink()
        entry.mkdir()
        (entry / "x").write_text("")
    elif damage == "empty":
        entry.write_text("")
    else:
        entry.write_text(json.dumps(["a", "list"]))
    with pytest.warns(RuntimeWarning, match="ignoring corrupt cache entry"):
        _runs(_make())  # a new kernel object: it reads the disk cache
    [rebuilt] = _entries(tmp_path)
    assert rebuilt.is_file() and json.loads(rebuilt.read_text())["sha256"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _runs(_make())  # the rebuilt entry is good


def test_a_damaged_generated_source_file_is_written_again(tmp_path, monkeypatch):
    monkeypatch.setenv("KOPT_CACHE_DIR", str(tmp_path))
    cache._USABLE.clear()
    _runs(_make())
    for src in (tmp_path / "triton").glob("*.py"):
        src.write_bytes(b"\xff\xfe garbage")
    k = _make()
    k.cache_clear()
    _runs(k)


def test_kernels_called_from_several_threads_on_the_cpu():
    kernel = _make()
    xs = [torch.randn(1000 + i) for i in range(8)]
    results, errors = [None] * 8, []

    def work(i):
        try:
            for _ in range(3):
                results[i] = kernel(xs[i])
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for x, r in zip(xs, results):
        torch.testing.assert_close(r, x * 3.0)
