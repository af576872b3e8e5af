# --emit at the end of the command line, without its value.
# ARGS: EXAMPLES/softmax.py --emit
# EXPECT: <command line>:1:26: error: argument --emit: expected one argument
