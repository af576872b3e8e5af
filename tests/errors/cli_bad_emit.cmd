# an --emit level that does not exist.
# ARGS: EXAMPLES/softmax.py --emit=ptx
# EXPECT-RE: error: argument --emit: invalid choice: 'ptx' \(choose from .*\)
