# a bad kernel read from stdin: located in <stdin>, with its source line.
# ARGS: -
# STDIN: CASES/dsl_while_loop.py
# EXPECT: <stdin>:12:9: error: a `while` loop is not supported inside a tile loop
