"""kopt's on-disk cache: generated sources and autotune results, shared by every process.

Entries are small JSON files under `cache_dir()/<kind>/`, named by the SHA-256 of
their key. The key is stored inside the entry too and compared on load, so a hash
collision or a half-written or foreign file is never taken for a hit. Writes go
to a temporary file first and are published with `os.replace` (atomic on POSIX
and Windows): a concurrent reader sees the old entry or the new one, never a
mix. Each entry carries the SHA-256 of its value: an entry that cannot be read, does
not parse, holds another key or fails its checksum (truncated inside valid JSON, edited)
is reported with `warnings.warn` naming the file, removed, and rebuilt by the caller. A
cache directory kopt cannot write (read-only, a file, /dev/null) gives one warning and a
temporary directory for the process.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import tempfile
import uuid
import warnings
from pathlib import Path

from kopt._version import __version__


def configured_cache_dir() -> Path:
    """KOPT_CACHE_DIR, else the user's cache directory (platformdirs), read on every call."""
    env = os.environ.get("KOPT_CACHE_DIR")
    if env:
        return Path(env)
    try:
        from platformdirs import user_cache_dir

        return Path(user_cache_dir("kopt"))
    except ImportError:
        return Path.home() / ".cache" / "kopt"


_USABLE: dict[Path, Path] = {}  # configured directory -> the directory used (itself, or a temporary one)


def cache_dir() -> Path:
    """The configured cache directory if kopt can write there; else (one warning) a temporary directory of this
    process: a read-only directory, a file or /dev/null in KOPT_CACHE_DIR slows kopt down, never stops it."""
    configured = configured_cache_dir()
    used = _USABLE.get(configured)
    if used is None:
        used = _USABLE[configured] = _checked(configured)
    return used


def _checked(path: Path) -> Path:
    probe = path / f".probe.{os.getpid()}.{uuid.uuid4().hex[:8]}"
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe.write_text("")
        probe.unlink()
        return path
    except OSError as e:
        fallback = Path(tempfile.mkdtemp(prefix="kopt-cache-"))
        warnings.warn(f"kopt: cannot use the cache directory {path} ({e.strerror or e}); using {fallback} for this "
                      "process (set KOPT_CACHE_DIR to a writable directory)", RuntimeWarning, stacklevel=3)
        return fallback


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


def write_atomic(path: Path, text: str | bytes) -> None:
    """Publish `text` at `path` in one step; concurrent writers of the same content are harmless. Something else
    in the way (a folder where an entry belongs) is removed first: the cache is kopt's."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.write_bytes(text) if isinstance(text, bytes) else tmp.write_text(text)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def discard(path: Path, why: str) -> None:
    """Warn about an unusable entry and remove it, so the caller rebuilds it."""
    warnings.warn(f"kopt: ignoring corrupt cache entry {path} ({why}); rebuilding it", RuntimeWarning, stacklevel=3)
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    except OSError:
        pass


def _checksum(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


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
        value = entry.get("value")
        if not isinstance(value, dict) or entry.get("sha256") != _checksum(value):
            discard(path, "its checksum does not match its content (truncated or edited)")
            return None
        missing = [f for f in required if f not in value]
        if missing:
            discard(path, f"missing field {missing[0]!r}")
            return None
        return value

    def store(self, key: dict, value: dict) -> Path | None:
        """Write an entry; a failure (a full disk, a directory that turned read-only) is a warning, not an error:
        the caller has its value already."""
        path = self.path(key)
        try:
            write_atomic(path, json.dumps({"key": key, "value": value, "sha256": _checksum(value)}, indent=1,
                                          sort_keys=True, default=str))
        except OSError as e:
            warnings.warn(f"kopt: cannot write the cache entry {path} ({e.strerror or e}); continuing without it",
                          RuntimeWarning, stacklevel=2)
            return None
        return path
