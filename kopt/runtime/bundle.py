"""Kernel bundles: kopt's cache plus the Triton binaries built from it, shipped as one tar.

What a process needs to run a kernel with no compile and no tuning, and what it is keyed by:

    compiled/<digest>.json   a kopt compile: the Triton source and launch plan. Key: kopt's source hash
                             (`compiler_fingerprint`), the kernel's source, the argument kinds (dtypes, ranks),
                             the device type, the config and the pipeline.
    autotune/<digest>.json   a tuned config for one size bucket. Key: the compile's, the bucket, the device kind
                             (`device_kind`: the GPU's name and compute capability) and the Triton version.
    launch/<digest>.json     a launch record (launch_records.py): which Triton binary one specialization of a
                             generated kernel runs and how its arguments are passed, so that a first call loads
                             and launches it without Triton's JIT. Key: the module, kernel, call, arch, Triton.
    triton-kernels/<triton version>/sm_<arch>/<NAME>/   one entry of Triton's own cache (NAME is Triton's
                             hash of the kernel's source, specialization, options, target and Triton build):
                             the cubin, its metadata and the IR, as Triton's compiler wrote them.
    triton-kernels/<triton version>/index/<digest>.json  which of those were built from one generated
                             module (`<digest>`: the first 20 hex digits of the SHA-256 of its source).
    native/kopt_launch-<hash>.so  kopt's C launch module (native_launch.py) as built on the exporting machine,
                             named by the hash of its source and the platform (Python, ABI, architecture).
    bundles.json             the bundles imported into this cache directory.

The first two are kopt's cache as kernels already read it (kopt/runtime/cache.py). The Triton entries are
installed into Triton's cache directory (TRITON_CACHE_DIR, or ~/.triton/cache) when a bundle is imported, and
again, where that directory changed since, when kopt loads a generated module for the GPU: each entry's metadata
and binary hard-linked there (the IR left out) with a group file naming them, so Triton's JIT finds each kernel on
its first launch and compiles nothing.

`export_bundle(OUT.tar)` packs the entries of this kopt version (optionally only some device kinds) with a
manifest; `import_bundle(IN.tar)` checks every entry (name, key, checksum) and merges them into the cache.
Once a bundle is imported, a kernel call it does not cover (a compile or a tuning the bundle lacks) prints one
warning line, then compiles or tunes as usual.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import re
import sys
import tarfile
import threading
import time
from pathlib import Path

from kopt.errors import KoptError
from kopt.runtime.cache import DiskCache, _checksum, cache_dir, compiler_fingerprint, write_atomic

FORMAT = 1
TRITON_DIR = "triton-kernels"
ENTRY_KINDS = ("compiled", "autotune", "launch")
_NAME = r"[A-Za-z0-9_.+\-]+"
NATIVE_DIR = "native"  # kopt's C launch module as built on the machine that made the bundle (native_launch.py)
_MEMBER = re.compile(rf"^(manifest\.json|(compiled|autotune|launch)/[0-9a-f]{{32}}\.json|{TRITON_DIR}/{_NAME}/"
                     rf"(sm_[0-9]+/[A-Z0-9]+/{_NAME}|index/[0-9a-f]{{20}}\.json)|{NATIVE_DIR}/kopt_launch-[0-9a-f]{{20}}"
                     rf"\.[A-Za-z0-9_.\-]+\.so)$")


# ---------------------------------------------------------------- keys


@functools.lru_cache(maxsize=1)  # (read at every generated module's load: importlib.metadata costs ~1 ms)
def triton_version() -> str:
    """The installed Triton's version, read without importing triton (which must not happen before the
    interpreter is chosen: kopt/runtime/mode.py)."""
    try:
        from importlib.metadata import version

        return version("triton")
    except Exception:  # noqa: BLE001 - a source build without metadata
        import triton

        return triton.__version__


_KINDS: dict[str, str] = {}


def device_kind(device: str) -> str:
    """What tuned configs are keyed by: the GPU's name and compute capability ("NVIDIA H200 sm_90"), or the
    Triton interpreter for CPU tensors."""
    if device != "cuda":
        return "cpu (triton interpreter)"
    import torch

    index = torch.cuda.current_device()
    kind = _KINDS.get(f"cuda:{index}")
    if kind is None:
        major, minor = torch.cuda.get_device_capability(index)
        kind = _KINDS[f"cuda:{index}"] = f"{torch.cuda.get_device_name(index)} sm_{major}{minor}"
    return kind


def source_digest(source: str) -> str:
    """The name kopt gives a generated module's file and module (`_load_source`): its source's hash."""
    return hashlib.sha256(source.encode()).hexdigest()[:20]


def triton_cache_dir() -> Path | None:
    """Where Triton's JIT looks for compiled kernels (knobs.cache.dir, without importing triton); None when a
    custom cache manager (TRITON_CACHE_MANAGER) stores them elsewhere."""
    if os.environ.get("TRITON_CACHE_MANAGER"):
        return None
    if os.environ.get("TRITON_CACHE_DIR"):
        return Path(os.environ["TRITON_CACHE_DIR"])
    home = os.environ.get("TRITON_HOME") or os.path.expanduser("~/")
    return Path(home) / ".triton" / "cache"


# ---------------------------------------------------------------- Triton binaries in kopt's cache


def store_triton_entry(name: str, files: dict[str, bytes], *, arch: int, source_digest_: str, version: str,
                       root: Path | None = None) -> Path:
    """Keep one entry of Triton's cache (`name`: its directory name there) under kopt's cache, listed in the
    index of the generated module it was built from. The group file is stored with bare file names."""
    root = root or cache_dir()
    if not re.fullmatch(r"[A-Z0-9]+", name) or not re.fullmatch(_NAME, version):
        raise ValueError(f"not a Triton cache entry: {version}/{name}")
    where = root / TRITON_DIR / version / f"sm_{int(arch)}" / name
    for fname, data in files.items():
        if not re.fullmatch(_NAME, fname):
            raise ValueError(f"not a Triton cache file name: {fname!r}")
        if fname.startswith("__grp__"):
            children = json.loads(data)["child_paths"]
            data = json.dumps({"child_paths": {c: Path(p).name for c, p in children.items()}}).encode()
        path = where / fname
        if not path.exists() or path.read_bytes() != data:
            write_atomic(path, data)
    _merge_index(root / TRITON_DIR / version / "index" / f"{source_digest_}.json", [f"sm_{int(arch)}/{name}"])
    return where


def _read_index(path: Path) -> list[str]:
    try:
        entries = json.loads(path.read_text())
    except (OSError, ValueError):
        return []
    return [e for e in entries if isinstance(e, str)] if isinstance(entries, list) else []


def _merge_index(path: Path, entries: list[str]) -> None:
    have = _read_index(path)
    merged = sorted(set(have) | set(entries))
    if merged != have:
        write_atomic(path, json.dumps(merged))


def install_triton_kernels(digest: str, root: Path | None = None, dest: Path | None = None) -> int:
    """Make Triton's cache directory find the Triton entries built from generated module `digest` (for this
    Triton version), where it does not yet; returns how many were installed. Cheap when there are none (one
    missing file) or when they were installed before (one stamp file, written once all of them were): this runs
    at the first call of a kernel. A failure is no error: Triton then compiles the kernel itself."""
    root = root or cache_dir()
    index = root / TRITON_DIR / triton_version() / "index" / f"{digest}.json"
    if not index.exists():
        return 0
    dest = dest or triton_cache_dir()
    if dest is None:
        return 0
    listed = _read_index(index)
    what = json.dumps([str(root.resolve()), listed]).encode()  # (another cache root installs its own)
    stamp = dest / f"kopt-{digest}-{hashlib.sha256(what).hexdigest()[:12]}.installed"
    if stamp.exists():
        return 0
    copied, complete = 0, True
    for entry in listed:
        src = index.parent.parent / entry
        name = Path(entry).name
        try:
            done = _install_one(src, dest / name)
        except (OSError, ValueError, KeyError):
            done = -1
        complete &= done >= 0
        copied += max(done, 0)
    if complete:
        try:
            write_atomic(stamp, b"")
        except OSError:
            pass
    return copied


def install_all_triton_kernels(root: Path | None = None, dest: Path | None = None) -> int:
    """Install every module's Triton entries kept under `root` (for this Triton version): `import_bundle` does this,
    so that a process starting from a bundle pays for it once, at import, not at each kernel's first call."""
    root = root or cache_dir()
    index_dir = root / TRITON_DIR / triton_version() / "index"
    if not index_dir.is_dir():
        return 0
    return sum(install_triton_kernels(p.stem, root, dest) for p in sorted(index_dir.glob("*.json")))


