# a signature entry without a colon.
# ARGS: EXAMPLES/softmax.py --signature "x f32"
# EXPECT: <signature>:1:1: error: --signature: cannot read 'x f32'
