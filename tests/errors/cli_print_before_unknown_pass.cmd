# --print-before of a pass that does not exist, value as a separate word.
# ARGS: EXAMPLES/softmax.py --print-before no-such-pass
# EXPECT: <command line>:1:41: error: --print-before: unknown pass 'no-such-pass'
