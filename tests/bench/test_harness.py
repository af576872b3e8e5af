"""CPU tests of the benchmark harness (``kopt bench``): shape sets, the end-to-end run with
a deliberately wrong implementation, the hand-written Triton peers under the interpreter, and
the CLI called in-process."""

import csv

import pytest
import torch

from kopt.tools.bench import cli, harness, peers, shapes, specs


# ------------------------------------------------------------------------------ shape sets
def test_tritonbench_has_98_shapes():
    s = shapes.get_shapes("tritonbench")
    assert len(s) == 98
    assert s[0] == (4096, 256) and s[-1] == (4096, 12672)
    assert all(m == 4096 and n % 128 == 0 for m, n in s)


def test_tritonbench15_is_an_even_subset():
    s = shapes.get_shapes("tritonbench15")
    assert len(s) == 15
    assert (4096, 256) in s and (4096, 12672) in s
    assert set(s) <= set(shapes.get_shapes("tritonbench"))
    ns = [n for _, n in s]
    gaps = [b - a for a, b in zip(ns, ns[1:])]
    assert ns == sorted(ns) and max(gaps) - min(gaps) <= 128


def test_other_sets():
    assert shapes.get_shapes("longrows") == [(32768, 32768), (32768, 65536), (16384, 131072), (8192, 262144)]
    sweep = shapes.get_shapes("longrows_sweep")
    assert len(sweep) == 11 and (32768, 65536) in sweep and (8192, 262144) in sweep
    assert [n for _, n in shapes.get_shapes("vocab")] == [4096, 32768, 65536, 131072]
    assert [n for _, n in shapes.get_shapes("norm8k")] == [1024 << k for k in range(6)]
    assert [n for _, n in shapes.get_shapes("norm")] == [512, 1024, 2048, 4096, 8192, 16384]
    mm = shapes.get_shapes("matmul", "matmul")
    assert len(mm) == 7 and sum(1 for m, n, k in mm if not m == n == k) == 2
    assert all(len(s) == 3 for s in shapes.get_shapes("small", "matmul"))
    assert (7, 33) in shapes.get_shapes("small", "softmax")
    for kernel in specs.KERNELS:  # every kernel has a default set of the right rank
        shapes.get_shapes(shapes.default_shape_set(kernel), kernel)


def test_the_dot_kernel_sets():
    """Issue 17's matmul shapes (as M, N, K) and attention shapes (batch*heads, seq, head dim)."""
    mix = shapes.get_shapes("matmul_mix", "matmul")
    assert {(2048,) * 3, (4096,) * 3, (8192,) * 3} <= set(mix)
    assert (16384, 4096, 1024) in mix and (1024, 1024, 16384) in mix and (4097, 1023, 4095) in mix
    assert {m for m, n, k in mix if (n, k) in ((4096, 14336), (14336, 4096))} == {16, 128, 2048}
    att = shapes.get_shapes("attention", "attention")
    assert sorted({s for _, s, _ in att}) == [1024, 4096, 8192] and sorted({d for *_, d in att}) == [64, 128]
    assert shapes.get_shapes("small", "causal_attention") == shapes.get_shapes("small_attention")
    with pytest.raises(ValueError, match="3-D"):
        shapes.get_shapes("norm", "attention")


@pytest.mark.parametrize("kernel", ["attention", "causal_attention"])
def test_attention_runs_kopt_and_its_peers_against_sdpa(kernel, tmp_path):
    """kopt's example, SDPA (the reference) and the hand-written Triton kernel on the interpreter; flops causal-aware."""
    from kopt.tools.bench.kopt_impl import kopt_impls

    shape = shapes.get_shapes("small", kernel)[:1]
    run = harness.run(kernel, shape, {**kopt_impls(kernel), **peers.peers_for(kernel)}, "fp32", device="cpu",
                      out_dir=tmp_path, tag="small", echo=None, progress=lambda line: None)
    assert run.unit == "TFLOP/s" and run.impls == ["kopt", "torch", "triton"]
    assert all(run.row(shape[0], name).status == "ok" for name in run.impls)
    bh, seq, d = shape[0]
    assert specs.get_spec(kernel).work(shape[0], 4) == (2 if kernel == "causal_attention" else 4) * bh * seq * seq * d


