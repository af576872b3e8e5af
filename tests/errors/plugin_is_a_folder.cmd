# a pass plugin path that is a folder.
# ARGS: EXAMPLES/softmax.py --load-pass-plugin CASES
# EXPECT: <command line>:1:45: error: pass plugin 'tests/errors' is a folder, not a .py file
