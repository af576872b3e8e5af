"""A kernel that is valid for integer or boolean inputs: the input of sig_float_for_bitwise_and.cmd."""

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def bitwise_and(x, y):
    out = torch.empty_like(x)
    for t in hl.tile(out.size()):
        out[t] = x[t] & y[t]
    return out
