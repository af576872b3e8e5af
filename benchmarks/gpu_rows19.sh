#!/bin/bash
# Issue 19's row kernels on the GPU: rms_norm 8192x1024 (bf16, fp16) and cross-entropy 4096x4096 (fp16, bf16)
# against QuACK, torch and the hand-written Triton kernel, autotuning on; each table from one process, and the
# whole thing twice (two processes per kernel, the second loading the first's tuned configs from KOPT_CACHE_DIR).
set -u
OUT=${OUT:-out/gpu_rows19}; mkdir -p "$OUT"
bench() { python3 -c "import sys; from kopt.tools.cli import main; sys.exit(main(sys.argv[1:]))" bench "$@"; }
for run in 1 2; do
  for k in "rms_norm --shapes norm8k" "cross_entropy --shapes vocab"; do
    name=${k%% *}
    bench $k --limit 1 --dtype bf16,fp16 --peers quack,triton,torch --out "$OUT/run$run" \
      > "$OUT/run${run}_$name.log" 2>&1
    grep -E "kopt autotune|^ *\(|GB/s|x [0-9]|kopt|quack" "$OUT/run${run}_$name.log" | grep -v "it/s\]" | tail -12
  done
done
