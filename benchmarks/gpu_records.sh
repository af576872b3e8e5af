#!/bin/bash
# Launch records on the GPU (issue 21's first calls; issue 19's launch path): the launch tests on the device's
# Triton, `kopt bench launch`, then every corpus kernel (each case twice, fresh inputs) in two processes over one
# kopt cache and one Triton cache: the first compiles and keeps a launch record of each specialization it launches,
# the second's first calls launch from those records (no Triton JIT, no Triton driver) and are checked against torch.
# Run from the repository root with PYTHONPATH set to the wheels and the checkout; results under $OUT.
#   STEP=first: tests, bench, the first corpus process;  STEP=second: the second corpus process.
set -u
OUT=${OUT:-out/gpu_records}; mkdir -p "$OUT"
export KOPT_CACHE_DIR=/tmp/kc_records TRITON_CACHE_DIR=/tmp/tc_records KOPT_AUTOTUNE=0
if [ "${STEP:-first}" = first ]; then
  rm -rf "$KOPT_CACHE_DIR" "$TRITON_CACHE_DIR"
  python3 -m pytest -q -p no:cacheprovider tests/runtime/test_native_launch.py tests/runtime/test_fast_launch.py \
    tests/runtime/test_launch_records.py 2>&1 | tail -3
  python3 -c "import sys; from kopt.tools.cli import main; sys.exit(main(['bench', 'launch', '--out', '$OUT/launch']))"
  timeout ${CORPUS_S:-330} python3 benchmarks/gpu_corpus_check.py --quick --again > "$OUT/corpus_first.txt" 2>&1
  grep -E "^(FAIL|ERROR)|^triton:|summary" "$OUT/corpus_first.txt" | tail -8
else
  timeout ${CORPUS_S:-300} python3 benchmarks/gpu_corpus_check.py --quick --again > "$OUT/corpus_records.txt" 2>&1
  grep -E "^(FAIL|ERROR)|^triton:|summary" "$OUT/corpus_records.txt" | tail -8
fi
