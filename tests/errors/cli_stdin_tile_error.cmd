# tile IR on stdin with an unknown op.
# ARGS: - 
# STDIN: CASES/ir_unknown_op.tile
# EXPECT: <stdin>:13:12: error: cannot parse IR: unknown operation 'tile.softmaxx'
