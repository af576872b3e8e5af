# a rank-1 signature for a kernel that unpacks two sizes.
# ARGS: EXAMPLES/softmax.py --signature "x: f32[N]"
# EXPECT: EXAMPLES/softmax.py:14:5: error: cannot unpack the sizes of `x`, a tensor of rank 1, into 2 names