# Triton's intermediate forms: a cache entry's group lists them, but loading and launching the kernel reads only
# the metadata (.json) and the binary (.cubin / .hsaco); a group without them is a complete cache hit for Triton
_IR_SUFFIXES = (".ttir", ".ttgir", ".llir", ".ptx", ".amdgcn", ".source")


def _install_one(src: Path, dst: Path) -> int:
    """Make Triton's cache find one entry kept in kopt's cache: the metadata and the binary hard-linked (copied
    across file systems) into Triton's cache directory, and a group naming them there; the IR stays out (a module's
    hundred specializations cost a hundred small groups and links, not forty megabytes of copies), and the entry
    survives kopt's cache being cleared. 1 installed, 0 there already, -1 its files are missing."""
    groups = sorted(src.glob("__grp__*.json"))
    if not groups:
        return -1
    group = json.loads(groups[0].read_text())["child_paths"]
    target = dst / groups[0].name
    if target.exists():
        try:
            have = json.loads(target.read_text())["child_paths"]
            if all(os.path.exists(p) for p in have.values()):
                return 0
        except (OSError, ValueError, KeyError):
            pass
    needed = {c: src / p for c, p in group.items() if not c.endswith(_IR_SUFFIXES)}
    if not all(p.exists() for p in needed.values()):
        return -1
    for child, path in needed.items():  # the files first, the group last: Triton reads the group first
        _link_or_copy(path, dst / child)
    write_atomic(target, json.dumps({"child_paths": {c: str(dst / c) for c in needed}}).encode())
    return 1


