# a plugin path that does not exist.
# ARGS: EXAMPLES/softmax.py --load-pass-plugin CASES/no_such_plugin.py
# EXPECT: error: pass plugin 'CASES/no_such_plugin.py' does not exist
