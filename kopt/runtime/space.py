"""The autotuner's config space: a kernel's launch-time choices and candidate configs for given sizes.

`launch_plan(module)` reads, once per compile, what the launcher chooses at run time
(block sizes of the grid and of sequential loops, persistent-reduction widths) and
which argument each size symbol comes from; it is JSON so that it is cached with the
source. `config_space(plan, sizes)` turns it into `Dimension`s centred on the
heuristic default (kopt/backends/heuristics.py) and `ConfigSpace.candidates()` into
`kopt.Config`s. A new kind of choice plugs in as a function in `EXTENSIONS`
(`(plan, env) -> [Dimension]`) whose dimension is named after the `Config` field it
sets (`reduction`, `reduction_block`, ...); fields that change the generated code
are compiled once per distinct value by the tuner, the others are launch-time.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Callable

from kopt.backends.exprs import py_expr
from kopt.backends.heuristics import block_size_exprs, held_rdims, launch_warps_expr
from kopt.ir.row_plan import OVERLAP, row_tail
from kopt.launch import hostmath
from kopt.runtime.config import Config
from kopt.runtime.dot_space import dot_config_space, dot_plan
from kopt.runtime.specialize import next_power_of_2, param_symbols

MAX_CANDIDATES = 24
MAX_ELEMS = 16384  # elements one program holds (all its blocks), unless one persistent row needs more
WARPS = (2, 4, 8, 16, 32)
STAGES = (1, 2, 3, 4)
_HOST = {"cdiv": hostmath.cdiv, "next_power_of_2": hostmath.next_power_of_2, "min": min, "max": max,
         "split_k_wanted": hostmath.split_k_wanted}  # the launchers' names


def launch_plan(module) -> dict:
    """What the launchers choose at run time, per kernel, plus where each size symbol comes from."""
    from kopt.backends.triton_codegen import row_elem_bytes, row_pieces
    from kopt.dialects import tile as T
    from kopt.dialects import tt
    from kopt.dialects.plan import CHUNK, TILE

    kernels = []
    for op in module.ops:
        if not isinstance(op, T.KernelOp):
            continue
        plan = op.plan
        grid_blocks = plan.grid_blocks()
        text = lambda k: op.attributes[k].data if k in op.attributes else None  # noqa: E731
        kernels.append({"name": op.sym_name.data,
                        "grid_blocks": [[b.name, b.size.data] for b in grid_blocks],
                        "loop_blocks": [[b.name, b.size.data] for b in sorted(plan.of_kind(TILE), key=lambda b: b.name)
                                        if b not in grid_blocks],
                        "constexprs": {b.name: b.size.data for b in plan.blocks if not b.chosen_at_launch},
                        "chunked": bool(plan.of_kind(CHUNK)),
                        # reduction-lowering's size-picked variants: launched instead of `variant_of` when true
                        "variant_of": text("variant_of"), "launch_if": text("launch_if"),
                        "descriptors": tt.by_descriptor(op),  # tensor-descriptors' clone (see _active)
                        "loops": any(inner.name.endswith(".for") for inner in op.walk() if inner is not op),
                        "row_elem_bytes": row_elem_bytes(op),  # a looped reduction's warps depend on it
                        "row_pieces": row_pieces(op),  # a row held as two pieces: its warps too
                        "row_tail": row_tail(op),  # (and how its tail meets the row's end)
                        **dot_plan(op)})  # a tl.dot kernel's block roles (its space is dot_space.py's)
    symbols = param_symbols(module)
    return {"kernels": kernels, "symbols": {s: list(v) for s, v in symbols.items()},
            "broadcast_dims": broadcast_dims(module, symbols)}


def broadcast_dims(module, symbols: dict) -> list[list]:
    """[parameter, dim] of every argument size a kernel was compiled assuming equal to another (shape-inference's
    `assumed`): where such a size is 1 at a call, torch broadcasts it, and the runtime compiles a kernel for that."""
    from kopt.dialects import tile as T

    out = set()
    for op in module.ops:
        if isinstance(op, T.KernelOp) and "assumed" in op.attributes:
            for entry in op.attributes["assumed"].data:
                for side in entry.data[:2]:
                    where = symbols.get(side.data)
                    if where is not None and where[1] == "size":
                        out.add((where[0], where[2]))
    return [list(d) for d in sorted(out)]


@dataclass(frozen=True)
class Dimension:
    """One choice of the space: a `Config` field (`block_sizes[i]` for one block size)."""

    name: str
    choices: tuple
    default: object = None  # the heuristic's value, where known: candidates are ranked by distance to it


@dataclass
class ConfigSpace:
    dimensions: list[Dimension]
    valid: Callable[[dict], bool] = lambda values: True
    extras: list[Config] = field(default_factory=list)  # tried besides the nearest ones (a compile-time choice)

    def candidates(self, limit: int = MAX_CANDIDATES) -> list[Config]:
        """Up to `limit` valid configs nearest the default, the default itself left out."""
        dims = [d for d in self.dimensions if d.choices]
        default = {d.name: d.default for d in dims}
        scored = []
        for combo in itertools.product(*(d.choices for d in dims)):
            values = dict(zip((d.name for d in dims), combo))
            if values == default or not self.valid(values):
                continue
            scored.append((_distance(values, default), repr(combo), values))
        scored.sort(key=lambda t: t[:2])
        return [to_config(v) for _, _, v in scored[:limit]] + [c for c in self.extras if c != Config()]


def _distance(values: dict, default: dict) -> float:
    d = 0.0
    for k, v in values.items():
        ref = default.get(k)
        if isinstance(v, int) and isinstance(ref, int) and v > 0 and ref > 0:
            d += abs(math.log2(v / ref))
        elif v != ref:
            d += 1.0
    return d


def to_config(values: dict) -> Config:
    """A Config whose `block_sizes[i]` is `_BLOCK_SIZE_i`, as the launcher reads it. A block a pass removed
    (batch-to-grid's batch block, which is 1) leaves a gap in the space: it is filled with 1."""
    blocks = {int(k[len("block_sizes["):-1]): v for k, v in values.items() if k.startswith("block_sizes[")}
    fields = {k: v for k, v in values.items() if not k.startswith("block_sizes[") and v is not None}
    sizes = [blocks.get(i, 1) for i in range(max(blocks) + 1)] if blocks else []
    return Config(block_sizes=sizes, **fields)


def evaluate(plan: dict, sizes: dict[str, int], choose: dict[str, int] | None = None) -> dict | None:
    """At these sizes: per kernel, every extent, reduction width and heuristic default (`env[name]`),
    and the kernels the launcher would pick (`env["active"]`; at the sizes `choose` where given: a bucket's
    rounded sizes may pick another size variant than the call's own). None if a size is not known."""
    env: dict = {"sizes": dict(sizes)}
    try:
        for k in plan["kernels"]:
            local = dict(sizes)  # kernels number their blocks alike: each its own namespace
            for sym, text in sorted(k["constexprs"].items()):
                local[sym] = eval(py_expr(text, "host"), _HOST, local)  # noqa: S307 - kopt's IR text
            for sym, text in k["grid_blocks"] + k["loop_blocks"]:
                local["extent:" + sym] = eval(py_expr(text, "host"), _HOST, local)  # noqa: S307
            exprs = block_size_exprs(k["grid_blocks"], k["loop_blocks"],
                                     held_rdims(sorted(k["constexprs"]), k.get("row_pieces")), {})
            for sym, text in exprs.items():
                local[sym] = eval(text, _HOST, local)  # noqa: S307
            warps = launch_warps_expr([s for s, _ in k["grid_blocks"]], sorted(k["constexprs"]),
                                      k.get("row_elem_bytes"), k.get("chunked", False), k.get("row_pieces"),
                                      k.get("row_tail") == OVERLAP)
            local["num_warps"] = eval(warps, {}, local)  # noqa: S307
            env[k["name"]] = local
        env["active"] = _active(plan, choose or sizes)
    except (NameError, TypeError, ZeroDivisionError, KeyError, SyntaxError):
        return None
    return env


_CONDITIONS: dict = {}  # launch_if text -> its compiled host expression (the tuner's bucket reads it per new shape)


def _condition(text: str):
    code = _CONDITIONS.get(text)
    if code is None:
        code = _CONDITIONS[text] = compile(py_expr(text, "host"), "<launch_if>", "eval")
    return code


def active_kernels(plan: dict, sizes: dict) -> tuple[str, ...]:
    """The names of the kernels these sizes launch (a size variant where its `launch_if` holds)."""
    try:
        return tuple(k["name"] for k in _active(plan, sizes))
    except (NameError, TypeError, ZeroDivisionError, KeyError, SyntaxError):
        return ()


def _active(plan: dict, sizes: dict) -> list[dict]:
    """The kernels these sizes launch: a variant whose `launch_if` holds (the first one), else its base."""
    out = []
    for base in (k for k in plan["kernels"] if not k.get("variant_of")):
        # a tensor-descriptor clone's `launch_if` asks about the call's tensors, which a size bucket has not; it is
        # its base after tiling (the same launch choices), so the base serves the bucket
        variants = [k for k in plan["kernels"] if k.get("variant_of") == base["name"] and not k.get("descriptors")]
        chosen = next((v for v in variants if eval(_condition(v["launch_if"]), _HOST, dict(sizes))), base)  # noqa: S307
        out.append(chosen)
    return out


def _block_dims(plan: dict, env: dict) -> list[Dimension]:
    dims = {}
    for k in env["active"]:
        local = env[k["name"]]
        for sym, _ in k["grid_blocks"] + k["loop_blocks"]:
            d, top = local[sym], next_power_of_2(local["extent:" + sym])
            loop = any(sym == s for s, _ in k["loop_blocks"])
            lo, hi = (max(1, d // 2), min(top, 2 * d)) if loop else (max(1, d // 8), min(top, 4 * d))
            choices = tuple(1 << i for i in range(lo.bit_length() - 1, hi.bit_length()) if lo <= 1 << i <= hi)
            index = int(sym.rsplit("_", 1)[1])
            dims[sym] = Dimension(f"block_sizes[{index}]", choices or (d,), d)
    return [dims[s] for s in sorted(dims, key=lambda s: int(s.rsplit("_", 1)[1]))]


def _launch_dims(plan: dict, env: dict) -> list[Dimension]:
    warps = max(env[k["name"]]["num_warps"] for k in env["active"])
    dims = [Dimension("num_warps", WARPS, warps)]
    if any(k.get("loops") for k in env["active"]):  # software pipelining only matters to loops
        dims.append(Dimension("num_stages", STAGES, None))
    return dims


# (plan, env) -> more dimensions; the reduction strategy joins here once it can be chosen.
EXTENSIONS: list[Callable[[dict, dict], list[Dimension]]] = [_block_dims, _launch_dims]


def _held_lanes(kernel: dict, local: dict) -> int:
    """Lanes of its whole dims one program holds per grid element: the product of their blocks, a row held as two
    pieces (`row_pieces`) counting their sum."""
    pieces = kernel.get("row_pieces") or []
    held = math.prod(local[s] for s in kernel["constexprs"] if s not in pieces)
    return held * (sum(local[s] for s in pieces) if pieces else 1)


def config_space(plan: dict, sizes: dict[str, int], choose: dict[str, int] | None = None) -> ConfigSpace | None:
    """The space at these sizes (pass bucketed sizes so that a whole bucket shares it; `choose`: the call's own
    sizes, which pick the size variants, as Kernel.tune_bucket keys them)."""
    env = evaluate(plan, sizes, choose)
    if env is None or not plan["kernels"]:
        return None
    if any(k.get("dot_dims") for k in plan["kernels"]):
        return dot_config_space(plan, env)
    dims = [d for ext in EXTENSIONS for d in ext(plan, env)]

    def valid(values: dict) -> bool:
        warps = values.get("num_warps") or 4
        for k in env["active"]:
            local = env[k["name"]]
            elems = 1
            for sym, _ in k["grid_blocks"] + k["loop_blocks"]:
                elems *= values.get(f"block_sizes[{int(sym.rsplit('_', 1)[1])}]", local[sym])
            rows = _held_lanes(k, local)  # persistent rows / reduction chunks
            if elems * rows > max(MAX_ELEMS, rows):
                return False
            per_thread = elems * rows / (32 * warps)
            if per_thread < 1 and warps > 4:  # idle threads
                return False
            if per_thread > 64 and warps < WARPS[-1]:  # register spills
                return False
        return True

    return ConfigSpace(dims, valid)
