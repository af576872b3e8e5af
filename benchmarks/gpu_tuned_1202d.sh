#!/usr/bin/env bash
# The tables with autotuning on (issue 17's own setting; owed since 2026-12-02), 2026-12-02 fourth session.
# One device call per step; each table tunes every shape's size bucket on its first call (the tuner prints
# "...; tuned in X s", kept in the log) and then times it, kopt and its peers in one process. The tuned configs
# (KOPT_CACHE_DIR/autotune, small JSON) are packed with the logs into $OUT/STEP.tgz.
#   STEP=m (carry .whl): matmul_mix fp16 and bf16, peers cuBLAS and the hand-written Triton kernel.
#   STEP=a (carry .whl): attention and causal attention fp16 and bf16, peers SDPA and the Triton kernel; then
#     matmul_mix fp16 again (after the memo's 64 entries: benchmarks/results/h200_2026-12-02d/diag_memo.txt).
#   STEP=a2 (carry .whl and .carry1): attention and causal attention fp16 and bf16 again (the scores kept in fp32:
#     the dot-cast fold; bf16's tolerance fitted to flash attention's rounding); stashes QuACK's first half.
#   STEP=s (carry .carry2, right after a2 on the warm machine): QuACK installed (benchmarks/gpu_owed_1202.sh, step b's
#     command); softmax on the 98 tritonbench shapes, fp16, autotuning on (kopt's default), peers QuACK and Triton.
#   STEP=mb (carry .whl): matmul_mix bf16 again, after the memo's 64 entries, with torch.compile max-autotune on
#     three shapes (kopt/tools/bench/peers.py MAX_AUTOTUNE_MATMUL).
# Device command: mkdir -p /tmp/site && python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir
#   --upgrade --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site:$PWD && STEP=m bash benchmarks/gpu_tuned_1202d.sh
OUT=${OUT:-out/gpu_tuned_1202d}
RES=/tmp/res_tuned
export KOPT_CACHE_DIR=${KOPT_CACHE_DIR:-/tmp/kopt_cache_tuned}
source "$(dirname "$0")/gpu_tables.sh"
STEP=${STEP:-m}
if [ "$STEP" = m ]; then
  bench 290 matmul_mix_fp16 "matmul --shapes matmul_mix --dtype fp16 --peers torch,triton"
  bench 260 matmul_mix_bf16 "matmul --shapes matmul_mix --dtype bf16 --peers torch,triton"
elif [ "$STEP" = a2 ]; then
  mkdir -p /tmp/stash && cp .carry1/* /tmp/stash/
  bench 200 attention "attention --dtype fp16,bf16 --peers torch,triton"
  bench 230 causal_attention "causal_attention --dtype fp16,bf16 --peers torch,triton"
elif [ "$STEP" = mb ]; then
  bench 195 matmul_mix_bf16_memo64 "matmul --shapes matmul_mix --dtype bf16 --peers torch,compile"
elif [ "$STEP" = s ]; then
  bench 430 softmax_tb_fp16 "softmax --shapes tritonbench --dtype fp16 --peers quack,triton"
else
  bench 210 attention "attention --dtype fp16,bf16 --peers torch,triton"
  bench 210 causal_attention "causal_attention --dtype fp16,bf16 --peers torch,triton"
  bench 160 matmul_mix_fp16_memo64 "matmul --shapes matmul_mix --dtype fp16 --peers torch"
fi
mkdir -p "$RES/autotune" && cp -r "$KOPT_CACHE_DIR/autotune/." "$RES/autotune/" 2>/dev/null
tar czf "$OUT/$STEP.tgz" -C "$RES" . && rm -rf "$RES"
