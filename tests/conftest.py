"""Test-suite setup: the Triton interpreter must be chosen before triton is first imported."""

import os
import sys
from pathlib import Path

os.environ.setdefault("TRITON_INTERPRET", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# generated kernels go to a per-run cache, never the user's
os.environ.setdefault("KOPT_CACHE_DIR", str(ROOT / ".kopt_cache"))
