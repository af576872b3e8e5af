# a torch function kopt does not know.
# EXPECT: FILE:12:21: error: call to `torch.fft.fft` is not supported in a tile loop
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x):
    n, m = x.size()
    out = torch.empty_like(x)
    for t in hl.tile(n):
        out[t, :] = torch.fft.fft(x[t, :])
    return out
