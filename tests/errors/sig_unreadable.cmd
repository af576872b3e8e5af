# a signature entry without a colon.
# ARGS: EXAMPLES/softmax.py --signature "x f32"
# EXPECT: error: --signature: cannot read 'x f32'
