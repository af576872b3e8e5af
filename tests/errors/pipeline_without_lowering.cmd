# emitting Triton from a pipeline that never reaches the tt level.
# ARGS: EXAMPLES/softmax.py --pass-pipeline=decompose
# EXPECT: EXAMPLES/softmax.py:16:5: error: the Triton backend cannot emit `tile.for`: run the pipeline through lower-to-tt first
