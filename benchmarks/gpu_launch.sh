#!/bin/bash
# Issue 19 on the GPU, first run: the C launch path's tests on the device's Triton, `kopt bench launch`, and every
# corpus kernel called twice (the second call of each specialization through the C launch) against torch.
# Run from the repository root with PYTHONPATH set to the wheels and the checkout; results under $OUT.
set -u
OUT=${OUT:-out/gpu_launch}; mkdir -p "$OUT"
python3 -m pytest -q -p no:cacheprovider tests/runtime/test_native_launch.py tests/runtime/test_fast_launch.py 2>&1 | tail -3
python3 -c "import sys; from kopt.tools.cli import main; sys.exit(main(['bench', 'launch', '--out', '$OUT/launch']))"
KOPT_NATIVE_LAUNCH=1 timeout ${CORPUS_S:-200} python3 benchmarks/gpu_corpus_check.py --quick --again > "$OUT/corpus_again.txt" 2>&1
grep -E "^(FAIL|ERROR)|summary" "$OUT/corpus_again.txt" | tail -8
