# --assume about a size no kernel has.
# ARGS: EXAMPLES/softmax.py --assume "q % 16 == 0"
# EXPECT: <assume>:1:1: error: --assume: no kernel has a size named `q`
