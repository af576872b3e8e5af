# The default pipeline on the matmul example: the k-loop, its fp32 accumulator and the dot survive
# to the tt level (tt.for with iter_args, tile.dot with acc) and become tl.range / tl.dot(a, b, acc).
# loop-peeling splits the k-loop: its whole blocks read without a k-mask, the rest (at most one block) with one.
# RUN: %kopt %root/examples/matmul.py --print-after-all 2>%t.ir | filecheck %s
# RUN: filecheck %s --check-prefix=IR < %t.ir
# IR: // -----// IR Dump After shape-inference //----- //
# IR: tile.dot %{{.*}}, %{{.*}} : !tile.tile<[_BLOCK_SIZE_0, _BLOCK_SIZE_2], f32>, !tile.tile<[_BLOCK_SIZE_2, _BLOCK_SIZE_1], f32> -> !tile.tile<[_BLOCK_SIZE_0, _BLOCK_SIZE_1], f32>
# IR: // -----// IR Dump After tiling //----- //
# IR: dot_dims = {_BLOCK_SIZE_0 = "m", _BLOCK_SIZE_1 = "n", _BLOCK_SIZE_2 = "k"}, l2_grouping = 8 : i64
# IR: // -----// IR Dump After canonicalize //----- //
# IR: %[[ACC:.*]] = tile.dot %{{.*}}, %{{.*}} acc %{{.*}} :
# IR-NEXT: tile.yield %[[ACC]]
# IR: // -----// IR Dump After lower-to-tt //----- //
# IR: %pid = tt.program_id axis 0
# IR: %group_id = tile.floordiv %pid
# IR: %acc = tile.constant "0.0" : !tile.tile<[_BLOCK_SIZE_0, _BLOCK_SIZE_1], f32>
# IR-NEXT: %[[WHOLE:.*]] = tt.for %offset.2 = 0 to "_BLOCK_SIZE_2*(k // _BLOCK_SIZE_2)" step _BLOCK_SIZE_2 iter_args(%[[CARRIED0:.*]] = %acc : !tile.tile<[_BLOCK_SIZE_0, _BLOCK_SIZE_1], f32>) attributes {peel = "whole"} {
# IR: tile.yield
# IR: tt.for %offset.2_1 = "_BLOCK_SIZE_2*(k // _BLOCK_SIZE_2)" to k step _BLOCK_SIZE_2 iter_args(%[[CARRIED:.*]] = %[[WHOLE]] : !tile.tile<[_BLOCK_SIZE_0, _BLOCK_SIZE_1], f32>) attributes {peel = "rest"} {
# IR: %[[A:.*]] = tt.load
# IR: %[[B:.*]] = tt.load
# IR: %[[NEXT:.*]] = tile.dot %[[A]], %[[B]] acc %[[CARRIED]] : !tile.tile<[_BLOCK_SIZE_0, _BLOCK_SIZE_2], f32>, !tile.tile<[_BLOCK_SIZE_2, _BLOCK_SIZE_1], f32>, !tile.tile<[_BLOCK_SIZE_0, _BLOCK_SIZE_1], f32> -> !tile.tile<[_BLOCK_SIZE_0, _BLOCK_SIZE_1], f32>
# IR-NEXT: tile.yield %[[NEXT]]
# IR: tt.store
#
# CHECK: from kopt.launch.dot_tiles import dot_tiles
# CHECK: def _matmul_kernel(x, y, out, {{.*}}, _BLOCK_SIZE_0: tl.constexpr, _BLOCK_SIZE_1: tl.constexpr, _BLOCK_SIZE_2: tl.constexpr):
# CHECK: group_id = pid // (8*tl.cdiv(n, _BLOCK_SIZE_1))
# CHECK: acc = tl.full([_BLOCK_SIZE_0, _BLOCK_SIZE_1], 0.0, tl.float32)
# CHECK-NEXT: for offset_2 in tl.range(0, _BLOCK_SIZE_2*(k // _BLOCK_SIZE_2), _BLOCK_SIZE_2):
# CHECK-NOT: mask_2
# CHECK: acc = tl.dot(load, load_1, acc, input_precision="ieee")
# CHECK-NEXT: for offset_2_1 in tl.range(_BLOCK_SIZE_2*(k // _BLOCK_SIZE_2), k, _BLOCK_SIZE_2):
# CHECK: mask_2 = indices_2_1 < k
# CHECK: acc = tl.dot(load_2, load_3, acc, input_precision="ieee")
# CHECK-NEXT: tl.store(out + {{.*}}, acc, mask_0[:, None] & mask_1[None, :])
# CHECK: def matmul(x, y):
# CHECK: _BLOCK_SIZE_0, _BLOCK_SIZE_1, _BLOCK_SIZE_2, _num_warps, _num_stages = dot_tiles((m, n, k), ("_BLOCK_SIZE_0", "_BLOCK_SIZE_1", "_BLOCK_SIZE_2"), elem_bytes=4, gpu=x.is_cuda)
# CHECK: _matmul_kernel[(cdiv(m, _BLOCK_SIZE_0) * cdiv(n, _BLOCK_SIZE_1),)]({{.*}}, num_warps=_num_warps, num_stages=_num_stages)