def test_shape_set_errors():
    with pytest.raises(KeyError, match="tritonbench"):
        shapes.get_shapes("nope")
    with pytest.raises(ValueError, match="3-D"):
        shapes.get_shapes("norm", "matmul")


# ------------------------------------------------------------------------------- harness
def _wrong(inputs):
    (x,) = inputs
    return lambda: torch.softmax(x, dim=-1) + 0.1


def _broken(inputs):
    raise RuntimeError("boom\nsecond line")


def _missing(inputs):
    raise peers.Unavailable("not installed here")


def test_run_end_to_end_marks_wrong(tmp_path):
    impls = {"torch": peers.peers_for("softmax", ["torch"])["torch"], "fake": _wrong,
             "broken": _broken, "missing": _missing}
    small = shapes.get_shapes("small")
    run = harness.run("softmax", small, impls, "fp32", device="cpu", out_dir=tmp_path, tag="small",
                      echo=None, progress=lambda line: None)
    assert run.impls == ["torch", "fake", "broken", "missing", "copy"]
    for shape in small:
        ok = run.row(shape, "torch")
        assert ok.status == "ok" and ok.ms > 0 and ok.rate > 0 and ok.pct_of_copy > 0
        assert ok.first_call_s is not None
        wrong = run.row(shape, "fake")
        assert wrong.status == "WRONG" and wrong.ms is None and wrong.rate is None
        assert "Mismatched" in wrong.detail
        assert run.row(shape, "broken").status == "failed: RuntimeError: boom"
        assert run.row(shape, "missing").status == "unavailable: not installed here"
        assert run.row(shape, "copy").pct_of_copy == 100.0
    table = run.table()
    assert "WRONG" in table and "geomean" in table and "% of copy" in table
    assert "missing: unavailable: not installed here" in table
    assert "missing" not in table.splitlines()[2]  # never-available columns are not shown

    with open(tmp_path / "softmax_fp32_small.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["kernel", "dtype", "shape", "impl", "ms", "gbps_or_tflops", "pct_of_copy",
                             "status", "first_call_s"]
    assert len(rows) == len(small) * 5
    fake = [r for r in rows if r["impl"] == "fake"]
    assert all(r["status"].startswith("WRONG") and r["ms"] == "" for r in fake)
    assert (tmp_path / "softmax_fp32_small.png").stat().st_size > 1000
    assert (tmp_path / "softmax_fp32_small.txt").read_text().startswith("kopt bench softmax")


def test_compare():
    ref = torch.ones(4, 5)
    assert harness.compare(ref.clone(), ref, 1e-4, 1e-5) is None
    assert "shape" in harness.compare(torch.ones(5, 4), ref, 1e-4, 1e-5)
    assert "not a tensor" in harness.compare(3.0, ref, 1e-4, 1e-5)
    bad = ref.clone()
    bad[1, 2] = float("nan")
    assert "Mismatched elements: 1 / 20" in harness.compare(bad, ref, 1e-4, 1e-5)
    # atol scales with the output: an all-zero softmax (values ~1/N) is caught even in bf16
    probs = torch.softmax(torch.randn(4, 4096), dim=-1)
    assert harness.compare(torch.zeros_like(probs), probs, 4e-2, 4e-2) is not None
    assert harness.compare(probs.bfloat16(), probs, 4e-2, 4e-2) is None


def test_matmul_reports_tflops_without_copy():
    run = harness.run("matmul", [(16, 16, 16)], peers.peers_for("matmul", ["torch"]), "fp32", device="cpu",
                      echo=None, progress=lambda line: None)
    assert run.unit == "TFLOP/s" and run.impls == ["torch"]
    assert run.rows[0].ok and run.rows[0].pct_of_copy is None


