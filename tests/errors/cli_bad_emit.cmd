# an --emit level that does not exist.
# ARGS: EXAMPLES/softmax.py --emit=ptx
# EXPECT-RE: <command line>:1:33: error: argument --emit: invalid choice: 'ptx' \(choose from .*\)
