"""Bundles without Ray or a GPU: what export packs and import accepts, the Triton binaries installed where
Triton's JIT looks (group files rewritten to their new place), the warning for what a bundle lacks, and the
`kopt cache` command."""

from __future__ import annotations

import io
import json
import tarfile

import pytest
import torch

from kopt.errors import KoptError
from kopt.runtime import bundle
from kopt.runtime.cache import DiskCache, compiler_fingerprint
from kopt.tools.cli import main as kopt_main


def _triton_entry(tmp_path, name="ABCDEF234567"):
    """A Triton cache entry as a worker's Triton wrote it: files, and a group naming them by absolute path."""
    where = tmp_path / "worker-triton" / name
    where.mkdir(parents=True)
    files = {"k.cubin": b"\x7fELF cubin", "k.json": b'{"name": "k"}', "k.ptx": b"// ptx"}
    for f, data in files.items():
        (where / f).write_bytes(data)
    group = {"child_paths": {f: str(where / f) for f in files}}
    return {**files, "__grp__k.json": json.dumps(group).encode()}


def _fill(root, tmp_path):
    """A cache with a compiled kernel, a tuned config of two device kinds, and a Triton binary of its source."""
    source = "def k(): pass\n"
    fp = compiler_fingerprint()
    DiskCache("compiled", root).store({"kopt": fp, "kernel": "k"}, {"triton_source": source, "plan": {}})
    for kind in ("NVIDIA H200 sm_90", "NVIDIA A100 sm_80"):
        DiskCache("autotune", root).store({"kopt": fp, "kernel": "k", "device_kind": kind},
                                          {"config": {}, "ms": 1.0, "default_ms": 1.0})
    DiskCache("compiled", root).store({"kopt": "0.0.0+stale", "kernel": "old"}, {"triton_source": "x", "plan": {}})
    digest = bundle.source_digest(source)
    for module in (digest, "0" * 20):  # a launch record of this kernel's module, and one of a module not exported
        DiskCache("launch", root).store({"kopt": fp, "module": module, "kernel": "k", "arch": 90},
                                        {"entry": "ABCDEF234567", "binary": "k.cubin", "name": "k"})
    bundle.store_triton_entry("ABCDEF234567", _triton_entry(tmp_path), arch=90,
                              source_digest_=bundle.source_digest(source), version=bundle.triton_version(), root=root)
    return source


def test_export_then_import_carries_the_entries_and_installs_the_binaries(tmp_path, monkeypatch):
    src_root, dst_root = tmp_path / "tuned", tmp_path / "deployed"
    monkeypatch.setenv("TRITON_CACHE_DIR", str(tmp_path / "process-triton-cache"))
    source = _fill(src_root, tmp_path)
    m = bundle.export_bundle(tmp_path / "b.tar", src_root, device_kinds=["NVIDIA H200 sm_90"])
    # this kopt's compile (not the stale one), the H200's tuned config (not the A100's), the binary of its source
    assert (m["compiled"], m["tuned"], m["triton_kernels"], m["launch_records"]) == (1, 1, 1, 1)
    assert m["device_kinds"] == ["NVIDIA H200 sm_90"] and m["archs"] == ["sm_90"] and m["kopt"] == compiler_fingerprint()
    r = bundle.import_bundle(tmp_path / "b.tar", dst_root)
    assert r["entries_written"] == 3 and r["triton_kernels_written"] == 1
    assert DiskCache("launch", dst_root).load({"kopt": compiler_fingerprint(), "module": bundle.source_digest(source),
                                               "kernel": "k", "arch": 90})["binary"] == "k.cubin"
    assert DiskCache("autotune", dst_root).load({"kopt": compiler_fingerprint(), "kernel": "k",
                                                 "device_kind": "NVIDIA H200 sm_90"}) == {"config": {}, "ms": 1.0,
                                                                                          "default_ms": 1.0}
    assert [b["name"] for b in bundle.imported(dst_root)] == ["b.tar"]
    # the import installed the binaries into this process's Triton cache already: a first call only loads them
    assert (tmp_path / "process-triton-cache" / "ABCDEF234567" / "__grp__k.json").exists()
    assert bundle.install_triton_kernels(bundle.source_digest(source), dst_root) == 0

    # installed into Triton's cache on first use of the generated module: the metadata and the binary linked there
    # with a group naming them (the intermediate forms, here the PTX, left out)
    triton_dir = tmp_path / "triton-cache"
    assert bundle.install_triton_kernels(bundle.source_digest(source), dst_root, triton_dir) == 1
    group = json.loads((triton_dir / "ABCDEF234567" / "__grp__k.json").read_text())["child_paths"]
    assert group == {f: str(triton_dir / "ABCDEF234567" / f) for f in ("k.cubin", "k.json")}
    assert open(group["k.cubin"], "rb").read() == b"\x7fELF cubin"
    assert not (triton_dir / "ABCDEF234567" / "k.ptx").exists()
    assert bundle.install_triton_kernels(bundle.source_digest(source), dst_root, triton_dir) == 0  # there already
    # the linked binary outlives kopt's cache being cleared (a group pointing into it would dangle)
    import shutil

    shutil.rmtree(dst_root)
    assert open(group["k.cubin"], "rb").read() == b"\x7fELF cubin"
    assert bundle.install_triton_kernels("0" * 20, dst_root, triton_dir) == 0  # another module: nothing


