# a signature naming no argument of any kernel.
# ARGS: EXAMPLES/softmax.py --signature "y: f32[N, M]"
# EXPECT: <signature>:1:1: error: --signature: no kernel in EXAMPLES/softmax.py has an argument `y`
