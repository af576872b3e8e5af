# a command-line option kopt does not have.
# ARGS: EXAMPLES/softmax.py --frobnicate
# EXPECT: <command line>:1:26: error: unrecognized arguments: --frobnicate
