# Sourced by the device scripts (gpu_tuned_1202d.sh, gpu_1202e.sh): the kopt CLI without its console script (the
# device's Python has kopt on PYTHONPATH, not installed) and one `kopt bench` table per call. Needs RES and OUT set.
set -u
mkdir -p "$OUT" "$RES"
export PYTHONUNBUFFERED=1
unset KOPT_AUTOTUNE  # kopt's default on CUDA: each shape's size bucket tuned on its first call
kopt_cli() { python3 -c "import sys; from kopt.tools.cli import main; sys.exit(main(sys.argv[1:]))" "$@"; }
bench() {  # bench LIMIT_S NAME ARGS...: one table, its log and files under $RES/NAME
  local limit=$1 name=$2; shift 2
  timeout "$limit" bash -c "$(declare -f kopt_cli); kopt_cli bench $* --out $RES/$name" > "$RES/$name.log" 2>&1
  echo "== $name (rc $?)"; grep -E "geomean|WRONG|failed" "$RES/$name.log" | head -6
  grep -c "tuned in" "$RES/$name.log"
}
