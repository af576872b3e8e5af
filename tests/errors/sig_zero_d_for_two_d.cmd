# a --signature giving a 0-d tensor where the kernel unpacks two sizes.
# ARGS: EXAMPLES/softmax.py --signature "x: f32[]"
# EXPECT: EXAMPLES/softmax.py:14:5: error: cannot unpack the sizes of `x`, a tensor of rank 0, into 2 names
