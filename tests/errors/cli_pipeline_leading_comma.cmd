# a pass pipeline starting with a comma.
# ARGS: EXAMPLES/softmax.py --pass-pipeline=,decompose
# EXPECT: <pass-pipeline>:1:1: error: bad pass pipeline: expected pass name here
