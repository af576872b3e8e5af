# a kernel without an hl.tile loop.
# EXPECT: FILE:8:1: error: kernel `k` has no device loop
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x):
    n, m = x.size()
    return x
