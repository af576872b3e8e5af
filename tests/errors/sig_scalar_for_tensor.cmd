# a --signature giving a scalar where the kernel takes a tensor.
# ARGS: EXAMPLES/softmax.py --signature "x: f32"
# EXPECT: EXAMPLES/softmax.py:14:5: error: `x` is a scalar (f32) here: it has no sizes to unpack
