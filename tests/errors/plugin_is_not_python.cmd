# a pass plugin that is IR text, not Python.
# ARGS: EXAMPLES/softmax.py --load-pass-plugin CASES/ir_valid_softmax.tile
# EXPECT: CASES/ir_valid_softmax.tile:1:1: error: pass plugin is not valid Python: invalid syntax
