# a plugin importing a module that does not exist.
# ARGS: EXAMPLES/softmax.py --load-pass-plugin FILE
# EXPECT: FILE:4:1: error: pass plugin failed to load: ModuleNotFoundError: No module named 'kopt_no_such_module'
import kopt_no_such_module  # noqa: F401
