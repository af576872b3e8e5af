"""Malformed kernels, made by mutating a few corpus-style kernels one line at a time.

Each mutant is (base, old, new, expected): `old` occurs exactly once in the base
kernel and is replaced by `new`; compiling the result must fail with a KoptError
located on the first line of `new` (unless `at` names another line's text) whose
message contains `expected`.
"""

from __future__ import annotations

from dataclasses import dataclass

HEADER = "import math\n\nimport torch\n\nimport kopt\nimport kopt.language as hl\n\n\n"

BASES = {
    "relu": '''@kopt.kernel
def relu(x, y):
    m, n = x.size()
    out = torch.empty_like(x)
    for tile_m, tile_n in hl.tile([m, n]):
        v = x[tile_m, tile_n]
        out[tile_m, tile_n] = torch.relu(v) + y[tile_m, tile_n]
    return out
''',
    "rows": '''@kopt.kernel
def rows(x):
    m, n = x.size()
    out = torch.empty([m], dtype=x.dtype, device=x.device)
    for tile_m in hl.tile(m):
        row = x[tile_m, :]
        out[tile_m] = torch.softmax(row, dim=1).sum(-1)
    return out
''',
    "embedding": '''@kopt.kernel
def embedding(ids, weight):
    (b,) = ids.size()
    _, e = weight.size()
    out = torch.empty([b, e], dtype=weight.dtype, device=weight.device)
    for tile_b, tile_e in hl.tile([b, e]):
        idx = ids[tile_b]
        out[tile_b, tile_e] = weight[idx, tile_e]
    return out
''',
    "polyval": '''@kopt.kernel
def polyval(coeffs, x):
    (n,) = x.size()
    out = torch.empty_like(x)
    for tile in hl.tile(n):
        v = x[tile].to(torch.float32)
        acc = hl.zeros([tile], dtype=torch.float32)
        for i in hl.static_range(5):
            acc = acc * v + coeffs[4 - i].to(torch.float32)
        out[tile] = acc
    return out
''',
    "concat": '''@kopt.kernel
def concat(x, y):
    m, n1 = x.size()
    _, n2 = y.size()
    out = torch.empty([m, n1 + n2], dtype=x.dtype, device=x.device)
    for tile0, tile1 in hl.tile([m, n1 + n2]):
        cols = tile1.index
        in_x = (cols < n1)[None, :]
        x_part = hl.load(x, [tile0, tile1], extra_mask=in_x)
        y_part = hl.load(y, [tile0, cols - n1], extra_mask=(cols >= n1)[None, :])
        out[tile0, tile1] = torch.where(in_x, x_part, y_part)
    return out
''',
}

# Arguments to call each base with (the runtime path), and a signature for the CLI path.
SIGNATURES = {
    "relu": "x: f32[M, N], y: f32[M, N]",
    "rows": "x: f32[M, N]",
    "embedding": "ids: i64[B], weight: f32[V, E]",
    "polyval": "coeffs: f32[C], x: f32[N]",
    "concat": "x: f32[M, N1], y: f32[M, N2]",
}


@dataclass(frozen=True)
class Mutant:
    name: str
    base: str
    old: str
    new: str
    expected: str  # a fragment of the error message
    at: str | None = None  # text of the line the error must point at (default: the first line of `new`)

    def source(self) -> str:
        base = BASES[self.base]
        assert base.count(self.old) == 1, (self.name, self.old)
        return HEADER + base.replace(self.old, self.new)

    def line(self) -> int:
        text = self.source()
        want = (self.at or self.new.strip().splitlines()[0].strip())
        hits = [i + 1 for i, line in enumerate(text.splitlines()) if want in line]
        assert hits, (self.name, want)
        return hits[0]


V = "        v = x[tile_m, tile_n]\n"  # the relu base's loop body line used as a mutation point
R = "        row = x[tile_m, :]\n"

