# `for ... else` on a device loop.
# EXPECT: FILE:10:5: error: `for ... else` is not supported
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x):
    n, m = x.size()
    for t in hl.tile(n):
        x[t, :] = x[t, :]
    else:
        pass
    return x
