# an option list that is never closed.
# ARGS: EXAMPLES/softmax.py "--pass-pipeline=decompose{"
# EXPECT: <pass-pipeline>:1:11: error: bad pass pipeline: expected argument name here
