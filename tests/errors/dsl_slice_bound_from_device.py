# a slice bound loaded on the device: the host cannot know it.
# ARGS: FILE --signature "x: f32[M, N], lens: i64[M]"
# EXPECT: FILE:13:34: error: a slice bound must be a size the host knows (a size, an integer, host arithmetic of them)
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x, lens):
    m, n = x.size()
    out = torch.empty_like(x)
    for i in hl.grid(m):
        out[i, :lens[i]] = x[i, :lens[i]]
    return out
