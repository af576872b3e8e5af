# emitting Triton from a pipeline that never reaches the tt level.
# ARGS: EXAMPLES/softmax.py --pass-pipeline=decompose
# EXPECT: error: the Triton backend cannot emit `tile.for`: run the pipeline through lower-to-tt first
