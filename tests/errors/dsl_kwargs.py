# **kwargs in a kernel signature.
# EXPECT: FILE:8:12: error: `**opts`: kernels cannot take **kwargs; list every argument
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x, **opts):
    (n,) = x.size()
    out = torch.empty_like(x)
    for t in hl.tile(n):
        out[t] = x[t]
    return out
