"""Default launch choices, made by the launcher from the actual sizes (no recompile).

Row kernels follow the hand-written Triton peer of the benchmarks (kopt/tools/bench/triton_rows.py): for a persistent
row of `R = next_power_of_2(N)` lanes, `BLOCK_M = min(16, max(1, 8192 // R))`
rows per program; elementwise kernels get about 2048 elements per program,
the last dim widest; sequential loops step by 64. `num_warps` grows with the
elements one program holds.
"""

from __future__ import annotations


def block_size_exprs(grid_blocks: list[tuple[str, str]], loop_blocks: list[tuple[str, str]],
                     rdims: list[str], config_sizes: dict[str, int]) -> dict[str, str]:
    """Python expressions for each block symbol, in an order where each may use the ones before.

    `grid_blocks` are (symbol, extent) in grid order; `loop_blocks` step sequential loops.
    Everything one program holds at once (rdims, loop blocks, grid blocks) shares one budget.
    """
    out: dict[str, str] = {}
    for sym, extent in loop_blocks:
        out[sym] = str(config_sizes[sym]) if sym in config_sizes else f"min(64, next_power_of_2(max({extent}, 1)))"
    inner = " * ".join([*rdims, *(s for s, _ in loop_blocks)])
    budget = f"max(1, {8192 if rdims else 2048} // ({inner}))" if inner else "2048"
    cap = 16 if rdims else None
    remaining = budget
    for sym, extent in reversed(grid_blocks):
        if sym in config_sizes:
            out[sym] = str(config_sizes[sym])
        else:
            widest = len(grid_blocks) > 1 and sym == grid_blocks[-1][0] and not inner
            limit = f"min({cap}, {remaining})" if cap else (f"min(256, {remaining})" if widest else remaining)
            out[sym] = f"min({limit}, next_power_of_2({extent}))"
        remaining = f"max(1, {remaining} // {sym})"
    return out


def num_warps_expr(block_syms: list[str], elem_size: int | None = None, chunked: bool = False) -> str:
    """Warps for a program holding the product of these blocks. A looped reduction's chunk of
    32 KB gets 32 warps, of 16 KB 16 (`chunked`: the kernel streams a row in chunks, of `elem_size` bytes per
    element):
    on an H100 a long-row online softmax with 8192-element chunks ran at 2920 GB/s fp32 with 32
    warps against 2409 with 8, and fp16 at 2891 with 16 against 2865 with 8 (32768 x 32768,
    benchmarks/results/h100_2026-11-25b/sweep_long.txt; 32 warps lost on fp16)."""
    if not block_syms:  # one element per program (hl.grid)
        return "4"
    elems = " * ".join(block_syms)
    base = f"(4 if {elems} <= 2048 else 8 if {elems} <= 8192 else 16)"
    if elem_size and chunked:
        nbytes = f"{elems} * {elem_size}"
        return f"(32 if {nbytes} >= 32768 else 16 if {nbytes} >= 16384 else {base})"
    return base


def launch_warps_expr(grid_syms: list[str], constexprs: list[str], elem_size: int | None, chunked: bool,
                      pieces: list[str] | None, overlap: bool = False) -> str:
    """The default warps of a kernel launch (the generated launcher's and the autotuner's space, alike): a row held
    as two pieces (`pieces`, reduction_pieces.py; `overlap`: its tail a block ending at the row's end) by its pieces,
    else by everything a program holds."""
    if pieces:
        return pieces_warps_expr(grid_syms, pieces, overlap)
    return num_warps_expr([*grid_syms, *constexprs], elem_size, chunked)


def pieces_warps_expr(grid_syms: list[str], pieces: list[str], overlap: bool = False) -> str:
    """Warps for a row held as two pieces: 4 while a program's first piece has at most 8192 elements, else 8.
    On an H200 (fp16 softmax 4096 x N, the two-piece kernel written out: benchmarks/softmax_chunks.py, a masked
    tail) 4 warps beat 8 by 3-18 % and 16 by 14-44 % at N = 4224...9216; at 10240 8 warps won by 2 %, at 12288
    4 beat 8 by 3 % and 16 won by 2 %; a first piece past 8192 is not measured. A tail ending at the row's end
    (`overlap`) of 2048 past a first piece of 8192 takes 8: 3491-3571 GB/s against 3157-3261 on 4 at N = 9344, 9600,
    10112, where tails of 1024 and 4096 ran best on 4 (8832: 3236 vs 2823; 11392-12160: 3521-3552 vs 2959-3100)
    (benchmarks/results/h200_2026-12-02e/softmax_chunks3.json: one run, a fit to it, not a model)."""
    elems = " * ".join([*grid_syms, pieces[0]])
    default = f"(4 if {elems} <= 8192 else 8)"
    if not overlap:
        return default
    return f"(8 if {elems} == 8192 and {pieces[1]} == 2048 else {default})"


def held_rdims(constexprs: list[str], pieces: list[str] | None) -> list[str]:
    """The whole-dim blocks whose product is what one program holds per row: a row held as two pieces holds their
    sum (one factor, rounded up to a power of two so that the rows a program takes stay one), not their product."""
    if not pieces:
        return constexprs
    return [s for s in constexprs if s not in pieces] + [f"next_power_of_2({' + '.join(pieces)})"]
