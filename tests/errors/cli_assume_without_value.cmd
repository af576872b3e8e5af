# --assume at the end, without its fact.
# ARGS: EXAMPLES/softmax.py --assume
# EXPECT: <command line>:1:26: error: argument --assume: expected one argument
