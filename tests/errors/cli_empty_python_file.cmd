# an empty .py file.
# ARGS: CASES/empty_input.py
# EXPECT: CASES/empty_input.py:1:1: error: no @kopt.kernel function found
