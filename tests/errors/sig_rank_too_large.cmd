# a rank-3 signature for a kernel that unpacks two sizes.
# ARGS: EXAMPLES/softmax.py --signature "x: f32[N, M, K]"
# EXPECT: EXAMPLES/softmax.py:14:5: error: cannot unpack the sizes of `x`, a tensor of rank 3, into 2 names
