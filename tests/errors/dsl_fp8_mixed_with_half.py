# fp8 and f16 in one product: torch refuses to promote them too.
# ARGS: FILE --signature "a: f8e4m3[M, K], b: f16[K, N]"
# EXPECT: FILE:16:19: error: fp8 values do not mix with f16 implicitly (torch refuses too)
import torch
import kopt
import kopt.language as hl

@kopt.kernel
def k(a, b):
    m, kk = a.size()
    _, n = b.size()
    out = torch.empty([m, n], dtype=torch.float32, device=a.device)
    for tile_m, tile_n in hl.tile([m, n]):
        acc = hl.zeros([tile_m, tile_n], dtype=torch.float32)
        for tile_k in hl.tile(kk):
            acc = hl.dot(a[tile_m, tile_k], b[tile_k, tile_n], acc=acc)
        out[tile_m, tile_n] = acc
    return out
