#!/usr/bin/env bash
# The GPU runs the 2026-11-25 sessions could not make (benchmarks/README.md, "Owed GPU runs"), in one device
# call of about 9 minutes on an H100. Writes into $OUT (default out/gpu_owed, git-ignored):
#  1. attention and causal_attention against torch on CUDA (fp16/bf16 contiguous inputs take the runtime's
#     3-D dot fallback, a RuntimeWarning says so, where Triton cannot build the 2-D form), then the whole
#     corpus (attention again among it; the sweep stops at its time limit if compiles are slow);
#  2. row statistics including a prod reduction, through the fast launch path, against torch;
#  3. softmax launch choices on the tritonbench shapes in fp16, the online kernel included from N = 8192
#     (is it better than the persistent one on the 8K-13K rows that pad to 16384 lanes?).
# Device command (carry .whl): python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir
#   --upgrade --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site:$PWD && OUT=$OUT bash benchmarks/owed_gpu.sh
set -u
OUT=${OUT:-out/gpu_owed}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 KOPT_CACHE_DIR=${KOPT_CACHE_DIR:-/tmp/kopt_cache} KOPT_AUTOTUNE=0
# attention first (the cases never passed on the GPU), then the rest of the corpus: the whole sweep again,
# since the launch path and the batched-dot form changed after the 2026-11-25 sweep
timeout 110 python3 -W always::RuntimeWarning benchmarks/gpu_corpus_check.py attention causal_attention \
  > "$OUT/gpu_corpus_check_attention.txt" 2>&1
grep -E "^(FAIL|ERROR)|summary|RuntimeWarning" "$OUT/gpu_corpus_check_attention.txt" | cut -c1-160
timeout 300 python3 benchmarks/gpu_corpus_check.py > "$OUT/gpu_corpus_check.txt" 2>&1
grep -E "^(FAIL|ERROR)|summary" "$OUT/gpu_corpus_check.txt" | cut -c1-160
# a prod reduction through the fast launch path (its combine function must stay a Triton JIT function)
timeout 40 python3 - <<'PY' 2>&1 | tee "$OUT/row_stats_cuda.txt"
import torch, kopt
from tests.reductions.kernels import row_stats
x = torch.randn(1000, 1537, device="cuda")
want = torch.stack([x.sum(1), x.mean(1), x.amax(1), x.amin(1), x.var(1), x.var(1, correction=0), x.std(1),
                    torch.logsumexp(x, 1), (x * 0.01 + 1.0).prod(1)], dim=1)
k = kopt.kernel(row_stats)
for _ in range(2):  # the second call takes the fast launch path
    torch.testing.assert_close(k(x), want, atol=1e-3, rtol=1e-3)
print("row_stats (sum ... prod) on CUDA: matches torch, twice")
PY
timeout 100 python3 benchmarks/reduction_sweep.py --set tb --dtype fp16 --out "$OUT/sweep_tb_fp16.json" 2>&1 \
  | tee "$OUT/sweep_tb_fp16.txt"
