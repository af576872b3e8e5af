"""Unsupported constructs: one located diagnostic, exit 1, no traceback."""

from __future__ import annotations

import re

import pytest

from kopt.tools.cli import main

HEADER = "import torch\nimport kopt\nimport kopt.language as hl\n\n"
LOCATED = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): error: (?P<msg>.+)$")

CASES = {
    "while_loop": ("@kopt.kernel\ndef k(x):\n    n, m = x.size()\n    for t in hl.tile(n):\n        while True:\n"
                   "            pass\n    return x\n", (9, 9), "a `while` loop is not supported inside a tile loop"),
    "if_one_branch": ("@kopt.kernel\ndef k(x):\n    n, m = x.size()\n    out = torch.empty_like(x)\n"
                      "    for t in hl.tile(n):\n        if n > 2:\n            y = x[t, :]\n        out[t, :] = y\n"
                      "    return out\n", (12, 21), "`y` is assigned in only one branch of the `if` on line 10, and used after it"),
    "unknown_call": ("@kopt.kernel\ndef k(x):\n    n, m = x.size()\n    out = torch.empty_like(x)\n"
                     "    for t in hl.tile(n):\n        out[t, :] = torch.fft.fft(x[t, :])\n    return out\n",
                     (10, 21), "call to `torch.fft.fft` is not supported in a tile loop"),
    "bad_dim": ("@kopt.kernel\ndef k(x):\n    n, m = x.size()\n    out = torch.empty([n], device=x.device)\n"
                "    for t in hl.tile(n):\n        out[t] = torch.sum(x[t, :], dim=2)\n    return out\n",
                (10, 41), "dim 2 is out of range for a tile of rank 2"),
    "too_many_subscripts": ("@kopt.kernel\ndef k(x):\n    n, m = x.size()\n    out = torch.empty_like(x)\n"
                            "    for t in hl.tile(n):\n        out[t, :] = x[t, :, :]\n    return out\n",
                            (10, 21), "3 subscripts for `x`, a tensor of rank 2"),
    "undefined_name": ("@kopt.kernel\ndef k(x):\n    n, m = x.size()\n    out = torch.empty_like(x)\n"
                       "    for t in hl.tile(n):\n        out[t, :] = x[t, :] * scale\n    return out\n",
                       (10, 31), "`scale` is not defined here"),
    "broadcast_mismatch": ("@kopt.kernel\ndef k(x, y):\n    n, m = x.size()\n    p, q = y.size()\n"
                           "    assert q == 2 * m\n    out = torch.empty_like(x)\n    for t in hl.tile(n):\n"
                           "        out[t, :] = x[t, :] + y[t, :]\n    return out\n",
                           (12, 21), "cannot broadcast shapes [_BLOCK_SIZE_0, m] and [_BLOCK_SIZE_0, q]"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_located_error(name, tmp_path, capsys):
    body, (line, col), message = CASES[name]
    path = tmp_path / f"{name}.py"
    path.write_text(HEADER + body)
    code = main([str(path)])
    err = capsys.readouterr().err
    assert code == 1
    m = LOCATED.match(err.splitlines()[0])
    assert m, err
    assert (m["file"], int(m["line"]), int(m["col"])) == (str(path), line, col), err
    assert m["msg"] == message
    assert "Traceback" not in err
    source_line = (HEADER + body).splitlines()[line - 1]
    assert err.splitlines()[1] == source_line
    assert err.splitlines()[2] == " " * (col - 1) + "^"
