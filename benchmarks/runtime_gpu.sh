#!/usr/bin/env bash
# kopt's runtime on the GPU, in one go (about 7-8 minutes on an H100):
#  1. autotune softmax on 4 shapes (tqdm bars on stderr), 2. the same in a new process: every tuned config
#  and compiled kernel comes from the disk cache (no bar), 3. kopt bench softmax on the 98 tritonbench
#  shapes, fp32 then fp16, beside torch, torch.compile and the hand-written Triton kernel.
# Writes into $OUT (default out/gpu, git-ignored): two logs, and per dtype a CSV, TXT and PNG.
set -u
OUT=${OUT:-out/gpu}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 KOPT_CACHE_DIR=${KOPT_CACHE_DIR:-/tmp/kopt_cache}
python3 benchmarks/autotune_demo.py fp32 2>&1 | tee "$OUT/autotune_first.log" | tr '\r' '\n' | grep -v '^kopt autotune.*%|'
echo "--- again, in a new process (from the disk cache) ---" | tee "$OUT/autotune_again.log"
python3 benchmarks/autotune_demo.py fp32 2>&1 | tee -a "$OUT/autotune_again.log"
for dt in fp32 fp16; do
  timeout "${BENCH_TIMEOUT:-215}" python3 -m kopt.tools.bench.cli softmax --shapes tritonbench --dtype $dt \
    --peers torch,compile,triton --warmup-ms 10 --rep-ms 40 --out "$OUT" 2>&1 | tr '\r' '\n' \
    | grep -v '^kopt autotune.*%|' | grep -v '^\[[0-9]*/98\]' || echo "kopt bench softmax $dt: stopped (time limit?)"
done
