"""The language features this round added, on CUDA against torch: hl.randint, the atomics beyond add,
hl.inline_asm_elementwise (GPU only: the interpreter cannot run it), hl.register_tunable values, and
hl.register_block_size / new_zeros in device code, a loop-carried torch.maximum (bf16 once changed type), in fp32, fp16 and bf16 where the feature takes floats. One line per
check (OK / FAIL), a summary, exit status 1 on any failure.

    python benchmarks/gpu_language_check.py                 # every check
    python benchmarks/gpu_language_check.py maximum bfloat16  # the checks whose label holds one of the words
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

import kopt  # noqa: E402
import kopt.language as hl  # noqa: E402
from kopt.autotuner import PowerOfTwoFragment  # noqa: E402

FLOATS = (torch.float32, torch.float16, torch.bfloat16)


def randint_draw(x: torch.Tensor, seed: int) -> torch.Tensor:
    out = torch.zeros(x.shape, dtype=torch.int32, device=x.device)
    for tm, tn in hl.tile(x.shape):
        out[tm, tn] = hl.randint([tm, tn], -3, 7, seed)
    return out


def seg_extremes(x: torch.Tensor, ids: torch.Tensor, groups: int) -> torch.Tensor:
    out = torch.empty([groups, 2], dtype=x.dtype, device=x.device)
    out[:, 0] = float("-inf")
    out[:, 1] = float("inf")
    for t in hl.tile(x.size(0)):
        hl.atomic_max(out, [ids[t], 0], x[t])
        hl.atomic_min(out, [ids[t], 1], x[t])
    return out


def seg_bits(v: torch.Tensor, ids: torch.Tensor, groups: int) -> torch.Tensor:
    out = torch.zeros([groups, 3], dtype=torch.int32, device=v.device)
    out[:, 2] = -1
    for t in hl.tile(v.size(0)):
        hl.atomic_or(out, [ids[t], 0], v[t])
        hl.atomic_xor(out, [ids[t], 1], v[t])
        hl.atomic_and(out, [ids[t], 2], v[t])
    return out


def shift_left(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    for t in hl.tile(x.size(0)):
        out[t] = hl.inline_asm_elementwise("shl.b32 $0, $1, 3;", "=r,r", [x[t]], dtype=torch.int32, is_pure=True,
                                           pack=1)
    return out


def chunked_row_sums(x: torch.Tensor) -> torch.Tensor:
    chunk = hl.register_tunable("chunk", PowerOfTwoFragment(16, 256, 64))
    m, n = x.size()
    out = torch.empty([m], dtype=torch.float32, device=x.device)
    for tile_m in hl.tile(m):
        acc = hl.zeros([tile_m, chunk], dtype=torch.float32)
        for tile_n in hl.tile(n, block_size=chunk):
            acc = acc + x[tile_m, tile_n].to(torch.float32)
        out[tile_m] = acc.sum(-1)
    return out


def mm_block_n(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    m, k = x.size()
    _, n = y.size()
    block_n = hl.register_block_size(n)
    out = torch.empty([m, n], dtype=x.dtype, device=x.device)
    for tile_m, tile_n in hl.tile([m, n], block_size=[None, block_n]):
        acc = hl.zeros([tile_m, block_n], dtype=torch.float32)
        for tile_k in hl.tile(k):
            acc = acc + x[tile_m, tile_k] @ y[tile_k, tile_n]
        out[tile_m, tile_n] = (acc + x.new_zeros([tile_m, block_n]).to(torch.float32)).to(x.dtype)
    return out


def running_max(x: torch.Tensor) -> torch.Tensor:
    m, n = x.size()
    out = torch.empty([m], dtype=x.dtype, device=x.device)
    for tm in hl.tile(m):
        best = hl.full([tm], float("-inf"), dtype=x.dtype)
        for tn in hl.tile(n):
            best = torch.maximum(best, x[tm, tn].amax(1))
        out[tm] = best
    return out


def main() -> int:
    if not torch.cuda.is_available():
        print("gpu_language_check: no CUDA device")
        return 2
    print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}")
    results = []

    only = sys.argv[1:]  # words: run only the checks whose label holds one

    def check(label: str, fn) -> None:
        if only and not any(w in label for w in only):
            return
        try:
            problem = fn()
        except Exception as e:  # noqa: BLE001 - report and go on
            problem = f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"
        results.append(problem is None)
        print(f"{'OK' if problem is None else 'FAIL':<5} {label} {problem or ''}".rstrip(), flush=True)

    def randint_ok():
        r = kopt.kernel(randint_draw)(torch.zeros(1031, 517, device="cuda"), 11)
        counts = torch.bincount((r + 3).flatten().long(), minlength=10).double()
        chi2 = float((((counts - counts.mean()) ** 2) / counts.mean()).sum())
        same = torch.equal(r, kopt.kernel(randint_draw, config=kopt.Config(block_sizes=[8, 64]))(
            torch.zeros(1031, 517, device="cuda"), 11))
        ok = int(r.min()) == -3 and int(r.max()) == 6 and chi2 < 40 and same
        return None if ok else f"range [{int(r.min())}, {int(r.max())}], chi2 {chi2:.1f}, block-independent {same}"

    check("randint int32 [-3, 7) 1031x517", randint_ok)
    for dt in (torch.float32, torch.float64):  # Triton's float atomic max/min: fp32 and fp64 (halves refused)
        def extremes_ok(dt=dt):
            x, ids = torch.randn(100003, device="cuda").to(dt), torch.randint(0, 37, (100003,), device="cuda")
            got = kopt.kernel(seg_extremes)(x, ids, 37)
            want = torch.stack([torch.full([37], -torch.inf, device="cuda", dtype=dt).scatter_reduce(0, ids, x, "amax"),
                                torch.full([37], torch.inf, device="cuda", dtype=dt).scatter_reduce(0, ids, x, "amin")], 1)
            return None if torch.equal(got, want) else "differs from scatter_reduce"
        check(f"atomic_max/min {str(dt).removeprefix('torch.')}", extremes_ok)

    def bits_ok():
        v = torch.randint(0, 1 << 30, (50021,), device="cuda", dtype=torch.int32)
        ids = torch.randint(0, 13, (50021,), device="cuda")
        got = kopt.kernel(seg_bits)(v, ids, 13).cpu()
        vc, ic = v.cpu(), ids.cpu()
        for g in range(13):
            o = x_ = 0
            a = -1
            for m in vc[ic == g].tolist():
                o, x_, a = o | m, x_ ^ m, a & m
            want = [o, x_, a]
            if got[g].tolist() != want:
                return f"group {g}: {got[g].tolist()} vs {want}"
        return None

    check("atomic_or/xor/and int32", bits_ok)

    def asm_ok():
        x = torch.randint(-1000, 1000, (4099,), device="cuda", dtype=torch.int32)
        return None if torch.equal(kopt.kernel(shift_left)(x), x << 3) else "differs from x << 3"

    check("inline_asm_elementwise shl.b32", asm_ok)
    for dt in FLOATS:
        for chunk in (16, 64, 256):
            def tun_ok(dt=dt, chunk=chunk):
                x = torch.randn(257, 4097, device="cuda").to(dt)
                got = kopt.kernel(chunked_row_sums, config=kopt.Config(chunk=chunk))(x)
                torch.testing.assert_close(got, x.float().sum(1), rtol=1e-4, atol=1e-2)
                return None
            check(f"register_tunable chunk={chunk} {str(dt).removeprefix('torch.')}", tun_ok)
    for dt in FLOATS:
        def mm_ok(dt=dt):
            x, y = torch.randn(1025, 257, device="cuda").to(dt), torch.randn(257, 513, device="cuda").to(dt)
            got = kopt.kernel(mm_block_n)(x, y)
            torch.testing.assert_close(got.float(), (x.float() @ y.float()), rtol=2e-2, atol=2e-1)
            return None
        check(f"register_block_size in device code {str(dt).removeprefix('torch.')}", mm_ok)
    for dt in FLOATS:
        def running_max_ok(dt=dt):
            x = torch.randn(129, 1025, device="cuda").to(dt)
            x[3, 700] = float("nan")
            return None if torch.equal(kopt.kernel(running_max)(x).isnan(), x.amax(1).isnan()) and torch.allclose(
                kopt.kernel(running_max)(x).nan_to_num(), x.amax(1).nan_to_num()) else "differs from amax"
        check(f"loop-carried torch.maximum {str(dt).removeprefix('torch.')}", running_max_ok)
    print(f"summary: ok {sum(results)}, fail {len(results) - sum(results)}")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
