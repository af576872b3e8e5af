# hl.full of a value int8 cannot hold.
# ARGS: FILE --signature "x: i8[N]"
# EXPECT: FILE:13:13: error: the literal 300 does not fit in i8 (it holds -128 to 127)
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x):
    (n,) = x.size()
    out = torch.empty_like(x)
    for t in hl.tile(n):
        c = hl.full([t], 300, dtype=torch.int8)
        out[t] = x[t] + c
    return out
