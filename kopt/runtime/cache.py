"""kopt's on-disk cache: generated sources and autotune results, shared by every process.

Entries are small JSON files under `cache_dir()/<kind>/`, named by the SHA-256 of
their key. The key is stored inside the entry too and compared on load, so a hash
collision or a half-written or foreign file is never taken for a hit. Writes go
to a temporary file first and are published with `os.replace` (atomic on POSIX
and Windows): a concurrent reader sees the old entry or the new one, never a
mix. An entry that cannot be read is reported with `warnings.warn` naming the
file, removed, and rebuilt by the caller.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import uuid
import warnings
from pathlib import Path

from kopt._version import __version__


def cache_dir() -> Path:
    """KOPT_CACHE_DIR, else the user's cache directory (platformdirs), read on every call."""
    env = os.environ.get("KOPT_CACHE_DIR")
    if env:
        return Path(env)
    try:
        from platformdirs import user_cache_dir

        return Path(user_cache_dir("kopt"))
    except ImportError:
        return Path.home() / ".cache" / "kopt"


@functools.lru_cache(maxsize=1)
def compiler_fingerprint() -> str:
    """kopt's version plus a hash of its own source files: an edited pass must not be served
    yesterday's output while the version number stays the same (as Triton hashes its sources)."""
    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256(__version__.encode())
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return f"{__version__}+{h.hexdigest()[:16]}"


def digest(key: dict) -> str:
    return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()


def write_atomic(path: Path, text: str) -> None:
    """Publish `text` at `path` in one step; concurrent writers of the same content are harmless."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def discard(path: Path, why: str) -> None:
    """Warn about an unusable entry and remove it, so the caller rebuilds it."""
    warnings.warn(f"kopt: ignoring corrupt cache entry {path} ({why}); rebuilding it", RuntimeWarning, stacklevel=3)
    try:
        path.unlink()
    except OSError:
        pass


class DiskCache:
    """JSON entries of one kind (`compiled`, `autotune`) under a root directory."""

    def __init__(self, kind: str, root: Path | None = None):
        self.dir = (root or cache_dir()) / kind

    def path(self, key: dict) -> Path:
        return self.dir / f"{digest(key)[:32]}.json"

    def load(self, key: dict, required: tuple[str, ...] = ()) -> dict | None:
        """The entry stored under `key`, or None if there is none or it is unusable (then warned about)."""
        path = self.path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as e:
            discard(path, f"unreadable: {e.strerror}")
            return None
        try:
            entry = json.loads(data.decode())
        except ValueError as e:  # UnicodeDecodeError and JSONDecodeError both
            discard(path, f"not valid JSON: {e}")
            return None
        if not isinstance(entry, dict) or entry.get("key") != json.loads(json.dumps(key, default=str)):
            discard(path, "its key does not match")
            return None
        missing = [f for f in required if f not in entry.get("value", {})]
        if missing:
            discard(path, f"missing field {missing[0]!r}")
            return None
        return entry["value"]

    def store(self, key: dict, value: dict) -> Path:
        path = self.path(key)
        write_atomic(path, json.dumps({"key": key, "value": value}, indent=1, sort_keys=True, default=str))
        return path
