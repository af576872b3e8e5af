# *args in a kernel signature.
# EXPECT: FILE:8:8: error: `*xs`: kernels cannot take *args; list every argument
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(*xs):
    return xs
