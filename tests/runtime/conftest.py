"""Every runtime test gets its own empty disk cache (KOPT_CACHE_DIR), so hits and misses are its own."""

import pytest


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    path = tmp_path / "kopt_cache"
    monkeypatch.setenv("KOPT_CACHE_DIR", str(path))
    monkeypatch.delenv("KOPT_AUTOTUNE", raising=False)
    monkeypatch.delenv("KOPT_AUTOTUNE_WORKERS", raising=False)
    return path
