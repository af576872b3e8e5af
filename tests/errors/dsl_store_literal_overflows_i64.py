# a literal stored into an int64 tensor that int64 cannot hold.
# ARGS: FILE --signature "x: i64[N]"
# EXPECT: FILE:13:9: error: the literal 9223372036854775808 does not fit in i64 (it holds -9223372036854775808 to 9223372036854775807)
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x):
    (n,) = x.size()
    out = torch.empty_like(x)
    for t in hl.tile(n):
        out[t] = 2**63
    return out
