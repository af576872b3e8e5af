# a fill value that int32 cannot hold.
# ARGS: FILE --signature "x: i32[N]"
# EXPECT: FILE:11:27: error: the literal 1099511627776 does not fit in i32 (it holds -2147483648 to 2147483647)
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x):
    (n,) = x.size()
    out = torch.full([n], 2**40, dtype=torch.int32, device=x.device)
    for t in hl.tile(n):
        out[t] = x[t]
    return out
