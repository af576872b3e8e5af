# an integer for a string option.
# ARGS: EXAMPLES/softmax.py "--pass-pipeline=reduction-lowering{mode=1}"
# EXPECT: <pass-pipeline>:1:1: error: option 'mode' of pass 'reduction-lowering' expects str, got '1'
