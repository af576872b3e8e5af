"""Malformed `.tile` files, made by corrupting the IR the frontend emits for the Python bases.

Each mutant replaces the first occurrence of `old` in a base's tile IR by `new`
(or truncates the text); `kopt FILE.tile` must then fail with one located
KoptError. The error's line must be the line of the corruption for `exact`
mutants; for others (truncations, errors found by a later pass) it must point
inside the file.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.gauntlet.malformed.python_mutants import BASES, HEADER, SIGNATURES


def base_ir(base: str) -> str:
    """The tile IR the frontend builds for a Python base (as `kopt base.py --emit=tile` prints it)."""
    from kopt.frontend.builder import build_module
    from kopt.frontend.infer import infer_specs
    from kopt.frontend.source import from_module_text

    (src,) = from_module_text(HEADER + BASES[base], f"<{base}>")
    return str(build_module(src, infer_specs(src, SIGNATURES[base]))) + "\n"


@dataclass(frozen=True)
class IRMutant:
    name: str
    base: str
    old: str | None  # None: truncate to `cut` of the text
    new: str = ""
    exact: bool = True  # the error must be on the line of the corruption
    cut: float = 0.0

    def text(self, ir: str) -> str:
        if self.old is None:
            return ir[: int(len(ir) * self.cut)]
        assert self.old in ir, (self.name, self.old)
        return ir.replace(self.old, self.new, 1)

    def line(self, ir: str) -> int | None:
        if self.old is None or not self.exact:
            return None
        return ir[: ir.index(self.old)].count("\n") + 1


MUTANTS = [
    IRMutant("unknown_op", "relu", "tile.relu", "tile.rleu"),
    IRMutant("unknown_type", "relu", "!tile.tile<", "!tile.tiel<"),
    IRMutant("unknown_element_type", "relu", ", f32>", ", f33>"),
    IRMutant("bad_dim_token", "relu", "[?, ?]", "[?, $]"),
    IRMutant("undefined_value", "relu", "%x[%tile_m, %tile_n]", "%x[%tile_q, %tile_n]"),
    IRMutant("subscript_rank", "relu", "%x[%tile_m, %tile_n]", "%x[%tile_m, %tile_n, :]"),
    IRMutant("unclosed_region", "relu", "    tile.yield\n    }\n", "    tile.yield\n", exact=False),
    IRMutant("extra_brace", "relu", "    tile.yield\n", "    tile.yield\n    }\n", exact=False),
    IRMutant("reduce_kind", "rows", "tile.reduce sum", "tile.reduce summ"),
    IRMutant("reduce_dim", "rows", "dim 1 :", "dim 1 junk :"),
    IRMutant("range_without_block", "relu", "!tile.range<m, _BLOCK_SIZE_0>", "!tile.range<m>"),
    IRMutant("range_bad_begin", "relu", "!tile.range<m, _BLOCK_SIZE_0>", "!tile.range<m, _BLOCK_SIZE_0, start m>"),
    IRMutant("loop_kind", "relu", " parallel ", " diagonal "),
    IRMutant("operand_type_mismatch", "relu", "tile.relu %v : !tile.tile<[?, ?], f32>",
             "tile.relu %v : !tile.tile<[?, ?], f16>"),
    IRMutant("tensor_strides_rank", "relu", "[x_stride_0, x_stride_1]>, %y", "[x_stride_0]>, %y", exact=False),
    IRMutant("kernel_without_arg_names", "relu", ' attributes {arg_names = ["x", "y", "out"]}', ""),
    IRMutant("duplicate_ssa_name", "relu", "%1 = tile.load %y", "%0 = tile.load %y"),
    IRMutant("garbage_line", "relu", "  tile.kernel", "  @@@@ garbage\n  tile.kernel", exact=False),
    IRMutant("not_a_module", "relu", "builtin.module {", "tile.yield {", exact=False),
    IRMutant("tile_attr_unknown", "concat", " index :", " bogus :"),
    IRMutant("masked_view_mask_type", "concat", "tile.masked_view", "tile.masked_vew"),
    IRMutant("launch_unknown_kernel", "relu", "tile.launch @_relu_kernel", "tile.launch @_nope_kernel"),
    IRMutant("bad_symbolic_dim", "relu", '!tile.tensor<[m, n], f32, [x_stride_0, x_stride_1]>',
             '!tile.tensor<["m +", n], f32, [x_stride_0, x_stride_1]>', exact=False),
    IRMutant("negative_block", "relu", "!tile.range<m, _BLOCK_SIZE_0>", '!tile.range<m, "-4">', exact=False),
    IRMutant("missing_yield", "relu", "      tile.yield\n", "", exact=False),
    IRMutant("empty_file", "relu", None, cut=0.0),
    IRMutant("truncated_10", "relu", None, cut=0.1),
    IRMutant("truncated_33", "relu", None, cut=0.33),
    IRMutant("truncated_50", "concat", None, cut=0.5),
    IRMutant("truncated_66", "rows", None, cut=0.66),
    IRMutant("truncated_90", "embedding", None, cut=0.9),
    IRMutant("truncated_99", "polyval", None, cut=0.99),
]
