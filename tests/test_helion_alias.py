"""`python -m kopt.helion script.py` runs a Helion program unmodified (`import helion`, `helion.kernel`,
`helion.Config`, `helion.language`, `helion._testing.run_example`), and names what of Helion kopt does not model."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from tests.helpers import ROOT

HELION_SCRIPT = textwrap.dedent('''
    from __future__ import annotations

    import torch

    import helion
    import helion.language as hl
    from helion._testing import DEVICE, run_example


    @helion.kernel(autotune_effort="none")
    def softmax(x: torch.Tensor) -> torch.Tensor:
        n, _m = x.size()
        out = torch.empty_like(x)
        for tile_n in hl.tile(n):
            out[tile_n, :] = torch.nn.functional.softmax(x[tile_n, :], dim=1)
        return out


    @helion.kernel(config=helion.Config(block_sizes=[16]), print_output_code=False)
    def rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
        m, n = x.size()
        out = torch.empty_like(x)
        for tile_m in hl.tile(m):
            x_tile = x[tile_m, :].to(torch.float32)
            inv_rms = torch.rsqrt(torch.mean(x_tile * x_tile, dim=-1) + eps)
            out[tile_m, :] = (x_tile * inv_rms[:, None] * weight[None, :].to(torch.float32)).to(out.dtype)
        return out


    def main() -> None:
        x = torch.randn([37, 129], device=DEVICE)
        run_example(softmax, lambda x: torch.softmax(x, dim=1), (x,), rtol=1e-5, atol=1e-5)
        w = torch.randn([129], device=DEVICE)
        run_example(rms_norm, lambda x, w: torch.nn.functional.rms_norm(x, (129,), w, 1e-5), (x, w), rtol=1e-5,
                    atol=1e-5)
        try:
            rms_norm(x, torch.randn([128], device=DEVICE))
        except helion.exc.ShapeMismatch as e:  # every kopt diagnostic is a KoptError, which helion.exc.* names
            print("mismatch caught:", str(e).splitlines()[0])


    if __name__ == "__main__":
        main()
''')


def _run(script, tmp_path, *args):
    path = tmp_path / "helion_script.py"
    path.write_text(script)
    env = {**os.environ, "TRITON_INTERPRET": "1", "KOPT_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "kopt.helion", str(path), *args], capture_output=True, text=True,
                          env=env, timeout=300)


def test_a_helion_script_runs_unmodified(tmp_path):
    r = _run(HELION_SCRIPT, tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("run_example: helion match torch") == 2, r.stdout
    assert "mismatch caught:" in r.stdout and "must be equal here" in r.stdout
    assert "helion_script.py:" in r.stdout  # located in the user's file


def test_unmodelled_parts_of_helion_are_named(tmp_path):
    r = _run("import helion\nimport helion.runtime\n", tmp_path)
    assert r.returncode == 1
    assert "`helion.runtime` is a part of Helion that kopt does not model" in r.stderr
    r = _run("import helion\nfrom helion.autotuner import LFBOPatternSearch\n", tmp_path)
    assert r.returncode == 1 and "LFBOPatternSearch" in r.stderr and "helion.autotuner" in r.stderr, r.stderr
    r = _run("import helion\nhelion.cdiv(4, 2)\n", tmp_path)
    assert "`helion.cdiv` is a part of Helion that kopt does not model" in r.stderr


def test_an_unknown_kernel_option_is_an_error_naming_it(tmp_path):
    r = _run("import helion\n@helion.kernel(frobnicate=True)\ndef k(x):\n    return x\n", tmp_path)
    assert r.returncode == 1
    assert "helion.kernel: option 'frobnicate' is not modelled by kopt" in r.stderr


def test_install_and_uninstall_in_process():
    from kopt import helion as alias

    alias.install()
    try:
        import helion
        import helion.language as hl

        import kopt.language

        assert hl is kopt.language and helion.Config is not None
        with pytest.raises(ImportError, match="helion.runtime"):
            import helion.runtime  # noqa: F401
    finally:
        alias.uninstall()
    assert "helion" not in sys.modules


TUNABLE_SCRIPT = """
import torch
import helion
import helion.language as hl
from helion.autotuner import PowerOfTwoFragment


@helion.kernel(config=helion.Config(block_sizes=[4], chunk=16))
def row_sums(x: torch.Tensor) -> torch.Tensor:
    chunk = hl.register_tunable("chunk", PowerOfTwoFragment(8, 64, 32))
    m, n = x.size()
    out = torch.empty([m], dtype=x.dtype, device=x.device)
    for tile_m in hl.tile(m):
        acc = hl.zeros([tile_m, chunk], dtype=torch.float32)
        for tile_n in hl.tile(n, block_size=chunk):
            acc = acc + x[tile_m, tile_n]
        out[tile_m] = acc.sum(-1)
    return out


x = torch.randn(7, 45)
torch.testing.assert_close(row_sums(x), x.sum(1), rtol=1e-5, atol=1e-5)
print("tunable ok", "16)" in row_sums.compile(x).triton_source)
"""


def test_a_helion_tunable_runs_unmodified(tmp_path):
    r = _run(TUNABLE_SCRIPT, tmp_path)
    assert r.returncode == 0, r.stderr
    assert "tunable ok True" in r.stdout, r.stdout
