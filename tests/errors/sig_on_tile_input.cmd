# --signature given for a .tile input.
# ARGS: CASES/ir_valid_softmax.tile --signature "x: f32[N, M]"
# EXPECT: <command line>:1:53: error: --signature applies to a .py kernel; a .tile file states its types in the IR
