#!/usr/bin/env bash
# The GPU runs the 2026-11-25 sessions could not make (benchmarks/README.md, "Owed GPU runs"), in one device
# call of about 3 minutes on an H100. Writes into $OUT (default benchmarks/results/gpu_owed):
#  1. attention and causal_attention against torch on CUDA: fp16/bf16 contiguous inputs take the runtime's
#     3-D dot fallback (a RuntimeWarning says so) where Triton cannot build the 2-D form;
#  2. softmax launch choices on the tritonbench shapes in fp16, the online kernel included from N = 8192
#     (is it better than the persistent one on the 8K-13K rows that pad to 16384 lanes?).
# Device command (carry .whl): python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir
#   --upgrade --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site:$PWD && OUT=$OUT bash benchmarks/owed_gpu.sh
set -u
OUT=${OUT:-benchmarks/results/gpu_owed}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 KOPT_CACHE_DIR=${KOPT_CACHE_DIR:-/tmp/kopt_cache} KOPT_AUTOTUNE=0
timeout 150 python3 -W always::RuntimeWarning benchmarks/gpu_corpus_check.py attention causal_attention \
  > "$OUT/gpu_corpus_check_attention.txt" 2>&1
grep -E "^(PASS|FAIL|ERROR)|summary|RuntimeWarning" "$OUT/gpu_corpus_check_attention.txt" | cut -c1-160
timeout 150 python3 benchmarks/reduction_sweep.py --set tb --dtype fp16 --out "$OUT/sweep_tb_fp16.json" 2>&1 \
  | tee "$OUT/sweep_tb_fp16.txt"
