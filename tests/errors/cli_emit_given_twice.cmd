# --emit twice: argparse would keep the last silently.
# ARGS: EXAMPLES/softmax.py --emit=tile --emit=tt
# EXPECT: <command line>:1:38: error: --emit is given twice
