# two commas in a row.
# ARGS: EXAMPLES/softmax.py --pass-pipeline=decompose,,tiling
# EXPECT: <pass-pipeline>:1:11: error: bad pass pipeline: expected pass name here
