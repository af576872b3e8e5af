# --print-after naming no pass.
# ARGS: EXAMPLES/softmax.py --print-after=no-such-pass
# EXPECT: <command line>:1:40: error: --print-after: unknown pass 'no-such-pass'
