# an option for a pass that takes none.
# ARGS: EXAMPLES/softmax.py "--pass-pipeline=canonicalize{x=1}"
# EXPECT: <pass-pipeline>:1:1: error: pass 'canonicalize' has no option 'x'
