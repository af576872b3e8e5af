# integer inputs to softmax (a float-only op).
# ARGS: EXAMPLES/softmax.py --signature "x: i32[N, M]"
# EXPECT: EXAMPLES/softmax.py:17:26: error: softmax of a i32 tile: torch takes only floating-point inputs here
