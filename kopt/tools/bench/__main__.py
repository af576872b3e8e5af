"""``python -m kopt.tools.bench KERNEL ...``: the same as ``kopt bench KERNEL ...``."""

import sys

from .cli import main

sys.exit(main())
