# a variable assigned in only one branch of an `if` and used after it: located where it is used, named.
# ARGS: FILE --signature "x: f32[N, M], lengths: i64[N]"
# EXPECT: FILE:16:21: error: `y` is assigned in only one branch of the `if` on line 13, and used after it
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x, lengths):
    n, m = x.size()
    out = torch.empty_like(x)
    for i in hl.grid(n):
        if lengths[i] > 0:
            y = x[i, :] * 2.0
            out[i, :] = x[i, :]
        out[i, :] = y
    return out
