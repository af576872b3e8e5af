# -o into a folder that does not exist.
# ARGS: EXAMPLES/softmax.py -o CASES/no_such_dir/out.py
# EXPECT: <command line>:1:29: error: cannot write 'CASES/no_such_dir/out.py': No such file or directory
