# two input files: kopt compiles one.
# ARGS: EXAMPLES/softmax.py EXAMPLES/relu.py
# EXPECT: <command line>:1:26: error: unrecognized arguments: EXAMPLES/relu.py
