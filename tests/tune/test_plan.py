"""What a tuning job covers, without running it: cases from shape sets, shapes, argument types and the shape log a
run records (KOPT_RECORD_SHAPES), grouped into units (kernel, specialization, size bucket) and, inside a unit,
by what Triton specializes on."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch

from kopt.errors import KoptError
from kopt.runtime.shape_log import describe, read_log, rebuild
from kopt.tools.cli import main as kopt_main
from kopt.tools.tune import cases_for
from kopt.tools.tune.plan import make_units, parse_args_spec, resolve_kernels, triton_group
from tests.helpers import ROOT

KERNELS = ROOT / "tests" / "tune" / "tune_kernels.py"


def test_units_group_cases_by_specialization_and_bucket():
    kernels = resolve_kernels([str(KERNELS)])
    assert sorted(kernels) == [f"tune_kernels.py:{n}" for n in ("matmul", "matmul_big", "rms_norm", "softmax")]
    cases = cases_for(kernels, shapes={"softmax": [(8, 100), (8, 128), (5, 128), (16, 128)]},
                      args={"softmax": [(torch.empty(8, 128, dtype=torch.float16, device="meta"),)],
                            "matmul": ["f16[33,40],f16[40,17]"]},
                      shape_set={"rms_norm": "small"})
    units, problems = make_units(cases, kernels)
    labels = {u.label: [c.label for c in u.cases] for u in units}
    assert labels == {
        "softmax f32[8x128]": ["f32[8x100]", "f32[8x128]", "f32[5x128]"],  # one bucket: one tuned config
        "softmax f32[16x128]": ["f32[16x128]"],
        "softmax f16[8x128]": ["f16[8x128]"],  # another dtype: another compile
        "matmul f16[64x64] f16[64x32]": ["f16[33x40] f16[40x17]"],
        "rms_norm f32[8x64] f32[64]": ["f32[7x33] f32[33] 1e-05"],  # kopt bench's small set: (7, 33), (16, 128), ...
        "rms_norm f32[16x128] f32[128]": ["f32[16x128] f32[128] 1e-05"],
        "rms_norm f32[4x512] f32[512]": ["f32[3x257] f32[257] 1e-05"],
    }
    assert problems == []
    soft = next(u for u in units if u.label == "softmax f32[8x128]")
    assert soft.groups == [[0], [1, 2]]  # N = 100 or 128 (divisible by 16); M = 8 and 5 alike (neither 1 nor % 16)


def test_triton_groups_follow_divisibility_by_16_and_ones():
    def group(*shape):
        return triton_group(describe([torch.empty(*shape)]))

    assert group(16, 128) == group(32, 256) != group(16, 100)
    assert group(8, 128) == group(5, 128) != group(32, 128)
    assert group(1, 128) != group(16, 128)
    assert triton_group(describe([torch.empty(4), 1])) != triton_group(describe([torch.empty(4), 16]))


def test_cases_a_kernel_refuses_are_reported_not_fatal():
    kernels = resolve_kernels([f"{KERNELS}:softmax"])
    cases = cases_for(kernels, args={"softmax": [(torch.empty(4, 4, dtype=torch.complex64, device="meta"),),
                                                 (torch.empty(4, 4, device="meta"),)]})
    units, problems = make_units(cases, kernels)
    assert [u.label for u in units] == ["softmax f32[4x4]"]
    assert len(problems) == 1 and problems[0]["case"].startswith("tune_kernels.py:softmax ")
    assert "dtype torch.complex64 is not supported by kopt" in problems[0]["error"]


def test_argument_text_and_its_rebuild():
    metas = parse_args_spec("f16[8,1024,64],bf16[3],i64[2, 2],1e-5,7,True,None")
    assert metas == [["tensor", [8, 1024, 64], [65536, 64, 1], "float16"], ["tensor", [3], [1], "bfloat16"],
                     ["tensor", [2, 2], [2, 1], "int64"], ["value", 1e-5], ["value", 7], ["value", True],
                     ["value", None]]
    values = rebuild(metas, "cpu")
    assert values[0].shape == (8, 1024, 64) and values[0].dtype == torch.float16 and values[3:] == [1e-5, 7, True, None]
    assert torch.equal(values[2], torch.zeros(2, 2, dtype=torch.int64))
    with pytest.raises(KoptError, match="expected dtype"):
        parse_args_spec("f16[8],banana")


RECORD = r"""
import sys, torch
sys.path.insert(0, sys.argv[1])
from tests.tune import tune_kernels as k
for shape in [(8, 100), (8, 120), (16, 100)]:  # two buckets
    k.softmax(torch.randn(*shape))
k.rms_norm(torch.randn(4, 32), torch.randn(32), 1e-5)
k.rms_norm(torch.randn(4, 32), torch.randn(32), 1e-5)
"""


def test_a_run_records_its_shapes_and_the_log_plans_a_job(tmp_path):
    log = tmp_path / "shapes.jsonl"
    env = dict(os.environ, KOPT_RECORD_SHAPES=str(log), TRITON_INTERPRET="1", KOPT_AUTOTUNE="0")
    r = subprocess.run([sys.executable, "-c", RECORD, str(ROOT)], capture_output=True, text=True, env=env, cwd=ROOT,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    entries = read_log(log)
    assert [(e["kernel"], e["args"][0][1]) for e in entries] == [("softmax", [8, 100]), ("softmax", [16, 100]),
                                                                 ("rms_norm", [4, 32])]
    assert entries[2]["args"][2] == ["value", 1e-5] and entries[0]["file"] == str(KERNELS)

    from kopt.tools.tune.plan import log_cases

    cases, kernels = log_cases(log, {})
    units, _ = make_units(cases, {k: v for k, v in kernels.items() if v is not None})
    assert [u.label for u in units] == ["softmax f32[8x128]", "softmax f32[16x128]", "rms_norm f32[4x32] f32[32]"]


def test_the_tune_command_says_what_is_missing(capsys):
    assert kopt_main(["tune", str(KERNELS)]) == 1
    assert "no shapes to tune for" in capsys.readouterr().err
    assert kopt_main(["tune", "no/such/file.py", "--shapes", "small"]) == 1
    assert "no such file" in capsys.readouterr().err
    assert kopt_main(["tune", f"{KERNELS}:nope", "--shapes", "small"]) == 1
    assert "has no @kopt.kernel named 'nope'" in capsys.readouterr().err
    assert kopt_main(["tune", f"{KERNELS}:matmul_big", "--shapes", "small"]) == 1  # a set for every kernel: skipped
    assert "tune_kernels.py:matmul_big: shape set 'small' left out: no argument layout is known" \
        in capsys.readouterr().err
    assert kopt_main(["tune", f"{KERNELS}:matmul_big", "--shape", "matmul_big=4x4x4"]) == 1  # for it: an error
    assert "no argument layout is known for 'matmul_big'" in capsys.readouterr().err
