# an abbreviation argparse accepts (--emi), with a bad value.
# ARGS: EXAMPLES/softmax.py --emi=ptx
# EXPECT-RE: <command line>:1:32: error: argument --emit: invalid choice: 'ptx' \(choose from .*\)
