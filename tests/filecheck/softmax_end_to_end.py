# The whole default pipeline on the softmax example, checked at the Triton level.
# RUN: %kopt %root/examples/softmax.py --print-after-all 2>%t.ir | filecheck %s
# RUN: filecheck %s --check-prefix=IR < %t.ir
# CHECK: @triton.jit
# CHECK-NEXT: def _kopt_max_nan(a, b):
# CHECK-NEXT: return tl.maximum(a, b, propagate_nan=tl.PropagateNan.ALL)
# CHECK: @triton.jit
# CHECK-NEXT: def _softmax_kernel(x, out, x_stride_0, x_stride_1, out_stride_0, out_stride_1, n, _m, _BLOCK_SIZE_0: tl.constexpr, _RDIM_SIZE_1: tl.constexpr):
# CHECK: indices_0 = offset_0 + tl.arange(0, _BLOCK_SIZE_0)
# CHECK: mask_0 = indices_0 < n
# CHECK: tl.load(x + {{.*}}, mask_0[:, None] & mask_1[None, :], other=float('-inf'))
# CHECK-NOT: tl.where
# CHECK: tl.max(
# CHECK: tl.sum(
# CHECK: tl.store(out + {{.*}})
# CHECK: def softmax(x):
# CHECK: _RDIM_SIZE_1 = next_power_of_2(max(_m, 1))
# CHECK: _softmax_kernel[(cdiv(n, _BLOCK_SIZE_0),)](
# IR: // -----// IR Dump After decompose //----- //
# IR: // -----// IR Dump After shape-inference //----- //
# IR: // -----// IR Dump After tiling //----- //
# IR: // -----// IR Dump After reduction-lowering //----- //
# IR: // -----// IR Dump After masking //----- //
# IR: // -----// IR Dump After mask-elision //----- //
# IR: // -----// IR Dump After canonicalize //----- //
# IR: // -----// IR Dump After lower-to-tt //----- //