def test_peer_selection():
    assert list(peers.peers_for("softmax", ["naive", "torch"])) == ["naive", "torch"]
    assert "helion" not in peers.peers_for("layer_norm")
    assert list(peers.peers_for("attention", ["compile", "torch"])) == ["torch"]
    with pytest.raises(ValueError, match="bogus"):
        peers.peers_for("softmax", ["bogus"])


def test_max_autotune_matmul_runs_on_three_shapes_only():
    """torch.compile max-autotune tunes each matmul shape for minutes: other shapes say so instead of running."""
    factory = peers.peers_for("matmul", ["compile"])["compile"]
    spec = specs.get_spec("matmul")
    with pytest.raises(peers.Unavailable, match="4096x4096x4096, 1024x1024x16384, 128x4096x4096 only"):
        factory(spec.inputs((33, 17, 40), torch.float32, "cpu"))
    assert (4096, 4096, 4096) in peers.MAX_AUTOTUNE_MATMUL


# ------------------------------------------------------------------- Triton peers (interpreter)
@pytest.mark.parametrize("shape", [(1, 1), (7, 33), (16, 128), (3, 257), (5, 1000)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
def test_triton_softmax_interpreted(shape, dtype):
    from kopt.tools.bench import triton_rows

    x = torch.randn(shape).to(dtype)
    want = torch.softmax(x.float(), dim=-1)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == torch.float32 else dict(rtol=1e-2, atol=1e-3)
    torch.testing.assert_close(triton_rows.softmax(x).float(), want, **tol)
    # the chunked two-pass kernel used for long rows, forced with a small chunk
    torch.testing.assert_close(triton_rows.softmax(x, loop_block=64).float(), want, **tol)


def test_triton_softmax_strided_rows():
    from kopt.tools.bench import triton_rows

    x = torch.randn(9, 80)[:, :50]  # row stride 80, not 50
    torch.testing.assert_close(triton_rows.softmax(x), torch.softmax(x, dim=-1), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kernel", ["layer_norm", "rms_norm", "cross_entropy"])
@pytest.mark.parametrize("shape", [(1, 7), (37, 97), (20, 300)])
def test_triton_row_peers_interpreted(kernel, shape):
    spec = specs.get_spec(kernel)
    inputs = spec.inputs(shape, torch.float32, "cpu")
    out = peers.peers_for(kernel, ["triton"])["triton"](inputs)()
    assert harness.compare(out, spec.reference(inputs), *spec.tolerance(torch.float32)) is None


def test_triton_cross_entropy_chunked():
    from kopt.tools.bench import triton_rows

    x, y = torch.randn(6, 300), torch.randint(0, 300, (6,))
    got = triton_rows.cross_entropy(x, y, block=64)
    torch.testing.assert_close(got, torch.nn.functional.cross_entropy(x, y), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
@pytest.mark.parametrize("shape", [(16, 16, 16), (33, 17, 40), (64, 48, 96)])
def test_triton_matmul_interpreted(dtype, shape):
    # bf16 is left to the GPU: the interpreter's bf16 tl.dot is wrong (max error ~5e10 on a 64x32x64 product).
    spec = specs.get_spec("matmul")
    inputs = spec.inputs(shape, dtype, "cpu")
    out = peers.peers_for("matmul", ["triton"])["triton"](inputs)()
    assert out.dtype == dtype
    assert harness.compare(out, spec.reference(inputs), *spec.tolerance(dtype)) is None


@pytest.mark.parametrize("kernel", ["attention", "causal_attention"])
def test_attention_bf16_tolerance_takes_flash_rounding_not_wrong_outputs(kernel):
    """bf16 attention as flash attention computes it (probabilities rounded to bf16 before the product with V, the
    output rounded to bf16) passes the check; a wrong scale (1/d for 1/sqrt(d)), a dropped or added causal mask or
    zeros do not."""
    spec = specs.get_spec(kernel)
    q, k, v = spec.inputs((2, 97, 32), torch.bfloat16, "cpu")
    ref = spec.reference((q, k, v))
    s = q.float() @ k.float().transpose(1, 2) / 32 ** 0.5
    if kernel == "causal_attention":
        s = s.masked_fill(torch.ones(97, 97, dtype=torch.bool).triu(1), float("-inf"))
    flash = (torch.softmax(s, -1).to(torch.bfloat16).float() @ v.float()).to(torch.bfloat16)
    tol = spec.tolerance(torch.bfloat16)
    assert harness.compare(flash, ref, *tol) is None
    scaled = (torch.softmax(s / 32 ** 0.5, -1) @ v.float()).to(torch.bfloat16)
    assert harness.compare(scaled, ref, *tol) is not None
    assert harness.compare(torch.zeros_like(flash), ref, *tol) is not None
    other = specs.get_spec("causal_attention" if kernel == "attention" else "attention").reference((q, k, v))
    assert harness.compare(other.to(torch.bfloat16), ref, *tol) is not None


# ------------------------------------------------------------------------------------ CLI
def test_cli_in_process(tmp_path, capsys):
    rc = cli.main(["softmax", "--shapes", "small", "--limit", "2", "--peers", "torch,naive,triton",
                   "--dtype", "fp32", "--dtype", "fp16", "--out", str(tmp_path), "--no-plot"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "kopt bench softmax  dtype=fp16" in out and "WRONG" not in out
    for dt in ("fp32", "fp16"):
        with open(tmp_path / f"softmax_{dt}_small.csv") as fh:
            rows = list(csv.DictReader(fh))
        # kopt, torch, naive, triton and the copy ceiling, on 2 shapes
        assert len(rows) == 2 * 5 and all(r["status"] == "ok" for r in rows)
    assert not list(tmp_path.glob("*.png"))


def test_a_second_kopt_pipeline_runs_beside_the_default(tmp_path, capsys):
    """`--kopt-pipeline LABEL=PIPELINE`: the same example compiled by another pipeline (a change's before), checked
    against torch and timed in the same run."""
    from kopt.passes.pipeline import DEFAULT_PIPELINE

    before = DEFAULT_PIPELINE.replace("loop-peeling,", "").replace("masking", "masking{choose-padding=false}")
    rc = cli.main(["softmax", "--shapes", "small", "--limit", "2", "--peers", "none", "--dtype", "fp32",
                   "--kopt-pipeline", f"selects={before}", "--out", str(tmp_path), "--no-plot"])
    assert rc == 0 and "WRONG" not in capsys.readouterr().out
    with open(tmp_path / "softmax_fp32_small.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["impl"] for r in rows} >= {"kopt", "selects"} and all(r["status"] == "ok" for r in rows)
    assert cli.main(["softmax", "--kopt-pipeline", "no-equals-sign"]) == 2


def test_cli_bad_arguments(capsys):
    assert cli.main(["nope"]) == 2
    assert cli.main(["softmax", "--peers", "bogus"]) == 2
    assert cli.main(["softmax", "--dtype", "fp8"]) == 2
    assert cli.main(["matmul", "--shapes", "norm"]) == 2
    assert cli.main(["--help"]) == 0
    assert "KERNEL" in capsys.readouterr().out


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("shape", [(1, 1, 16), (2, 70, 32), (3, 129, 16), (1, 257, 64)])
def test_triton_attention_peer_interpreted(shape, causal):
    """The hand-written flash-attention peer of benchmarks/attention_bench.py, against torch's SDPA."""
    from kopt.tools.bench import triton_attention

    q, k, v = (torch.randn(*shape) for _ in range(3))
    want = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal)
    torch.testing.assert_close(triton_attention.attention(q, k, v, causal), want, atol=1e-4, rtol=1e-4)
