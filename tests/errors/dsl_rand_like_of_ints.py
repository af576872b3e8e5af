# torch.rand_like of an integer tile without a float dtype.
# ARGS: FILE --signature "x: i32[N]"
# EXPECT: FILE:13:18: error: torch.rand_like gives floating-point values: pass a float tile or dtype=
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x):
    n = x.size(0)
    out = torch.empty([n], dtype=torch.float32, device=x.device)
    for t in hl.tile(n):
        out[t] = torch.rand_like(x[t])
    return out
