"""``kopt cache export|import|info``: ship kopt's cache (compiled kernels, tuned configs, Triton binaries).

``kopt cache export OUT.tar [--device-kind KIND]...`` packs this kopt version's entries as a bundle;
``kopt cache import IN.tar`` merges one into the cache (KOPT_CACHE_DIR, or ``--cache-dir``);
``kopt cache info`` counts what the cache holds and lists the bundles imported. kopt/runtime/bundle.py
says what is keyed by what; docs/tuning-at-scale.md how to use it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from kopt.errors import KoptError


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kopt cache", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    e = sub.add_parser("export", help="write this kopt version's cache entries as a bundle")
    e.add_argument("out", metavar="OUT.tar", help="the bundle to write (.tar, or .tar.gz / .tgz compressed)")
    e.add_argument("--device-kind", action="append", default=[], metavar="KIND",
                   help='only the tuned configs of this device kind, e.g. "NVIDIA H200 sm_90" (repeatable)')
    i = sub.add_parser("import", help="merge a bundle into the cache")
    i.add_argument("bundle", metavar="IN.tar")
    sub.add_parser("info", help="what the cache holds")
    for s in (e, i, sub.choices["info"]):
        s.add_argument("--cache-dir", metavar="DIR", help="the cache (default: kopt's, KOPT_CACHE_DIR)")
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KoptError as e:
        sys.stderr.write(e.format() + "\n")
        return 1


def _main(argv: list[str] | None) -> int:
    from kopt.runtime import bundle
    from kopt.runtime.cache import cache_dir

    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    root = Path(args.cache_dir) if args.cache_dir else cache_dir()
    if args.command == "export":
        m = bundle.export_bundle(args.out, root, args.device_kind or None)
        print(f"wrote {args.out}: {m['compiled']} compiled kernels, {m['tuned']} tuned configs "
              f"({', '.join(m['device_kinds']) or 'no device kind'}), {m['triton_kernels']} Triton binaries "
              f"({', '.join(m['archs']) or 'no GPU arch'}; Triton {', '.join(m['triton']) or '-'}), "
              f"{m['launch_records']} launch records, kopt {m['kopt']}")
        return 0
    if args.command == "import":
        r = bundle.import_bundle(args.bundle, root)
        print(f"imported {args.bundle} into {root}: {r['entries_written']} kopt entries "
              f"({', '.join(r['device_kinds']) or 'no tuned device kind'}), {r['triton_kernels_written']} Triton "
              f"binaries")
        return 0
    kinds: Counter = Counter()
    counts = {}
    for kind in bundle.ENTRY_KINDS:
        n = 0
        for path in sorted((root / kind).glob("*.json")) if (root / kind).is_dir() else []:
            n += 1
            if kind == "autotune":
                try:
                    kinds[json.loads(path.read_text())["key"].get("device_kind", "?")] += 1
                except (OSError, ValueError, KeyError):
                    pass
        counts[kind] = n
    binaries = len(list((root / bundle.TRITON_DIR).glob("*/sm_*/*"))) if (root / bundle.TRITON_DIR).is_dir() else 0
    print(f"{root}: {counts['compiled']} compiled kernels, {counts['autotune']} tuned configs, {binaries} Triton "
          "binaries")
    for k, n in sorted(kinds.items()):
        print(f"  tuned for {k}: {n}")
    for b in bundle.imported(root):
        print(f"  imported {b.get('name')} ({b.get('imported')}): kopt {b.get('kopt')}, Triton "
              f"{', '.join(b.get('triton', [])) or '-'}, {', '.join(b.get('device_kinds', [])) or 'no device kind'}")
    return 0
