# a tile returned from the kernel: tiles live on the device, inside their loop.
# EXPECT: FILE:13:12: error: `t` is a tile of the device loop on line 11: it exists only inside the loop and cannot be returned after it
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x):
    (n,) = x.size()
    out = torch.empty_like(x)
    for t in hl.tile(n):
        out[t] = x[t]
    return t