def _link_or_copy(src: Path, dst: Path) -> None:
    if dst.exists() and dst.stat().st_size == src.stat().st_size:
        return
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        os.link(src, tmp)
    except OSError:  # another file system: a copy (the metadata and the binary only, a few hundred KB)
        write_atomic(dst, src.read_bytes())
        return
    try:
        os.replace(tmp, dst)
    finally:
        if tmp.exists():
            tmp.unlink()


# ---------------------------------------------------------------- kopt entries


def check_entry(kind: str, filename: str, data: bytes) -> dict | None:
    """The parsed entry when `data` is a sound cache entry of `kind` stored under `filename` (its key hashes to
    that name, its checksum holds), else None."""
    try:
        entry = json.loads(data.decode())
    except ValueError:
        return None
    if not isinstance(entry, dict) or not isinstance(entry.get("value"), dict) or "key" not in entry:
        return None
    if entry.get("sha256") != _checksum(entry["value"]):
        return None
    if DiskCache(kind, Path("/")).path(entry["key"]).name != filename:
        return None
    return entry


def write_entries(files: dict[str, bytes], root: Path | None = None) -> int:
    """Write kopt cache entries (`compiled/NAME.json`, `autotune/NAME.json` -> bytes), each checked first;
    returns how many were written. What fails the check is skipped with a warning line."""
    root = root or cache_dir()
    n = 0
    for rel, data in files.items():
        kind, _, name = rel.partition("/")
        if kind not in ENTRY_KINDS or check_entry(kind, name, data) is None:
            sys.stderr.write(f"kopt: warning: skipping {rel}: not a sound kopt cache entry\n")
            continue
        path = root / kind / name
        if not path.exists() or path.read_bytes() != data:
            write_atomic(path, data)
        n += 1
    return n


