# a plugin that is not valid Python.
# ARGS: EXAMPLES/softmax.py --load-pass-plugin FILE
# EXPECT: FILE:7:12: error: pass plugin is not valid Python: invalid syntax
from kopt.passes import register_pass


def broken(:
    pass
