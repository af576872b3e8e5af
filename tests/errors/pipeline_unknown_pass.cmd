# a pass name that is not registered.
# ARGS: EXAMPLES/softmax.py --pass-pipeline=decompose,no-such-pass
# EXPECT: <pass-pipeline>:1:11: error: unknown pass 'no-such-pass' in pipeline
