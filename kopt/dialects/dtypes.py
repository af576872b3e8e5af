"""Element types: one table linking kopt's short names, xDSL types, torch and Triton."""

from __future__ import annotations

from xdsl.dialects.builtin import (
    BFloat16Type,
    Float8E4M3FNType,
    Float8E5M2Type,
    Float16Type,
    Float32Type,
    Float64Type,
    IntegerType,
)
from xdsl.ir import Attribute

from kopt.errors import KoptError

# short name -> (xDSL type, torch dtype name, Triton dtype name)
_TABLE: dict[str, tuple[Attribute, str, str]] = {
    "f32": (Float32Type(), "float32", "tl.float32"),
    "f16": (Float16Type(), "float16", "tl.float16"),
    "bf16": (BFloat16Type(), "bfloat16", "tl.bfloat16"),
    "f64": (Float64Type(), "float64", "tl.float64"),
    "f8e4m3": (Float8E4M3FNType(), "float8_e4m3fn", "tl.float8e4nv"),
    "f8e5m2": (Float8E5M2Type(), "float8_e5m2", "tl.float8e5"),
    "i1": (IntegerType(1), "bool", "tl.int1"),
    "i8": (IntegerType(8), "int8", "tl.int8"),
    "i16": (IntegerType(16), "int16", "tl.int16"),
    "i32": (IntegerType(32), "int32", "tl.int32"),
    "i64": (IntegerType(64), "int64", "tl.int64"),
}
_BY_TYPE = {v[0]: k for k, v in _TABLE.items()}
_BY_TORCH = {v[1]: k for k, v in _TABLE.items()} | {  # torch's other spellings of the same dtypes
    "float": "f32", "half": "f16", "double": "f64", "long": "i64", "int": "i32", "short": "i16"}
LOW_PRECISION = ("f16", "bf16", "f8e4m3", "f8e5m2")  # computed in fp32 (Triton's math is fp32), stored back

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
    return short_name(t) in ("f32", "f16", "bf16", "f64", "f8e4m3", "f8e5m2")


def is_fp8(t: Attribute) -> bool:
    return short_name(t) in ("f8e4m3", "f8e5m2")


def is_low_precision(t: Attribute) -> bool:
    """Halves and fp8: their arithmetic runs in fp32 (Triton's math functions and torch's accumulation)."""
    return short_name(t) in LOW_PRECISION


def is_bool(t: Attribute) -> bool:
    return t == i1


_RANK = ["i1", "i8", "i16", "i32", "i64", "f8e5m2", "f8e4m3", "f16", "bf16", "f32", "f64"]


def promote(a: Attribute, b: Attribute) -> Attribute:
    """torch's type promotion between two tensors of these element types."""
    sa, sb = short_name(a), short_name(b)
    if sa != sb and "f8" in sa + sb:  # torch refuses too: convert explicitly (`.to(torch.float32)`)
        raise KoptError(f"fp8 values do not mix with {sb if 'f8' in sa else sa} implicitly (torch refuses too)",
                        notes=["convert first: `x.to(torch.float32)`"])
    if {sa, sb} == {"f16", "bf16"}:
        return _TABLE["f32"][0]
    return a if _RANK.index(sa) >= _RANK.index(sb) else b
