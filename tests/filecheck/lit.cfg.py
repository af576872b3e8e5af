# lit configuration for kopt's FileCheck-style IR tests (run from pytest: tests/test_filecheck.py).
import os
import sys

import lit.formats

config.name = "kopt"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".tile", ".py"]
config.excludes = ["lit.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
# lit's scratch files (Output/) and its timing file go to the exec root: a folder of the test's own when run from
# pytest (tests/test_filecheck.py), so that parallel runs (pytest -n, several checkouts' runs) never share them
config.test_exec_root = os.environ.get("KOPT_LIT_EXEC_ROOT") or config.test_source_root
root = os.path.dirname(os.path.dirname(config.test_source_root))
config.substitutions.append(("%kopt", f"{sys.executable} -m kopt.tools.cli"))
config.substitutions.append(("%root", root))
config.environment["PYTHONPATH"] = root + os.pathsep + os.environ.get("PYTHONPATH", "")
for var in ("PATH", "HOME", "KOPT_CACHE_DIR"):
    if var in os.environ:
        config.environment[var] = os.environ[var]
