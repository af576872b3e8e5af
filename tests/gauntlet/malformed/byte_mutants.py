"""Input files that are not clean text: NUL bytes, bytes that are not UTF-8, nothing at all. `kopt FILE` must say
where (`file:line:col`), never fail inside Python's parser or the IR parser with a traceback."""

from __future__ import annotations

from dataclasses import dataclass

KERNEL = (b"import torch\nimport kopt\nimport kopt.language as hl\n\n\n@kopt.kernel\ndef k(x):\n"
          b"    (n,) = x.size()\n    out = torch.empty_like(x)\n    for t in hl.tile(n):\n        out[t] = x[t]\n"
          b"    return out\n")


@dataclass(frozen=True)
class ByteMutant:
    name: str
    suffix: str  # .py or .tile
    data: bytes
    expected: str  # a fragment of the message
    line: int
    col: int


MUTANTS = [
    ByteMutant("nul_in_python", ".py", KERNEL.replace(b"out[t] = x[t]", b"out[t] = x[t]\x00"), "contains a NUL byte",
               11, 22),
    ByteMutant("nul_at_start", ".py", b"\x00" + KERNEL, "contains a NUL byte", 1, 1),
    ByteMutant("nul_in_tile", ".tile", b"builtin.module {\n\x00}\n", "contains a NUL byte", 2, 1),
    ByteMutant("latin1_in_a_comment", ".py", b"# caf\xe9\n" + KERNEL, "is not UTF-8 text: byte 0xe9", 1, 6),
    ByteMutant("utf16_file", ".py", "x = 1\n".encode("utf-16"), "is not UTF-8 text: byte 0xff", 1, 1),
    ByteMutant("cut_multibyte_character", ".py", KERNEL.replace(b"return out", b"return out  # \xe2\x82"),
               "is not UTF-8 text: byte 0xe2", 12, 19),
    ByteMutant("png_as_tile", ".tile", b"\x89PNG\r\n\x1a\n\x00\x00", "is not UTF-8 text: byte 0x89", 1, 1),
    ByteMutant("empty_python", ".py", b"", "no @kopt.kernel function found", 1, 1),
    ByteMutant("blank_tile", ".tile", b"\n   \n\n", "empty input", 1, 1),
    ByteMutant("only_a_comment_tile", ".tile", b"// nothing here\n", "empty input", 1, 1),
]
