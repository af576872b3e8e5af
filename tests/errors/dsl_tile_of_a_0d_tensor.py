# a device loop over the sizes of a 0-d tensor.
# ARGS: FILE --signature "x: f32[]"
# EXPECT: FILE:11:22: error: `x.size()` has no sizes (a 0-d tensor's): there is nothing to tile
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(x):
    out = torch.empty_like(x)
    for t in hl.tile(x.size()):
        out[t] = x[t] + 1
    return out
