#!/usr/bin/env bash
# Device calls of the fifth session (2026-12-02): one step per call, outputs packed into $OUT/STEP.tgz.
#   STEP=m (carry .whl): matmul_mix fp16, autotuning on, cuBLAS in the process (the split-K tiles of
#     kopt/launch/hostmath.py's split_k_tile).
#   STEP=mb (carry .whl): matmul_mix bf16, autotuning on, cuBLAS and torch.compile max-autotune (three shapes).
#   STEP=ta (carry .t39a, right after an install of .whl on the machine; it goes back after 30 s idle): stashes the
#     first half of Triton 3.9 for step t.
#   STEP=t (carry .t39b, right after ta on the warm machine): Triton 3.9 joined and unpacked into /tmp/t39; the knob
#     sweep (benchmarks/knob_sweep.py) of attention and three matmul shapes under it, beside the same under 3.6.
#   STEP=q (carry .carry2, after one call that installed .whl and one that copied .carry1/* to /tmp/stash, each within
#     30 s of the last): QuACK installed (benchmarks/gpu_owed_1202.sh's step b); softmax tritonbench fp32 and rms_norm
#     norm8k fp16/bf16, autotuning on, QuACK, the Triton kernel, torch and copy in each process. Its command:
#     cd /tmp/stash && cp $OLDPWD/.carry2/* . && cat cutlass.part.aa cutlass.part.ab >
#     nvidia_cutlass_dsl_libs_cu13-4.8.1-cp312-cp312-manylinux_2_28_x86_64.whl && rm cutlass.part.* && python3 -m pip
#     install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site *.whl; cd $OLDPWD; export
#     PYTHONPATH=/tmp/site:/tmp/site/nvidia_cutlass_dsl/dsl_packages:$PWD && STEP=q bash benchmarks/gpu_1202e.sh
#   STEP=o (owed, for the next session; after QuACK is installed as for step q): kopt's overlapping-tail clone on the
#     tritonbench fp16 shapes, softmax and rms_norm on rows just past a power of two, and the long rows, QuACK in each
#     process; `python3 benchmarks/overlap_check.py` first (kopt beside copy, a minute).
# Device command: mkdir -p /tmp/site && python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir
#   --upgrade --target /tmp/site .whl/*.whl; export PYTHONPATH=/tmp/site:$PWD && STEP=m bash benchmarks/gpu_1202e.sh
#   (steps mb and t: `export PYTHONPATH=/tmp/site:$PWD && STEP=mb bash benchmarks/gpu_1202e.sh`)
OUT=${OUT:-out/gpu_1202e}
RES=/tmp/res_1202e
export KOPT_CACHE_DIR=${KOPT_CACHE_DIR:-/tmp/kopt_cache_1202e}
source "$(dirname "$0")/gpu_tables.sh"
STEP=${STEP:-m}
if [ "$STEP" = m ]; then
  bench 330 matmul_mix_fp16 "matmul --shapes matmul_mix --dtype fp16 --peers torch,triton"
  sed -n '/^shape/,/^first/p' "$RES/matmul_mix_fp16.log" | head -24
elif [ "$STEP" = t ]; then
  cat /tmp/stash/t39.part.* .t39b/t39.part.* | xz -d | (mkdir -p /tmp/t39 && tar x -C /tmp/t39)
  (cd /tmp/t39/triton/backends/nvidia/bin && ln -sf ptxas ptxas-blackwell)
  timeout 250 env PYTHONPATH=/tmp/t39:$PYTHONPATH TRITON_BACKENDS_IN_TREE=1 python3 benchmarks/knob_sweep.py \
    --matmul-shapes 16384x4096x1024,2048x2048x2048,128x4096x4096 --out "$RES/knob_sweep_t39.json" > "$RES/knob_sweep_t39.txt" 2>&1
  echo "t39 rc $?"; grep -E "library" -A3 "$RES/knob_sweep_t39.txt" | head -40
  timeout 200 python3 benchmarks/knob_sweep.py --what attention --out "$RES/knob_sweep_attention_t36.json" \
    > "$RES/knob_sweep_attention_t36.txt" 2>&1
  echo "t36 rc $?"; grep -E "library" -A3 "$RES/knob_sweep_attention_t36.txt" | head -20
elif [ "$STEP" = ta ]; then
  mkdir -p /tmp/stash && cp .t39a/* /tmp/stash/ && ls -la /tmp/stash
  exit 0
elif [ "$STEP" = q ]; then
  bench 300 softmax_tb_fp32 "softmax --shapes tritonbench --dtype fp32 --peers quack,triton,torch"
  bench 150 rms_norm_norm8k "rms_norm --shapes norm8k --dtype bf16,fp16 --peers quack,triton,torch"
elif [ "$STEP" = o ]; then
  timeout 90 python3 benchmarks/overlap_check.py "$RES/overlap_check.txt"; cat "$RES/overlap_check.txt"
  bench 330 softmax_tb_fp16 "softmax --shapes tritonbench --dtype fp16 --peers quack,triton,torch"
  bench 150 softmax_longrows "softmax --shapes longrows --dtype fp32,fp16 --peers quack,triton,torch"
elif [ "$STEP" = mb ]; then
  bench 420 matmul_mix_bf16 "matmul --shapes matmul_mix --dtype bf16 --peers torch,compile"
  sed -n '/^shape/,/^first/p' "$RES/matmul_mix_bf16.log" | head -24
fi
mkdir -p "$RES/autotune" && cp -r "$KOPT_CACHE_DIR/autotune/." "$RES/autotune/" 2>/dev/null
tar czf "$OUT/$STEP.tgz" -C "$RES" . && rm -rf "$RES"
