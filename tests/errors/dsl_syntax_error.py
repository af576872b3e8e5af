# a file that is not valid Python.
# EXPECT: FILE:9:18: error: invalid Python: '(' was never closed
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x):
    n, m = x.size(
    return x
