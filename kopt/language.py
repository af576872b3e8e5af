"""The kernel language, source-compatible with the core of Helion's `helion.language`.

`import kopt.language as hl`. Nothing here runs: kopt reads the kernel's Python
AST and compiles these calls. Calling one from ordinary Python is a mistake,
reported as a KoptError that says so.
"""

from __future__ import annotations

from kopt.errors import KoptError


def _device_only(name: str):
    def call(*args, **kwargs):
        raise KoptError(
            f"hl.{name}(...) is kopt kernel syntax: use it inside a function decorated with "
            "@kopt.kernel, which kopt compiles instead of running"
        )

    call.__name__ = name
    call.__qualname__ = name
    call.__doc__ = f"`hl.{name}`: kernel syntax, compiled by kopt (see docs/helion-compat.md)."
    return call


tile = _device_only("tile")
grid = _device_only("grid")
jagged_tile = _device_only("jagged_tile")
rand = _device_only("rand")
randint = _device_only("randint")
inline_asm_elementwise = _device_only("inline_asm_elementwise")
split = _device_only("split")
cumsum = _device_only("cumsum")
cumprod = _device_only("cumprod")
reduce = _device_only("reduce")
associative_scan = _device_only("associative_scan")
join = _device_only("join")
zeros = _device_only("zeros")
full = _device_only("full")
arange = _device_only("arange")
dot = _device_only("dot")
load = _device_only("load")
store = _device_only("store")
atomic_add = _device_only("atomic_add")
atomic_max = _device_only("atomic_max")
atomic_min = _device_only("atomic_min")
atomic_and = _device_only("atomic_and")
atomic_or = _device_only("atomic_or")
atomic_xor = _device_only("atomic_xor")
atomic_xchg = _device_only("atomic_xchg")
static_range = _device_only("static_range")
# Helion's function spellings of the tile attributes (`hl.tile_index(tile)` is `tile.index`)
tile_index = _device_only("tile_index")
tile_begin = _device_only("tile_begin")
tile_end = _device_only("tile_end")
tile_block_size = _device_only("tile_block_size")
tile_id = _device_only("tile_id")


def register_block_size(*args, **kwargs):
    """Host-side in Helion: declares a block size shared by several loops."""
    return _device_only("register_block_size")(*args, **kwargs)


def register_tunable(name: str, fragment):
    """Host-side: a value the config chooses (kopt/autotuner.py); the compiler replaces this call by it."""
    return fragment.default()


def specialize(value):
    """Host-side: bake a size into the kernel (a static fact)."""
    return value


class constexpr:  # noqa: N801 - Helion's spelling
    """Annotation for arguments whose value is baked into the kernel."""


# Every name the frontend understands under `hl.` (used for a helpful error on the rest).
SUPPORTED = (
    "tile", "grid", "zeros", "full", "arange", "dot", "load", "store", "atomic_add",
    "static_range", "register_block_size", "specialize", "constexpr",
    "tile_index", "tile_begin", "tile_end", "tile_block_size", "tile_id",
)
