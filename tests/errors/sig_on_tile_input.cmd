# --signature given for a .tile input.
# ARGS: CASES/ir_valid_softmax.tile --signature "x: f32[N, M]"
# EXPECT: error: --signature applies to a .py kernel; a .tile file states its types in the IR
