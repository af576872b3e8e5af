"""Triton source for contractions: `tile.dot` -> `tl.dot`, `tile.transpose` -> `tl.trans`,
and the launcher line that picks a dot kernel's tiles (kopt/launch/dot_tiles.py).

fp16/bf16 operands multiply into fp32 (`tl.dot`'s default out_dtype); a product with
an accumulator adds into it in place (`tl.dot(a, b, acc)`), one without is rounded to
its declared element type afterwards. fp32 operands multiply in full fp32 (`input_precision="ieee"`),
as torch.matmul does by default; a kernel whose `f32_dot_precision` attribute says "tf32" (the runtime
sets it when torch.get_float32_matmul_precision() is not "highest") uses TF32 tensor cores.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects.builtin import DictionaryAttr, StringAttr
from xdsl.ir import Operation

from kopt.backends.triton_emitters import TRITON
from kopt.dialects import tile as T
from kopt.dialects.dtypes import elem_bytes, f32, triton_name
from kopt.launch.dot_tiles import DOT_2D, check_fixed_blocks

_ORDER = ("m", "n", "k", "batch")
IMPORT = "from kopt.launch.dot_tiles import dot_tiles"


@TRITON.emits(T.TransposeOp)
def _transpose(w, op: T.TransposeOp) -> None:
    perm = op.permutation
    text = f"tl.trans({w.ref(op.operand)})" if perm == (1, 0) else f"tl.permute({w.ref(op.operand)}, {tuple(perm)})"
    w.define(op.result, text, "trans")


@TRITON.emits(T.DotOp)
def _dot(w, op: T.DotOp) -> None:
    """`tl.dot`, with the kernel writer `w` (triton_codegen's _KernelWriter)."""
    out = op.result.type.element_type
    args = [w.ref(op.lhs), w.ref(op.rhs)]
    if op.acc is not None:
        args.append(w.ref(op.acc))
    if op.lhs.type.element_type == f32:
        # fp32 operands: full fp32 products unless the kernel was compiled to allow TF32 (the
        # runtime follows torch.get_float32_matmul_precision(), as torch.matmul does)
        precision = w.kernel.attributes.get("f32_dot_precision")
        args.append(f'input_precision="{precision.data if precision is not None else "ieee"}"')
    if op.acc is not None and out != f32:
        args.append(f"out_dtype={triton_name(out)}")
    batched = _batched(w, op, args)
    if op.acc is not None:
        w.define(op.result, batched or f"tl.dot({', '.join(args)})", "acc")
    else:
        cast = "" if out == f32 else f".to({triton_name(out)})"
        text = f"({batched})" if batched and cast else batched or f"tl.dot({', '.join(args)})"
        w.define(op.result, f"{text}{cast}", "dot")


def _batched(w, op: T.DotOp, args: list[str]) -> str | None:
    """A 3-D product whose batch block is 1 at launch (the launcher's default) as a 2-D `tl.dot`.

    Triton compiles a 3-D `tl.dot` without Hopper's wgmma, and with fp16 128 x 256 tiles its
    compile took minutes on an H100 (bmm [8, 1021, 1024] @ [8, 1024, 769]: 178 s in
    benchmarks/results/h100_2026-11-25b/gpu_corpus_check.txt; 1.5 s in 2-D). With one batch per
    program the same product is 2-D: the operands drop the leading 1 (`tl.reshape`, no data
    movement) and the result gets it back by `[None, :, :]`. The branch is on the constexpr `_DOT_2D`,
    so Triton compiles only the one taken. Not `tl.reshape` on the way out: in fp16/bf16 attention
    Triton 3.6 asserted in LinearLayout::reshapeOuts (TritonGPURemoveLayoutConversions) reshaping the
    wgmma result to 3-D (benchmarks/results/h100_2026-11-25c/gpu_corpus_check.txt; 3.9 builds both);
    an expand_dims it builds. Should Triton still fail on the 2-D form, the runtime builds the 3-D one
    (`_DOT_2D = 0`, kopt/runtime/fast_launch.py)."""
    operands = [op.lhs, op.rhs] + ([op.acc] if op.acc is not None else [])
    if any(v.type.rank != 3 for v in operands) or len({v.type.dims[0] for v in operands}) != 1:
        return None
    batch = op.lhs.type.dims[0]
    roles = _dict(w.kernel, "dot_dims")
    if batch != "1" and roles.get(batch) != "batch":
        return None  # a batch block the launcher does not choose: no `_DOT_2D` to say it is 1
    flat = [_flat(w, v) for v in operands]
    two_d = f"tl.dot({', '.join(flat + args[len(operands):])})[None, :, :]"
    w.note_symbols(DOT_2D)  # a batch block of "1" (`block_size=[1, ...]`): the launcher sets it to 1
    return f"{two_d} if {DOT_2D} else tl.dot({', '.join(args)})"


def _flat(w, v) -> str:
    """A [1, a, b] operand as [a, b]. A batched transpose (`k.transpose(1, 2)`) is flattened before it is
    transposed: Triton 3.6 failed to compile a reshape of a 3-D permute (TritonGPURemoveLayoutConversions,
    the attention kernels in fp16/bf16 on an H100), and `tl.trans` of a 2-D block is the usual form."""
    owner = v.owner
    if isinstance(owner, T.TransposeOp) and owner.permutation == (0, 2, 1):
        inner = owner.operand
        return f"tl.trans(tl.reshape({w.ref(inner)}, [{', '.join(inner.type.dims[1:])}]))"
    return f"tl.reshape({w.ref(v)}, [{', '.join(v.type.dims[1:])}])"


@dataclass
class DotLaunch:
    lines: list[str]
    symbols: set[str]  # the block symbols these lines set
    kw: str  # num_warps / num_stages of the launch


def dot_count(kernel: Operation) -> int:
    """How many contractions a kernel has (attention: 2); the launch heuristics treat several differently. A loop
    that loop-peeling split counts once (its `rest` copy is the same contractions on the last block)."""
    return sum(isinstance(o, T.DotOp) and not _in_peeled_rest(o) for o in kernel.walk())


def _in_peeled_rest(op: Operation) -> bool:
    parent = op.parent_op()
    while parent is not None:
        if _attr_text(parent, "peel") == "rest":
            return True
        parent = parent.parent_op()
    return False


def _attr_text(op: Operation, key: str) -> str | None:
    attr = op.attributes.get(key)
    return attr.data if isinstance(attr, StringAttr) else None


def _whole_dims(kernel: Operation) -> list[str]:
    """The whole-dim blocks (`_RDIM_SIZE_k`, set by the launcher before the dot tiles) of the dots' operands."""
    whole = {b.name for b in kernel.plan.blocks if not b.chosen_at_launch}
    dims = {d for op in kernel.walk() if isinstance(op, T.DotOp) for v in (op.lhs, op.rhs) for d in v.type.dims}
    return sorted(dims & whole)


def _dict(op: Operation, key: str) -> dict[str, str]:
    attr = op.attributes.get(key)
    return {k: v.data for k, v in attr.data.items()} if isinstance(attr, DictionaryAttr) else {}


def dot_launch(kernel: T.KernelOp, host, config_sizes: dict[str, int], num_warps: int | None,
               num_stages: int | None, tensor: str, overridable: bool) -> DotLaunch | None:
    """The launcher's tile choice for a kernel with `dot_dims` (set by `tiling`); None for other kernels.

    `host` turns IR size text into launcher Python; `tensor` is a tensor argument (its device
    says GPU or interpreter); a block size a compile-time config fixes is checked here already.
    """
    roles = _dict(kernel, "dot_dims")
    if not roles:
        return None
    blocks = {b.name: b.size.data for b in kernel.plan.blocks if b.chosen_at_launch}
    sym = {role: s for s, role in sorted(roles.items(), reverse=True)}
    # a batch batch-to-grid made a program index: no block to choose, but its programs still fill the GPU
    batch_extent = _attr_text(kernel, "dot_batch")
    order = _ORDER if "batch" in sym or batch_extent else _ORDER[:3]
    names = tuple(sym.get(r) for r in order)
    fixed = {s: v for s, v in config_sizes.items() if s in roles}
    check_fixed_blocks(names, fixed)
    if num_warps:
        fixed["num_warps"] = num_warps
    if num_stages:
        fixed["num_stages"] = num_stages
    dot = next(op for op in kernel.walk() if isinstance(op, T.DotOp))
    nbytes = elem_bytes(dot.lhs.type.element_type)
    extents = {r: blocks[sym[r]] for r in sym} | ({"batch": batch_extent} if batch_extent else {})
    sizes = ", ".join(host(extents[r]) if r in extents else "None" for r in order)
    name_text = ", ".join(f'"{n}"' if n else "None" for n in names)
    fixed_text = ", ".join(f'"{k}": {v}' for k, v in fixed.items())
    if overridable:  # the autotuner's launch-time `_config`; compile-time choices win
        fixed_arg = f", fixed={{**_config, {fixed_text}}}" if fixed_text else ", fixed=_config"
    else:
        fixed_arg = f", fixed={{{fixed_text}}}" if fixed_text else ""
    targets = [n or "_" for n in names] + ["_num_warps", "_num_stages"]
    dots = dot_count(kernel)
    many = f", dots={dots}" if dots > 1 else ""
    if _attr_text(kernel, "split_k_sum"):  # a split-K launch: its splits fill the SMs, not its tiles
        many += ", split=True"
    inner = _whole_dims(kernel) if dots > 1 else []
    if inner:  # the shared whole dim (attention's head dim) sets how much of shared memory the tiles take
        many += f", inner={inner[0] if len(inner) == 1 else 'max(' + ', '.join(inner) + ')'}"
    line = (f"{', '.join(targets)} = dot_tiles(({sizes}), ({name_text}), elem_bytes={nbytes}, "
            f"gpu={tensor}.is_cuda{many}{fixed_arg})")
    lines = [line]
    # another loop over the same role (causal attention's key loops below and on the diagonal) takes the
    # same tile: its shared-memory footprint is the one dot_tiles fitted
    same_role = {s: sym[role] for s, role in sorted(roles.items()) if s not in names and role in sym
                 and s in blocks and s not in config_sizes}
    lines += [f"{s} = {twin}" for s, twin in same_role.items()]
    if any(isinstance(op, T.DotOp) and op.lhs.type.rank == 3 for op in kernel.walk()):
        # one batch per program: the 2-D form of batched dots (see _batched); 1 where no block is chosen
        # for the batch (it is 1 in the source)
        lines.append(f"{DOT_2D} = int({sym['batch']} == 1)" if "batch" in sym else f"{DOT_2D} = 1")
    return DotLaunch(lines, {n for n in names if n} | set(same_role), "num_warps=_num_warps, num_stages=_num_stages")
