#!/usr/bin/env bash
# The GPU runs owed after 2026-12-02 (benchmarks/README.md, "Owed GPU runs"), in two device calls that must run
# back to back (the machine stays warm ~30 s; QuACK's 92 MB wheel goes in two halves, README there):
#   STEP=a (carry .whl and .carry1): the chunked rows and the persistent programs checked against torch on CUDA,
#     the tuner's as-called round (gpu_memo_check), `kopt bench launch`; stashes QuACK's first half.
#   STEP=b (carry .carry2): QuACK installed; softmax on the 98 tritonbench shapes (fp16, bf16, fp32) and long rows,
#     rms_norm and layer_norm on norm8k, cross-entropy on vocab (fp16, bf16), each table kopt / kopt's pipeline
#     before padding and peeling (`selects`) / QuACK / Triton / torch / copy in one process, KOPT_AUTOTUNE=0.
#   STEP=c (carry .whl): issue 17's matmul and attention tables, kopt beside `selects`, autotuning on.
# Device command, a: mkdir -p /tmp/site /tmp/stash && cp .carry1/* /tmp/stash/ && python3 -m pip install -q
#   --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl &&
#   export PYTHONPATH=/tmp/site:$PWD && STEP=a OUT=$OUT bash benchmarks/gpu_owed_1202.sh
# b: cd /tmp/stash && cp $OLDPWD/.carry2/* . && cat cutlass.part.aa cutlass.part.ab >
#   nvidia_cutlass_dsl_libs_cu13-4.8.1-cp312-cp312-manylinux_2_28_x86_64.whl && rm cutlass.part.* && python3 -m pip
#   install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site *.whl; cd $OLDPWD; export
#   PYTHONPATH=/tmp/site:/tmp/site/nvidia_cutlass_dsl/dsl_packages:$PWD && STEP=b OUT=$OUT bash benchmarks/gpu_owed_1202.sh
set -u
OUT=${OUT:-out/gpu_owed_1202}
SELECTS=$(python3 -c "from kopt.passes.pipeline import DEFAULT_PIPELINE as p; print(p.replace('loop-peeling,', '').replace('split-k,', '').replace('masking', 'masking{choose-padding=false}'))")
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 KOPT_CACHE_DIR=${KOPT_CACHE_DIR:-/tmp/kopt_cache}
kopt_cli() { python3 -c "import sys; from kopt.tools.cli import main; sys.exit(main(sys.argv[1:]))" "$@"; }
if [ "${STEP:-a}" = a ]; then
  python3 -m pytest -q -p no:cacheprovider tests/reductions/test_chunked.py tests/matmul/test_persistent.py \
    tests/runtime/test_native_launch.py 2>&1 | tail -2
  python3 - > "$OUT/chunked_persistent_cuda.txt" 2>&1 <<'PY'
import math, torch, torch.nn.functional as F, kopt
from tests.reductions.modes import kernel
from tests.helpers import load_example
fails = 0
for dt in (torch.float16, torch.bfloat16):
    tol = dict(atol=2e-3, rtol=2e-3) if dt == torch.float16 else dict(atol=2e-2, rtol=2e-2)
    for n in (4097, 5000, 8193, 9216, 11008, 16385, 20000):
        x = torch.randn(257, n, device="cuda", dtype=dt)
        w, b = torch.randn(n, device="cuda", dtype=dt), torch.randn(n, device="cuda", dtype=dt)
        up = lambda f, *a: f(*[t.float() if torch.is_tensor(t) and t.is_floating_point() else t for t in a]).to(dt)
        checks = {
            "softmax": (kernel("softmax", "auto")(x), up(lambda t: torch.softmax(t, 1), x)),
            "log_softmax": (kernel("log_softmax", "auto")(x), up(lambda t: torch.log_softmax(t, 1), x)),
            "layer_norm": (kernel("layer_norm", "auto")(x, w, b, 1e-5), up(lambda t, w, b: F.layer_norm(t, (n,), w, b, 1e-5), x, w, b)),
            "rms_norm": (kernel("rms_norm", "auto")(x, w, 1e-5), up(lambda t, w: t * torch.rsqrt(t.pow(2).mean(-1, keepdim=True) + 1e-5) * w, x, w)),
        }
        labels = torch.randint(0, n, (257,), device="cuda")
        checks["cross_entropy"] = (kernel("cross_entropy", "auto")(x, labels), up(lambda t, y: F.cross_entropy(t, y), x, labels))
        for name, (got, want) in checks.items():
            try:
                torch.testing.assert_close(got, want, **tol)
                print("PASS", name, dt, n)
            except AssertionError as e:
                fails += 1
                print("FAIL", name, dt, n, str(e).splitlines()[1:3])
for pid_type in ("persistent_interleaved", "persistent_blocked"):
    mm = kopt.kernel(load_example("matmul").matmul.fn, config=kopt.Config(pid_type=pid_type))
    for m, k, n in ((4097, 1023, 4095), (2048, 2048, 2048), (16, 4096, 4096)):
        a, bb = torch.randn(m, k, device="cuda", dtype=torch.float16), torch.randn(k, n, device="cuda", dtype=torch.float16)
        ok = torch.allclose(mm(a, bb).float(), (a.float() @ bb.float()), atol=1e-1, rtol=1e-2)
        fails += not ok
        print("PASS" if ok else "FAIL", "matmul", pid_type, m, k, n)
print("summary: fails", fails)
PY
  grep -E "^FAIL|summary" "$OUT/chunked_persistent_cuda.txt" | head -20
  timeout 150 python3 benchmarks/gpu_memo_check.py 2>&1 | grep -E "^(PASS|FAIL)|summary|as called" | cut -c1-300 \
    > "$OUT/memo_check.txt"; tail -5 "$OUT/memo_check.txt"
  kopt_cli bench launch --out "$OUT/launch" 2>&1 | tail -22
elif [ "${STEP}" = b ]; then
  export KOPT_AUTOTUNE=0
  # `selects`: the pipeline before 2026-12-02's second session (no split-k, no loop-peeling, loads keep their `other`), timed in
  # the same process as kopt's default: what padding and peeling bought
  for run in "softmax --shapes tritonbench --dtype fp16,bf16,fp32" "softmax --shapes longrows --dtype fp32,fp16" \
             "rms_norm --shapes norm8k --dtype fp16,bf16" \
             "layer_norm --shapes norm8k --dtype fp16,bf16" "cross_entropy --shapes vocab --dtype fp16,bf16"; do
    name=$(echo "$run" | awk '{print $1 "_" $3}')
    timeout 280 bash -c "$(declare -f kopt_cli); kopt_cli bench $run --peers quack,triton,torch \
      --kopt-pipeline 'selects=$SELECTS' --out $OUT/$name" > "$OUT/$name.log" 2>&1
    grep -E "geomean|% of copy" "$OUT/$name.log" | head -4
  done
else  # STEP=c: issue 17's tables (no QuACK needed), tuned in this process, with the unpeeled pipeline beside
  for run in "matmul --shapes matmul_mix --dtype fp16,bf16" "attention --dtype fp16,bf16" \
             "causal_attention --dtype fp16,bf16"; do
    name=${run%% *}
    timeout 280 bash -c "$(declare -f kopt_cli); kopt_cli bench $run --kopt-pipeline 'selects=$SELECTS' \
      --out $OUT/$name" > "$OUT/$name.log" 2>&1
    grep -E "geomean" "$OUT/$name.log" | head -4
  done
fi
