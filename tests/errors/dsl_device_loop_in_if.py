# a device loop hidden inside host control flow.
# EXPECT: FILE:11:9: error: a device loop (`hl.tile`) must be a top-level statement of the kernel
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x):
    n, m = x.size()
    if n:
        for t in hl.tile(n):
            x[t, :] = x[t, :]
    return x
