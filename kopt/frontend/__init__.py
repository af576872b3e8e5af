"""The frontend: a decorated Python function's AST -> tile IR (host function + device kernels)."""
