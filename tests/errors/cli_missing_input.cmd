# an input file that does not exist.
# ARGS: CASES/no_such_kernel.py
# EXPECT: <command line>:1:6: error: cannot read 'CASES/no_such_kernel.py': No such file or directory