MUTANTS = [
    # ---- statements a tile loop does not take
    Mutant("while_loop", "relu", V, "        while True:\n            pass\n" + V, "`while` loop is not supported"),
    Mutant("if_per_lane_store", "relu", V, "        if x[tile_m, tile_n] > 0:\n            out[tile_m, tile_n] = y[tile_m, tile_n]\n" + V,
           "an `if` on a tile (one condition per lane) whose branches store or loop"),
    Mutant("if_one_branch", "relu", V, "        if m > 2:\n            w = y[tile_m, tile_n]\n        v = w\n",
           "`w` is assigned in only one branch of the `if`", at="v = w"),
    Mutant("if_is_none_of_a_value", "relu", V, "        if m is None:\n            pass\n" + V,
           "`is None` / `is not None` is decided when the kernel is compiled"),
    Mutant("try_block", "relu", V, "        try:\n            pass\n        except Exception:\n            pass\n" + V,
           "`try` block is not supported"),
    Mutant("with_block", "relu", V, "        with torch.no_grad():\n            pass\n" + V, "`with` block is not supported"),
    Mutant("return_in_loop", "relu", V, "        return out\n" + V, "`return` is not supported"),
    Mutant("break_in_loop", "relu", V, "        break\n" + V, "`break` is not supported"),
    Mutant("continue_in_loop", "relu", V, "        continue\n" + V, "`continue` is not supported"),
    Mutant("del_statement", "relu", V, V + "        del v\n", "is not supported inside a tile loop", at="del v"),
    Mutant("assert_in_loop", "relu", V, V + "        assert m > 0\n", "is not supported inside a tile loop",
           at="assert m > 0"),
    Mutant("import_in_loop", "relu", V, "        import os\n" + V, "is not supported inside a tile loop"),
    Mutant("def_in_loop", "relu", V, "        def helper(a):\n            return a\n" + V,
           "is not supported inside a tile loop"),
    Mutant("chained_assignment", "relu", V, "        v = w = x[tile_m, tile_n]\n", "chained assignment"),
    Mutant("unpack_a_tile", "relu", V, "        v, w = x[tile_m, tile_n]\n",
           "can only assign to a name or to a subscripted tensor"),
    Mutant("for_else", "polyval", "            acc = acc * v + coeffs[4 - i].to(torch.float32)\n",
           "            acc = acc * v + coeffs[4 - i].to(torch.float32)\n        else:\n            pass\n",
           "is not supported", at="for i in hl.static_range(5):"),
    Mutant("python_range_loop", "relu", V, "        for i in range(3):\n            pass\n" + V,
           "must iterate over `hl.tile(...)`"),
    # ---- expressions
    Mutant("undefined_name", "relu", V, "        v = x[tile_m, tile_n] * scale\n", "`scale` is not defined here"),
    Mutant("string_constant", "relu", V, "        v = x[tile_m, tile_n] + 'a'\n", "is not supported"),
    Mutant("lambda", "relu", V, "        v = (lambda a: a)(x[tile_m, tile_n])\n", "not supported"),
    Mutant("list_comprehension", "relu", V, "        v = [x[tile_m, tile_n] for _ in range(2)]\n", "not supported"),
    Mutant("dict_literal", "relu", V, "        v = {'a': x[tile_m, tile_n]}\n", "not supported"),
    Mutant("conditional_expression", "relu", V, "        v = x[tile_m, tile_n] if m > 1 else y[tile_m, tile_n]\n",
           "not supported"),
    Mutant("walrus", "relu", V, "        v = (w := x[tile_m, tile_n])\n", "not supported"),
    Mutant("fstring", "relu", V, "        v = f'{m}'\n", "not supported"),
    Mutant("chained_comparison", "relu", V, "        v = torch.where(0 < x[tile_m, tile_n] < 1, x[tile_m, tile_n], 0.0)\n",
           "chained comparisons"),
    Mutant("xor_operator", "relu", V, "        v = x[tile_m, tile_n] ^ y[tile_m, tile_n]\n", "operator `BitXor`"),
    Mutant("bitand_on_floats", "relu", V, "        v = x[tile_m, tile_n] & y[tile_m, tile_n]\n",
           "`&` and `|` need boolean or integer tiles"),
    Mutant("not_operator", "relu", V, "        v = not x[tile_m, tile_n]\n", "not supported"),
    Mutant("tensor_used_as_value", "relu", V, "        v = x[tile_m, tile_n] + y\n", "expected a tile value"),
    # ---- calls
    Mutant("unknown_torch_function", "relu", V, "        v = torch.fft.fft(x[tile_m, tile_n])\n",
           "call to `torch.fft.fft` is not supported"),
    Mutant("unknown_hl_function", "relu", V, "        v = hl.barrier(x[tile_m, tile_n])\n",
           "call to `hl.barrier` is not supported"),
    Mutant("unknown_method", "relu", V, "        v = x[tile_m, tile_n].cummax(0)\n", "is not supported in a tile loop"),
    Mutant("print_call", "relu", V, "        print(x[tile_m, tile_n])\n" + V, "call to `print` is not supported"),
    Mutant("gelu_bad_approximate", "relu", V, "        v = torch.nn.functional.gelu(x[tile_m, tile_n], approximate='fast')\n",
           'approximate must be "none" or "tanh"'),
    Mutant("to_without_dtype", "relu", V, "        v = x[tile_m, tile_n].to()\n", "needs a dtype"),
    Mutant("to_complex", "relu", V, "        v = x[tile_m, tile_n].to(torch.complex64)\n", "needs a dtype"),
    Mutant("clamp_without_bounds", "relu", V, "        v = torch.clamp(x[tile_m, tile_n])\n", "clamp needs min= or max="),
    Mutant("float_of_tile", "relu", V, "        v = float(x[tile_m, tile_n])\n", "of a tile"),
    Mutant("where_two_args", "relu", V, "        v = torch.where(x[tile_m, tile_n] > 0, x[tile_m, tile_n])\n",
           "torch.where"),
    Mutant("zeros_unknown_dtype", "polyval", "        acc = hl.zeros([tile], dtype=torch.float32)\n",
           "        acc = hl.zeros([tile], dtype=torch.complex64)\n", "unknown dtype"),
    Mutant("full_tile_fill_value", "polyval", "        acc = hl.zeros([tile], dtype=torch.float32)\n",
           "        acc = hl.full([tile], v, dtype=torch.float32)\n", "the fill value must be a number constant"),
    # ---- dims, ranks, shapes
    Mutant("too_many_subscripts", "relu", V, "        v = x[tile_m, tile_n, :]\n", "3 subscripts for `x`"),
    Mutant("slice_subscript", "relu", V, "        v = x[0:m:2, tile_n]\n", "a slice with a step is not supported"),
    Mutant("float_subscript", "relu", V, "        v = x[tile_m.index.to(torch.float32), tile_n]\n",
           "a tensor index must hold integers"),
    Mutant("reduce_dim_out_of_range", "rows", "        out[tile_m] = torch.softmax(row, dim=1).sum(-1)\n",
           "        out[tile_m] = row.sum(3)\n", "dim 3 is out of range"),
    Mutant("softmax_without_dim", "rows", "        out[tile_m] = torch.softmax(row, dim=1).sum(-1)\n",
           "        out[tile_m] = torch.softmax(row).sum(-1)\n", "softmax needs `dim`"),
    Mutant("argmax_without_dim", "rows", "        out[tile_m] = torch.softmax(row, dim=1).sum(-1)\n",
           "        out[tile_m] = torch.argmax(row)\n", "argmax needs"),
    Mutant("store_rank_mismatch", "rows", "        out[tile_m] = torch.softmax(row, dim=1).sum(-1)\n",
           "        out[tile_m] = row\n", "cannot store a tile of shape"),
    Mutant("broadcast_mismatch", "rows", R, "        row = x[tile_m, :] + x[tile_m, :].sum(-1)\n", "cannot broadcast"),
    Mutant("carried_value_changes_shape", "polyval", "            acc = acc * v + coeffs[4 - i].to(torch.float32)\n",
           "            acc = acc * v + coeffs[4 - i].to(torch.float32)\n        for t2 in hl.tile(n):\n"
           "            acc = x[t2]\n", "changes shape in the loop", at="for t2 in hl.tile(n):"),
    Mutant("reshape_wrong_count", "relu", V, "        v = x[tile_m, tile_n].reshape(tile_m, tile_m)\n",
           "cannot become"),
    Mutant("squeeze_without_dim", "relu", V, "        v = x[tile_m, tile_n].squeeze()\n", "needs a dim"),
    Mutant("unsqueeze_out_of_range", "relu", V, "        v = x[tile_m, tile_n].unsqueeze(5)\n", "out of range"),
    Mutant("expand_too_few_sizes", "relu", V, "        v = x[tile_m, tile_n].expand(tile_n)\n", "gives 1 sizes"),
    Mutant("view_with_float_size", "relu", V, "        v = x[tile_m, tile_n].view(2.5)\n", "a size here must be"),
    # ---- tiles and loops
    Mutant("block_size_not_pow2", "relu", "    for tile_m, tile_n in hl.tile([m, n]):\n",
           "    for tile_m, tile_n in hl.tile([m, n], block_size=[3, 8]):\n", "not a power of two"),
    Mutant("block_size_count", "relu", "    for tile_m, tile_n in hl.tile([m, n]):\n",
           "    for tile_m, tile_n in hl.tile([m, n], block_size=[8]):\n", "block_size gives 1 sizes for 2 loop dims"),
    Mutant("outer_loop_bounded_by_data", "relu", "    for tile_m, tile_n in hl.tile([m, n]):\n",
           "    for tile_m in hl.tile(0, x[0, 0]):\n        tile_n = tile_m\n",
           "an outermost device loop's bounds must be sizes the host knows"),
    Mutant("loop_bound_of_floats", "relu", V, "        for tile_k in hl.tile(0, x[tile_m, tile_n].sum()):\n            pass\n" + V,
           "a loop bound must be an integer"),
    Mutant("tile_unknown_keyword", "relu", "    for tile_m, tile_n in hl.tile([m, n]):\n",
           "    for tile_m, tile_n in hl.tile([m, n], order=[1, 0]):\n", "unsupported keyword"),
    Mutant("tile_of_float", "relu", "    for tile_m, tile_n in hl.tile([m, n]):\n",
           "    for tile_m, tile_n in hl.tile([m * 0.5, n]):\n", "cannot read this as a list of sizes"),
    Mutant("wrong_loop_arity", "relu", "    for tile_m, tile_n in hl.tile([m, n]):\n",
           "    for tile_m, tile_n, tile_k in hl.tile([m, n]):\n", "3 loop variables for a 2-d tile"),
    Mutant("device_loop_in_if", "relu", "    for tile_m, tile_n in hl.tile([m, n]):\n        v = x[tile_m, tile_n]\n"
           "        out[tile_m, tile_n] = torch.relu(v) + y[tile_m, tile_n]\n",
           "    if m > 0:\n        for tile_m, tile_n in hl.tile([m, n]):\n            out[tile_m, tile_n] = x[tile_m, tile_n]\n",
           "must be a top-level statement", at="for tile_m, tile_n in hl.tile([m, n]):"),
    Mutant("no_device_loop", "relu", "    for tile_m, tile_n in hl.tile([m, n]):\n        v = x[tile_m, tile_n]\n"
           "        out[tile_m, tile_n] = torch.relu(v) + y[tile_m, tile_n]\n", "    out = x + y\n",
           "has no device loop", at="def relu(x, y):"),
    Mutant("varargs_kernel", "relu", "def relu(x, y):\n", "def relu(x, y, *rest):\n", "*args"),
    Mutant("static_range_not_constant", "polyval", "        for i in hl.static_range(5):\n",
           "        for i in hl.static_range(n):\n", "must be an integer constant"),
    Mutant("static_range_too_long", "polyval", "        for i in hl.static_range(5):\n",
           "        for i in hl.static_range(100000):\n", "at most"),
    Mutant("arange_not_pow2", "polyval", "        v = x[tile].to(torch.float32)\n",
           "        v = x[tile].to(torch.float32) + hl.arange(10)\n", "power of two"),
    Mutant("index_of_value", "relu", V, "        v = x[tile_m, tile_n].index\n", "is an attribute of a tile"),
    Mutant("unknown_tile_attribute", "relu", V, "        v = x[tile_m, tile_n] + tile_m.stride\n", "not supported"),
    Mutant("tile_used_as_value", "relu", V, "        v = torch.relu(tile_m)\n", "a tile used as a value"),
    Mutant("tile_attr_function_arity", "relu", V, "        v = x[tile_m, tile_n] + hl.tile_index(tile_m, tile_n)\n",
           "takes one tile"),
    # ---- explicit accesses
    Mutant("load_index_not_list", "concat", "        x_part = hl.load(x, [tile0, tile1], extra_mask=in_x)\n",
           "        x_part = hl.load(x, tile0, extra_mask=in_x)\n", "the index must be a list"),
    Mutant("load_float_mask", "concat", "        x_part = hl.load(x, [tile0, tile1], extra_mask=in_x)\n",
           "        x_part = hl.load(x, [tile0, tile1], extra_mask=cols.to(torch.float32))\n",
           "extra_mask must be a boolean tile"),
    Mutant("load_unknown_keyword", "concat", "        x_part = hl.load(x, [tile0, tile1], extra_mask=in_x)\n",
           "        x_part = hl.load(x, [tile0, tile1], mask=in_x)\n", "unsupported keyword"),
    Mutant("load_of_tile_value", "concat", "        x_part = hl.load(x, [tile0, tile1], extra_mask=in_x)\n",
           "        x_part = hl.load(cols, [tile0, tile1])\n", "needs a kernel tensor"),
    Mutant("store_missing_value", "concat", "        out[tile0, tile1] = torch.where(in_x, x_part, y_part)\n",
           "        hl.store(out, [tile0, tile1])\n", "needs tensor, index, value"),
    Mutant("atomic_bad_sem", "concat", "        out[tile0, tile1] = torch.where(in_x, x_part, y_part)\n",
           "        hl.atomic_add(out, [tile0, tile1], x_part, sem='bogus')\n", "sem must be one of"),
    Mutant("gather_float_index", "embedding", "        idx = ids[tile_b]\n",
           "        idx = ids[tile_b].to(torch.float32)\n", "a tensor index must hold integers",
           at="out[tile_b, tile_e] = weight[idx, tile_e]"),
    Mutant("gather_into_tile_value", "embedding", "        out[tile_b, tile_e] = weight[idx, tile_e]\n",
           "        out[tile_b, tile_e] = idx[idx, tile_e]\n", "a tile value can only be subscripted"),
]
