# a short option kopt does not have.
# ARGS: EXAMPLES/softmax.py -x
# EXPECT: <command line>:1:26: error: unrecognized arguments: -x
