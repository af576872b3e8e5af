# a --signature naming an argument twice.
# ARGS: EXAMPLES/softmax.py --signature "x: f32[N, M], x: f32[N, M]"
# EXPECT: <signature>:1:15: error: --signature: `x` is given twice
