"""Small kernels, one per piece of Helion's core surface (docs/helion-compat.md), for test_helion_surface.py."""

from __future__ import annotations

import torch

import kopt
import kopt.language as hl


@kopt.kernel
def tile_attrs(x: torch.Tensor) -> torch.Tensor:
    """Per element: its index, and its tile's begin, end, block size and id, stacked in 5 columns."""
    (n,) = x.size()
    out = torch.empty([n, 5], dtype=torch.int32, device=x.device)
    for tile in hl.tile(n, block_size=8):
        ones = torch.ones_like(tile.index)
        out[tile, 0] = tile.index
        out[tile, 1] = ones * tile.begin
        out[tile, 2] = ones * tile.end
        out[tile, 3] = ones * tile.block_size
        out[tile, 4] = ones * tile.id
    return out


@kopt.kernel
def tile_attrs_offset(x: torch.Tensor, begin: int) -> torch.Tensor:
    """The same over `hl.tile(begin, n)`, with the function spellings (hl.tile_index, ...)."""
    (n,) = x.size()
    out = torch.zeros([n, 5], dtype=torch.int32, device=x.device)
    for tile in hl.tile(begin, n, block_size=4):
        ones = torch.ones_like(hl.tile_index(tile))
        out[tile, 0] = hl.tile_index(tile)
        out[tile, 1] = ones * hl.tile_begin(tile)
        out[tile, 2] = ones * hl.tile_end(tile)
        out[tile, 3] = ones * hl.tile_block_size(tile)
        out[tile, 4] = ones * hl.tile_id(tile)
    return out


@kopt.kernel
def arange_rows(x: torch.Tensor) -> torch.Tensor:
    """out[i, j] = x[i, j] + j - (i % 16): hl.arange of an integer and of a tile's block size."""
    m, n = x.size()
    out = torch.empty_like(x)
    for tile_m in hl.tile(m, block_size=16):
        cols = hl.arange(16)
        rows = hl.arange(tile_m.block_size)
        out[tile_m, :] = x[tile_m, :] - rows.to(torch.float32)[:, None] + cols.to(torch.float32).sum() * 0
    return out


@kopt.kernel
def static_unroll(x: torch.Tensor) -> torch.Tensor:
    """out[i] = sum_j (j + 1) * x[i, j] over the first 3 columns, unrolled."""
    m, n = x.size()
    out = torch.empty([m], dtype=x.dtype, device=x.device)
    for tile_m in hl.tile(m):
        acc = hl.zeros([tile_m], dtype=torch.float32)
        for j in hl.static_range(3):
            acc = acc + x[tile_m, j] * (j + 1)
        out[tile_m] = acc
    return out


@kopt.kernel
def constexpr_scale(x: torch.Tensor, scale: hl.constexpr) -> torch.Tensor:
    """A `hl.constexpr` argument is accepted (kopt passes it as a runtime scalar)."""
    out = torch.empty_like(x)
    for tile in hl.tile(x.size()):
        out[tile] = x[tile] * scale
    return out


@kopt.kernel
def specialized(x: torch.Tensor) -> torch.Tensor:
    m = x.size(0)
    n = hl.specialize(x.size(1))
    out = torch.empty_like(x)
    for tile_m in hl.tile(m):
        for tile_n in hl.tile(n):
            out[tile_m, tile_n] = x[tile_m, tile_n] + 1.0
    return out


@kopt.kernel
def unary_zoo(x: torch.Tensor) -> torch.Tensor:
    """Every torch unary op of the compat table, summed (inputs in (0.1, 2))."""
    out = torch.empty_like(x)
    for tile in hl.tile(x.size()):
        v = x[tile].float()
        a = torch.exp2(v) + torch.log1p(v) + torch.sigmoid(v) + torch.tanh(v) + torch.abs(-v) + torch.relu(v - 1.0)
        b = torch.nn.functional.silu(v) + torch.nn.functional.gelu(v) + torch.erf(v) + torch.sqrt(v) + torch.rsqrt(v)
        c = torch.log(v) + torch.exp(v) + torch.clamp(v, min=0.5, max=1.5) + v.clamp(max=1.0) + torch.square(v)
        c = c + torch.nn.functional.gelu(v, approximate="tanh")
        out[tile] = (a + b + c).to(out.dtype)
    return out


def unary_zoo_ref(x):
    v = x.float()
    f = torch.nn.functional
    a = torch.exp2(v) + torch.log1p(v) + torch.sigmoid(v) + torch.tanh(v) + torch.abs(-v) + torch.relu(v - 1.0)
    b = f.silu(v) + f.gelu(v) + torch.erf(v) + torch.sqrt(v) + torch.rsqrt(v)
    c = torch.log(v) + torch.exp(v) + torch.clamp(v, 0.5, 1.5) + v.clamp(max=1.0) + torch.square(v)
    c = c + f.gelu(v, approximate="tanh")
    return (a + b + c).to(x.dtype)


@kopt.kernel
def like_ops(x: torch.Tensor) -> torch.Tensor:
    """full_like / zeros_like / ones_like / new_zeros / new_full / where."""
    m, n = x.size()
    out = torch.empty_like(x)
    for tile_m, tile_n in hl.tile([m, n]):
        v = x[tile_m, tile_n]
        base = torch.full_like(v, 2.0) + torch.zeros_like(v) + torch.ones_like(v) + v.new_zeros([tile_m, tile_n])
        out[tile_m, tile_n] = torch.where(v > 0, base, v.new_full([tile_m, tile_n], -1.0))
    return out


