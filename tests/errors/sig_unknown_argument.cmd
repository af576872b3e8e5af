# a signature naming no argument of any kernel.
# ARGS: EXAMPLES/softmax.py --signature "y: f32[N, M]"
# EXPECT: error: --signature: no kernel in EXAMPLES/softmax.py has an argument `y`
