# float dtypes where `&` needs integers or booleans.
# ARGS: CASES/bitwise_and_kernel.py --signature "x: f32[N], y: f32[N]"
# EXPECT: CASES/bitwise_and_kernel.py:13:18: error: `&` and `|` need boolean or integer tiles
