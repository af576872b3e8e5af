# --assume that is not a fact.
# ARGS: EXAMPLES/softmax.py --assume "n ==="
# EXPECT: <assume>:1:1: error: --assume: cannot parse assumption 'n ===': invalid syntax
