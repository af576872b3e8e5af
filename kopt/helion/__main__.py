"""`python -m kopt.helion script.py [args...]`: run a Helion script with `helion` resolving to kopt."""

from __future__ import annotations

import runpy
import sys

from kopt.errors import KoptError
from kopt.helion import install


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m kopt.helion SCRIPT.py [ARGS...]\n\n"
              "Runs a Helion program with `import helion` resolving to kopt (docs/helion-compat.md).")
        return 0 if argv else 2
    install()
    sys.argv = argv
    try:
        runpy.run_path(argv[0], run_name="__main__")
    except KoptError as e:  # a kernel's diagnostic: the located message, not kopt's internals
        print(e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