def gather(files: dict, root: Path | None = None) -> dict:
    """Merge what a worker produced (`{"kopt": {rel: bytes}, "triton": [{"name", "arch", "source", "version",
    "files"}]}`) into the cache under `root`. Returns the counts written."""
    root = root or cache_dir()
    kopt_n = write_entries(files.get("kopt", {}), root)
    for t in files.get("triton", []):
        store_triton_entry(t["name"], t["files"], arch=t["arch"], source_digest_=t["source"], version=t["version"],
                           root=root)
    return {"kopt": kopt_n, "triton": len(files.get("triton", []))}


# ---------------------------------------------------------------- export and import


def _entries(root: Path, kind: str):
    d = root / kind
    if not d.is_dir():
        return
    for path in sorted(d.glob("*.json")):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        entry = check_entry(kind, path.name, data)
        if entry is not None:
            yield path, data, entry


def export_bundle(out: str | Path, root: Path | None = None, device_kinds: list[str] | None = None) -> dict:
    """Pack this kopt version's compiled kernels and tuned configs (only those of `device_kinds`, if given) and
    the Triton binaries built from them into a tar (gzip'd if `out` ends in .gz or .tgz); returns the manifest."""
    root = root or cache_dir()
    fingerprint = compiler_fingerprint()
    members: dict[str, bytes] = {}
    sources: set[str] = set()
    kinds: set[str] = set()
    for path, data, entry in _entries(root, "compiled"):
        if entry["key"].get("kopt") == fingerprint:
            members[f"compiled/{path.name}"] = data
            sources.add(source_digest(entry["value"].get("triton_source", "")))
    for path, data, entry in _entries(root, "autotune"):
        kind = entry["key"].get("device_kind")
        if entry["key"].get("kopt") != fingerprint or (device_kinds and kind not in device_kinds):
            continue
        members[f"autotune/{path.name}"] = data
        kinds.add(str(kind))
    for path, data, entry in _entries(root, "launch"):
        if entry["key"].get("kopt") == fingerprint and entry["key"].get("module") in sources:
            members[f"launch/{path.name}"] = data
    versions, archs, n_triton = set(), set(), 0
    for version_dir in sorted((root / TRITON_DIR).glob("*")) if (root / TRITON_DIR).is_dir() else []:
        for digest in sorted(sources):
            index = version_dir / "index" / f"{digest}.json"
            listed = _read_index(index)
            if not listed:
                continue
            members[f"{TRITON_DIR}/{version_dir.name}/index/{digest}.json"] = index.read_bytes()
            for entry in listed:
                for f in sorted((version_dir / entry).glob("*")):
                    members[f"{TRITON_DIR}/{version_dir.name}/{entry}/{f.name}"] = f.read_bytes()
                versions.add(version_dir.name)
                archs.add(entry.split("/")[0])
                n_triton += 1
    native_dir = root / NATIVE_DIR
    for f in sorted(native_dir.glob("kopt_launch-*.so")) if native_dir.is_dir() else []:
        if _MEMBER.match(f"{NATIVE_DIR}/{f.name}"):
            members[f"{NATIVE_DIR}/{f.name}"] = f.read_bytes()
    manifest = {"format": FORMAT, "kopt": fingerprint, "triton": sorted(versions), "device_kinds": sorted(kinds),
                "archs": sorted(archs), "compiled": sum(k.startswith("compiled/") for k in members),
                "tuned": sum(k.startswith("autotune/") for k in members), "triton_kernels": n_triton,
                "launch_records": sum(k.startswith("launch/") for k in members),
                "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    mode = "w:gz" if out.name.endswith((".gz", ".tgz")) else "w"
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    with tarfile.open(tmp, mode) as tar:
        for name, data in [("manifest.json", json.dumps(manifest, indent=1).encode()), *sorted(members.items())]:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))
    os.replace(tmp, out)
    return manifest


