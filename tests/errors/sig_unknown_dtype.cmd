# a dtype that does not exist.
# ARGS: EXAMPLES/softmax.py --signature "x: f99[N, M]"
# EXPECT: <signature>:1:4: error: --signature: unknown dtype 'f99' for 'x'
