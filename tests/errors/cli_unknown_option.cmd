# a command-line option kopt does not have.
# ARGS: EXAMPLES/softmax.py --frobnicate
# EXPECT: error: unrecognized arguments: --frobnicate