def import_bundle(path: str | Path, root: Path | None = None) -> dict:
    """Merge a bundle into the cache under `root` (kopt's cache directory by default); returns its manifest
    with what was imported. A bundle of another kopt or Triton version is imported but says, in one warning
    line, that it cannot apply here."""
    root = root or cache_dir()
    path = Path(path)
    try:
        tar = tarfile.open(path, "r:*")
    except (OSError, tarfile.TarError) as e:
        raise KoptError(f"cannot read the bundle {str(path)!r}: {e}") from None
    with tar:
        members = {}
        for m in tar.getmembers():
            if not m.isfile() or not _MEMBER.match(m.name) or ".." in m.name.split("/"):
                raise KoptError(f"{path}: {m.name!r} is not part of a kopt bundle",
                                notes=["a bundle holds manifest.json, compiled/, autotune/, launch/, "
                                       "triton-kernels/ and native/"])
            members[m.name] = tar.extractfile(m).read()
    if "manifest.json" not in members:
        raise KoptError(f"{path} is not a kopt bundle: it has no manifest.json")
    manifest = json.loads(members.pop("manifest.json"))
    if manifest.get("format") != FORMAT:
        raise KoptError(f"{path}: bundle format {manifest.get('format')!r}; this kopt reads format {FORMAT}")
    if manifest.get("kopt") != compiler_fingerprint():
        sys.stderr.write(f"kopt: warning: {path.name} was made by kopt {manifest.get('kopt')}, this is "
                         f"{compiler_fingerprint()}: its compiles and tuned configs will not be used\n")
    if manifest.get("triton") and triton_version() not in manifest["triton"]:
        sys.stderr.write(f"kopt: warning: {path.name} holds Triton {', '.join(manifest['triton'])} binaries, this is "
                         f"Triton {triton_version()}: they will not be used\n")
    entries = {k: v for k, v in members.items() if k.split("/")[0] in ENTRY_KINDS}
    written = write_entries(entries, root)
    n_triton = 0
    for name, data in members.items():
        if name.startswith(NATIVE_DIR + "/") and data[:4] == b"\x7fELF":
            target = root / name
            if not target.exists():  # (one of another machine kind is never loaded: its name differs)
                write_atomic(target, data)
            continue
        if not name.startswith(TRITON_DIR + "/"):
            continue
        target = root / name
        if "/index/" in name:
            _merge_index(target, json.loads(data))
        else:
            if name.endswith(".json") and Path(name).name.startswith("__grp__"):
                n_triton += 1
            if not target.exists() or target.read_bytes() != data:
                write_atomic(target, data)
    install_all_triton_kernels(root)  # into Triton's cache directory now: first calls then only load
    record = {**manifest, "name": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
              "imported": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "entries_written": written,
              "triton_kernels_written": n_triton}
    listed = [b for b in imported(root) if b.get("sha256") != record["sha256"]]
    write_atomic(root / "bundles.json", json.dumps([*listed, record], indent=1))
    _IMPORTED.pop(str(root), None)
    return record


_IMPORTED: dict[str, list] = {}


def imported(root: Path | None = None) -> list[dict]:
    """The bundles imported into the cache under `root` (read once per process)."""
    root = root or cache_dir()
    key = str(root)
    if key not in _IMPORTED:
        try:
            data = json.loads((root / "bundles.json").read_text())
            _IMPORTED[key] = data if isinstance(data, list) else []
        except (OSError, ValueError):
            _IMPORTED[key] = []
    return _IMPORTED[key]


_NOTED: set[str] = set()


def note_miss(what: str, action: str) -> None:
    """Where a bundle is imported: one warning line for something it does not cover (`what`), before kopt
    compiles or tunes it (`action`) as usual. Nothing without a bundle."""
    bundles = imported()
    if not bundles or what in _NOTED:
        return
    _NOTED.add(what)
    names = ", ".join(dict.fromkeys(b.get("name", "?") for b in bundles))
    sys.stderr.write(f"kopt: warning: {what} is not in the imported bundle ({names}); {action} it here\n")
