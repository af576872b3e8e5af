"""Element types: one table linking kopt's short names, xDSL types, torch and Triton."""

from __future__ import annotations

from xdsl.dialects.builtin import (
    BFloat16Type,
    Float16Type,
    Float32Type,
    Float64Type,
    IntegerType,
)
from xdsl.ir import Attribute

# short name -> (xDSL type, torch dtype name, Triton dtype name)
_TABLE: dict[str, tuple[Attribute, str, str]] = {
    "f32": (Float32Type(), "float32", "tl.float32"),
    "f16": (Float16Type(), "float16", "tl.float16"),
    "bf16": (BFloat16Type(), "bfloat16", "tl.bfloat16"),
    "f64": (Float64Type(), "float64", "tl.float64"),
    "i1": (IntegerType(1), "bool", "tl.int1"),
    "i8": (IntegerType(8), "int8", "tl.int8"),
    "i16": (IntegerType(16), "int16", "tl.int16"),
    "i32": (IntegerType(32), "int32", "tl.int32"),
    "i64": (IntegerType(64), "int64", "tl.int64"),
}
_BY_TYPE = {v[0]: k for k, v in _TABLE.items()}
_BY_TORCH = {v[1]: k for k, v in _TABLE.items()}

SHORT_NAMES = tuple(_TABLE)
f32, f16, bf16, i1, i32, i64 = (_TABLE[k][0] for k in ("f32", "f16", "bf16", "i1", "i32", "i64"))


def from_short(name: str) -> Attribute:
    return _TABLE[name][0]


def elem_bytes(t: Attribute) -> int:
    """Bytes of one element in memory (a bool takes a byte)."""
    return max(1, t.bitwidth // 8)


def short_name(t: Attribute) -> str:
    return _BY_TYPE[t]


def from_torch_name(name: str) -> str | None:
    """'float32' or 'torch.float32' -> 'f32'; None when kopt has no such element type."""
    return _BY_TORCH.get(name.removeprefix("torch."))


def torch_name(t: Attribute) -> str:
    return _TABLE[_BY_TYPE[t]][1]


def triton_name(t: Attribute) -> str:
    return _TABLE[_BY_TYPE[t]][2]


def is_float(t: Attribute) -> bool:
    return short_name(t) in ("f32", "f16", "bf16", "f64")


def is_bool(t: Attribute) -> bool:
    return t == i1


_RANK = ["i1", "i8", "i16", "i32", "i64", "f16", "bf16", "f32", "f64"]


def promote(a: Attribute, b: Attribute) -> Attribute:
    """torch's type promotion between two tensors of these element types."""
    sa, sb = short_name(a), short_name(b)
    if {sa, sb} == {"f16", "bf16"}:
        return _TABLE["f32"][0]
    return a if _RANK.index(sa) >= _RANK.index(sb) else b
