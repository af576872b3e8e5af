#!/usr/bin/env bash
# The GPU runs owed after 2026-12-02 (benchmarks/README.md, "Owed GPU runs"), in four device calls that must run
# back to back (the machine stays warm ~30 s; QuACK's 92 MB wheel goes in two halves, README there). Each step
# writes under /tmp/res and packs it into $OUT/STEP.tgz (a call returns at most 8 files); each bench has its own
# time limit, so a step ends inside a call's 600 s and a cut-short table keeps the shapes it finished.
#   STEP=a (carry .whl and .carry1): chunked rows and persistent programs checked against torch on CUDA; matmul_mix
#     fp16 with the heuristic tiles, kopt beside `selects` (the pipeline before padding, peeling and split-K) and
#     cuBLAS / Triton; stashes QuACK's first half.
#   STEP=b (carry .carry2): QuACK installed; softmax on the 98 tritonbench shapes, fp16 and fp32.
#   STEP=c (nothing carried): softmax long rows, rms_norm and layer_norm on norm8k, cross-entropy on vocab.
#   STEP=d (nothing carried): attention (and with CAUSAL=1 causal attention), fp16, beside `selects`.
#   STEP=f (carry .whl): matmul_mix and attention fp16 with the tensor-descriptor (TMA) clones beside (`tma`).
#   STEP=e (QuACK installed, as b): cross-entropy on vocab_sweep, layer_norm on norm8k (QuACK's layernorm_fwd now
#     found), beside `before` (the rows of every kernel persistent up to 32768, as before the third session);
# Every table: kopt / selects / peers / copy in one process, KOPT_AUTOTUNE=0 (the heuristic choice).
# a: mkdir -p /tmp/site /tmp/stash && cp .carry1/* /tmp/stash/ && python3 -m pip install -q --no-index --no-deps
#   --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site:$PWD &&
#   STEP=a bash benchmarks/gpu_owed_1202.sh
# b: cd /tmp/stash && cp $OLDPWD/.carry2/* . && cat cutlass.part.aa cutlass.part.ab >
#   nvidia_cutlass_dsl_libs_cu13-4.8.1-cp312-cp312-manylinux_2_28_x86_64.whl && rm cutlass.part.* && python3 -m pip
#   install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site *.whl; cd $OLDPWD; export
#   PYTHONPATH=/tmp/site:/tmp/site/nvidia_cutlass_dsl/dsl_packages:$PWD && STEP=b bash benchmarks/gpu_owed_1202.sh
# c, d: export PYTHONPATH=/tmp/site:/tmp/site/nvidia_cutlass_dsl/dsl_packages:$PWD && STEP=c bash benchmarks/...
set -u
OUT=${OUT:-out/gpu_owed_1202}
RES=/tmp/res
SELECTS=$(python3 -c "from kopt.passes.pipeline import DEFAULT_PIPELINE as p; print(p.replace('loop-peeling,', '').replace('split-k,', '').replace('masking', 'masking{choose-padding=false}'))")
mkdir -p "$OUT" "$RES"
LABEL=selects
export PYTHONUNBUFFERED=1 KOPT_CACHE_DIR=${KOPT_CACHE_DIR:-/tmp/kopt_cache} KOPT_AUTOTUNE=0
kopt_cli() { python3 -c "import sys; from kopt.tools.cli import main; sys.exit(main(sys.argv[1:]))" "$@"; }
# bench LIMIT_S NAME ARGS...: one table, kopt beside `selects`, its log and files under $RES/NAME
bench() {
  local limit=$1 name=$2; shift 2
  timeout "$limit" bash -c "$(declare -f kopt_cli); kopt_cli bench $* --kopt-pipeline '$LABEL=$SELECTS' \
    --out $RES/$name" > "$RES/$name.log" 2>&1
  echo "== $name (rc $?)"; grep -E "geomean|% of copy|WRONG|failed" "$RES/$name.log" | head -6
}
STEP=${STEP:-a}
if [ "$STEP" = a ]; then
  python3 -m pytest -q -p no:cacheprovider tests/reductions/test_chunked.py tests/matmul/test_persistent.py \
    2>&1 | tail -2
  python3 - > "$RES/chunked_persistent_cuda.txt" 2>&1 <<'PY'
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
  grep -E "^FAIL|summary" "$RES/chunked_persistent_cuda.txt" | head -20
  bench 300 matmul_mix "matmul --shapes matmul_mix --dtype fp16 --peers torch,triton"
elif [ "$STEP" = b ]; then
  bench 270 softmax_tb_fp16 "softmax --shapes tritonbench --dtype fp16 --peers quack,triton,torch"
  bench 270 softmax_tb_fp32 "softmax --shapes tritonbench --dtype fp32 --peers quack,triton,torch"
elif [ "$STEP" = c ]; then
  bench 150 softmax_longrows "softmax --shapes longrows --dtype fp32,fp16 --peers quack,triton,torch"
  bench 130 rms_norm_norm8k "rms_norm --shapes norm8k --dtype fp16,bf16 --peers quack,triton,torch"
  bench 130 layer_norm_norm8k "layer_norm --shapes norm8k --dtype fp16,bf16 --peers quack,triton,torch"
  bench 130 cross_entropy_vocab "cross_entropy --shapes vocab --dtype fp16,bf16 --peers quack,triton,torch"
elif [ "$STEP" = d ]; then
  bench 200 attention "attention --dtype fp16 --peers torch,triton"
  [ -n "${CAUSAL:-}" ] && bench 250 causal_attention "causal_attention --dtype fp16 --peers torch,triton"
elif [ "$STEP" = f ]; then  # (carry .whl) tensor descriptors (TMA) beside the pointer kernels, fp16
  LABEL=tma SELECTS=$(python3 -c "from kopt.passes.pipeline import DEFAULT_PIPELINE as p; print(p.replace('lower-to-tt', 'tensor-descriptors,lower-to-tt'))")
  bench 140 matmul_mix "matmul --shapes matmul_mix --dtype fp16 --peers torch"
  bench 70 attention "attention --dtype fp16 --peers torch"
else  # STEP=e (QuACK installed): the narrower persistent rows of one-pass and three-tensor kernels against `before`
  # (every row up to 32768 persistent, as until 2026-12-02's third session), and QuACK's layernorm
  LABEL=before SELECTS=$(python3 -c "from kopt.passes.pipeline import DEFAULT_PIPELINE as p; print(p.replace('reduction-variants', 'reduction-variants{persistent-max=32768}'))")
  bench 200 cross_entropy_vocab "cross_entropy --shapes vocab_sweep --dtype bf16,fp16 --peers quack,triton,torch"
  bench 200 layer_norm_norm8k "layer_norm --shapes norm8k --dtype bf16,fp16 --peers quack,triton,torch"
fi
tar czf "$OUT/$STEP.tgz" -C "$RES" . && rm -rf "$RES"
