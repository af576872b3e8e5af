# --print-after naming no pass.
# ARGS: EXAMPLES/softmax.py --print-after=no-such-pass
# EXPECT: error: --print-after: unknown pass 'no-such-pass'
