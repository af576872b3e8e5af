# a --signature with an empty entry between commas.
# ARGS: EXAMPLES/softmax.py --signature "x: f32[N, M],,"
# EXPECT: <signature>:1:14: error: --signature: an empty entry (two commas in a row, or a comma at the end)
