# a plugin path that does not exist.
# ARGS: EXAMPLES/softmax.py --load-pass-plugin CASES/no_such_plugin.py
# EXPECT: <command line>:1:45: error: pass plugin 'CASES/no_such_plugin.py' does not exist