def test_import_refuses_what_is_not_a_bundle_and_skips_unsound_entries(tmp_path, capfd):
    def tar_of(members: dict):
        path = tmp_path / f"t{len(list(tmp_path.iterdir()))}.tar"
        with tarfile.open(path, "w") as tar:
            for name, data in members.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        return path

    manifest = json.dumps({"format": bundle.FORMAT, "kopt": compiler_fingerprint(), "triton": []}).encode()
    with pytest.raises(KoptError, match="is not part of a kopt bundle"):
        bundle.import_bundle(tar_of({"manifest.json": manifest, "/".join(["..", "..", "etc", "passwd"]): b"x"}),
                             tmp_path / "c")  # a path that climbs out of the cache
    with pytest.raises(KoptError, match="has no manifest.json"):
        bundle.import_bundle(tar_of({"compiled/" + "0" * 32 + ".json": b"{}"}), tmp_path / "c")

    good_root = tmp_path / "good"
    path = DiskCache("compiled", good_root).store({"kopt": compiler_fingerprint(), "kernel": "k"},
                                                  {"triton_source": "s", "plan": {}})
    good = path.read_bytes()
    edited = json.loads(good)
    edited["value"]["triton_source"] = "import os; os.system('...')"  # the checksum no longer holds
    r = bundle.import_bundle(tar_of({"manifest.json": manifest, f"compiled/{path.name}": json.dumps(edited).encode(),
                                     "compiled/" + "1" * 32 + ".json": good}), tmp_path / "c")  # sound, misnamed
    assert r["entries_written"] == 0 and not list((tmp_path / "c").glob("compiled/*.json"))
    assert capfd.readouterr().err.count("not a sound kopt cache entry") == 2


def test_what_a_bundle_lacks_is_said_once_and_only_where_one_is_imported(tmp_path, capfd, cache_dir, monkeypatch):
    from tests.tune import tune_kernels

    monkeypatch.setattr(bundle, "_NOTED", set())
    x = torch.randn(5, 40)
    k = type(tune_kernels.softmax)(tune_kernels.softmax.fn, autotune=False)
    torch.testing.assert_close(k(x), torch.softmax(x, dim=1))
    assert "bundle" not in capfd.readouterr().err  # no bundle: compiles silently

    _fill(tmp_path / "src", tmp_path)
    bundle.export_bundle(tmp_path / "b.tar", tmp_path / "src")
    bundle.import_bundle(tmp_path / "b.tar", cache_dir)
    for shape in ((5, 40), (6, 41)):
        k2 = type(tune_kernels.softmax)(tune_kernels.softmax.fn, autotune=False, static_shapes=True)
        k2(torch.randn(*shape))
        k2(torch.randn(*shape))
    lines = [ln for ln in capfd.readouterr().err.splitlines() if "not in the imported bundle" in ln]
    assert lines == ["kopt: warning: softmax(f32 rank 2) on cpu is not in the imported bundle (b.tar); compiling it "
                     "here"], lines


def test_the_cache_command(tmp_path, capsys):
    root = tmp_path / "tuned"
    _fill(root, tmp_path)
    assert kopt_main(["cache", "info", "--cache-dir", str(root)]) == 0
    out = capsys.readouterr().out
    assert f"{root}: 2 compiled kernels, 2 tuned configs, 1 Triton binaries" in out
    assert "tuned for NVIDIA H200 sm_90: 1" in out and "tuned for NVIDIA A100 sm_80: 1" in out
    assert kopt_main(["cache", "export", str(tmp_path / "b.tar.gz"), "--cache-dir", str(root)]) == 0
    assert "1 compiled kernels, 2 tuned configs (NVIDIA A100 sm_80, NVIDIA H200 sm_90), 1 Triton binaries" \
        in capsys.readouterr().out
    assert kopt_main(["cache", "import", str(tmp_path / "b.tar.gz"), "--cache-dir", str(tmp_path / "d")]) == 0
    assert "4 kopt entries" in capsys.readouterr().out  # a compile, two tuned configs, a launch record
    assert kopt_main(["cache", "import", str(tmp_path / "missing.tar"), "--cache-dir", str(tmp_path / "d")]) == 1
    assert "cannot read the bundle" in capsys.readouterr().err


def test_a_bundle_carries_kopts_c_launch_module_so_a_deployment_builds_nothing(tmp_path, monkeypatch):
    """The C launch module built here (kopt/runtime/native_launch.py keeps a copy in kopt's cache) travels in the
    bundle and is loaded from the deployed cache without a compiler run."""
    from kopt.runtime import native_launch

    src_root, dst_root = tmp_path / "tuned", tmp_path / "deployed"
    monkeypatch.setenv("KOPT_CACHE_DIR", str(src_root))
    built = native_launch._build()
    kept = src_root / "native" / native_launch.built_name()
    assert kept.read_bytes()[:4] == b"\x7fELF" and built.Plan is not None
    bundle.export_bundle(tmp_path / "b.tar", src_root)
    with tarfile.open(tmp_path / "b.tar") as tar:
        assert f"native/{kept.name}" in tar.getnames()
    bundle.import_bundle(tmp_path / "b.tar", dst_root)
    assert (dst_root / "native" / kept.name).read_bytes() == kept.read_bytes()

    monkeypatch.setenv("KOPT_CACHE_DIR", str(dst_root))
    import triton.runtime.build as triton_build

    def no_compiler(*a, **k):
        raise AssertionError("compiled, though the bundle carries the module")

    monkeypatch.setattr(triton_build, "compile_module_from_src", no_compiler)
    assert native_launch._build().__file__ == str(dst_root / "native" / kept.name)


def test_a_native_member_of_another_name_is_refused(tmp_path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in [("manifest.json", b"{}"), ("native/evil.so", b"\x7fELF")]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    (tmp_path / "b.tar").write_bytes(buf.getvalue())
    with pytest.raises(KoptError, match="is not part of a kopt bundle"):
        bundle.import_bundle(tmp_path / "b.tar", tmp_path / "root")
