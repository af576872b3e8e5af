# no @kopt.kernel function at all (located at line 1, no column).
# EXPECT: FILE:1:1: error: no @kopt.kernel function found
import torch
import kopt
import kopt.language as hl

def k(x):
    return x