@kopt.kernel
def operators(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """* + - / // % & | and comparisons on tiles, Python numbers next to tiles."""
    out = torch.empty_like(x)
    for tile in hl.tile(x.size()):
        a, b = x[tile], y[tile]
        ints = (a * 10).to(torch.int32)
        mix = (ints // 3 + ints % 4) & 7 | 8
        cond = (a > b) & (a != 0.5) | (a <= -1.0)
        out[tile] = a * 2 + b - a / (b.abs() + 1) + mix.to(torch.float32) + torch.where(cond, 1.0, 0.0)
    return out


def operators_ref(x, y):
    ints = (x * 10).to(torch.int32)
    mix = (torch.div(ints, 3, rounding_mode="floor") + torch.remainder(ints, 4)) & 7 | 8
    cond = (x > y) & (x != 0.5) | (x <= -1.0)
    return x * 2 + y - x / (y.abs() + 1) + mix.float() + torch.where(cond, 1.0, 0.0)


@kopt.kernel
def views(x: torch.Tensor) -> torch.Tensor:
    """unsqueeze / squeeze / reshape / view / expand / flatten / transpose / [:, None] on tiles."""
    m, n = x.size()
    out = torch.empty_like(x)
    for tile_m, tile_n in hl.tile([m, n]):
        v = x[tile_m, tile_n]
        col = v.sum(1, keepdim=True).squeeze(1).unsqueeze(1).expand(tile_m, tile_n)
        flat = v.reshape(-1).view(tile_m, tile_n)
        back = v.t().transpose(0, 1).flatten().reshape(tile_m, tile_n)
        row_max = torch.amax(v, dim=0)[None, :]
        out[tile_m, tile_n] = flat + back - col * 0 + row_max * 0
    return out


@kopt.kernel
def gather_2d(x: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """out[i, j] = x[idx[i, j], 0]: a 2-D tile of indices (its dims take the subscript's place) and a scalar."""
    m, n = idx.size()
    out = torch.empty([m, n], dtype=x.dtype, device=x.device)
    for tile_m, tile_n in hl.tile([m, n]):
        rows = idx[tile_m, tile_n]
        flat = x[rows.reshape(-1), 1].reshape(tile_m, tile_n)
        out[tile_m, tile_n] = hl.load(x, [rows, 0]) + flat * 0
    return out


@kopt.kernel
def size_in_loop(x: torch.Tensor) -> torch.Tensor:
    """x.size(1) and x.shape[1] inside the loop are the size symbols."""
    m, n = x.size()
    out = torch.empty_like(x)
    for tile_m, tile_n in hl.tile([m, n]):
        out[tile_m, tile_n] = x[tile_m, tile_n] + x.size(1) - x.shape[1] + (tile_n.index < x.size(1)).to(torch.float32)
    return out


@kopt.kernel
def scatter_store(x: torch.Tensor) -> torch.Tensor:
    """hl.store with extra_mask and a tile of indices: even positions of x, reversed, into out."""
    (n,) = x.size()
    out = torch.zeros_like(x)
    for tile in hl.tile(n):
        keep = tile.index % 2 == 0
        hl.store(out, [n - 1 - tile.index], x[tile], extra_mask=keep)
    return out


@kopt.kernel
def full_inf(x: torch.Tensor) -> torch.Tensor:
    """hl.full with float("-inf") and a running maximum."""
    m, n = x.size()
    out = torch.empty([m], dtype=x.dtype, device=x.device)
    for tile_m in hl.tile(m):
        best = hl.full([tile_m], float("-inf"), dtype=torch.float32)
        for tile_n in hl.tile(n):
            best = torch.maximum(best, torch.amax(x[tile_m, tile_n], dim=1))
        out[tile_m] = best
    return out


@kopt.kernel
def powers(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """`**` and torch.pow: integer powers multiply, 0.5 is sqrt, the rest exp2(y * log2(x))."""
    out = torch.empty_like(x)
    for tile in hl.tile(x.size()):
        v = x[tile]
        out[tile] = v ** 3 + v ** -2 + v ** 0 + torch.pow(v, y[tile]) + v ** 1.5 + 2.0 ** y[tile] + v ** 0.5
    return out


@kopt.kernel
def flat_views(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Helion's flat-view idiom: the host flattens, the kernel tiles `a.numel()`."""
    out = torch.empty_like(a, memory_format=torch.contiguous_format)
    total = a.numel()
    a_flat = a.reshape(-1)
    b_flat = b.flatten()
    out_flat = out.view(-1)
    for tile in hl.tile(total):
        out_flat[tile] = a_flat[tile] * 2 + b_flat[tile]
    return out


@kopt.kernel
def concat_equal_blocks(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Two loop dims with the same literal block size: each index dim is masked by its own loop's bound."""
    m, n1 = x.size()
    _, n2 = y.size()
    out = torch.empty([m, n1 + n2], dtype=x.dtype, device=x.device)
    for tile0, tile1 in hl.tile([m, n1 + n2], block_size=[16, 16]):
        cols = tile1.index
        in_x = (cols < n1)[None, :]
        x_part = hl.load(x, [tile0, tile1], extra_mask=in_x)
        y_part = hl.load(y, [tile0, cols - n1], extra_mask=(cols >= n1)[None, :])
        rows = tile0.index[:, None] + cols[None, :] * 0
        out[tile0, tile1] = torch.where(in_x, x_part, y_part) + hl.load(x, [rows, 0]) * 0
    return out
