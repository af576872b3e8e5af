# a --signature with an unclosed bracket.
# ARGS: EXAMPLES/softmax.py --signature "x: f32[N, M"
# EXPECT: <signature>:1:1: error: --signature: cannot read 'x: f32[N, M'
