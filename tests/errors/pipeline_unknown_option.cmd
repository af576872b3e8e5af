# an option the pass does not have.
# ARGS: EXAMPLES/softmax.py "--pass-pipeline=decompose,reduction-lowering{bogus=1}"
# EXPECT: <pass-pipeline>:1:11: error: pass 'reduction-lowering' has no option 'bogus'
