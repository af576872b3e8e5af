# an expression where a dim name belongs.
# ARGS: EXAMPLES/softmax.py --signature "x: f32[N+1, M]"
# EXPECT: <signature>:1:8: error: --signature: dim 'N+1' of 'x' must be a name or an integer
