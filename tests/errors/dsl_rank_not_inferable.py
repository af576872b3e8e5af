# an argument whose rank cannot be inferred.
# EXPECT: FILE:8:7: error: cannot infer the rank of argument `x` of kernel `k` from its use
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x, y):
    out = torch.empty_like(x)
    for t in hl.tile(out.size()):
        out[t] = x[t] + y[t]
    return out
