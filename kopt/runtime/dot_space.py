"""The autotuner's space for a kernel with a `tl.dot`: tensor-core tiles around the launch heuristic.

The generic space (space.py) sizes blocks for elementwise and row kernels; a dot kernel's m, n
and k blocks instead range over tensor-core tiles (never below 16, as `tl.dot` needs), 4 or 8
warps and 3 to 5 pipeline stages, centred on `dot_tiles` (kopt/launch/dot_tiles.py), with
the software pipeline's shared memory kept under an H100's 227 KB per block; where the default tiles
outnumber an H100's SMs, persistent programs (`pid_type`, a compile-time choice) too; and the default tiles with
the first inner loop warp-specialized (`range_warp_specializes=[True]`).

A candidate is left out where its pipeline's shared memory is past the device's or where its threads are estimated
to need more registers than they have (kopt/launch/dot_registers.py, fitted on Triton's sm_90 builds). An attention
kernel (two dots, the head dim a whole dim each program holds: the widest where q and v differ, as the launcher
counts it) is counted as the launcher counts it: `multi_dot_shared` against an H100's 227 KB, with 2 stages among the
choices (head dim 256 fits no more), its accumulator and scores in registers.
"""

from __future__ import annotations

from kopt.launch.dot_registers import spills
from kopt.launch.dot_tiles import DEFAULT_SMS, DOT_MIN_BLOCK, H100_SHARED, dot_tiles, multi_dot_shared
from kopt.runtime.config import Config

_ROLES = ("m", "n", "k", "batch")
SMEM_BYTES = 220 * 1024
MN_CHOICES = (64, 128, 256)
K_CHOICES = (32, 64, 128)


def dot_plan(kernel) -> dict:
    """What launch_plan records of a dot kernel (`{}` for others): block roles, operand bytes."""
    from kopt.dialects import tile as T
    from kopt.backends.dot_codegen import dot_count
    from kopt.dialects.dtypes import elem_bytes

    if "dot_dims" not in kernel.attributes:
        return {}
    dot = next(op for op in kernel.walk() if isinstance(op, T.DotOp))
    roles = {s: r.data for s, r in kernel.attributes["dot_dims"].data.items()}
    return {"dot_dims": roles, "dot_elem_bytes": elem_bytes(dot.lhs.type.element_type),
            "dots": dot_count(kernel)}


def _index(sym: str) -> int:
    return int(sym.rsplit("_", 1)[1])


def _choices(options: tuple[int, ...], extent: int) -> tuple[int, ...]:
    cap = max(DOT_MIN_BLOCK, 1 << max(0, extent - 1).bit_length())
    return tuple(sorted({min(o, cap) for o in options}))


def dot_config_space(plan: dict, env: dict):
    """A ConfigSpace over the first dot kernel of the plan (its other blocks keep their defaults)."""
    from kopt.runtime.space import ConfigSpace, Dimension

    k = next(k for k in plan["kernels"] if k.get("dot_dims"))
    env = env.get(k["name"], env)  # the kernel's own namespace of extents and defaults
    sym = {role: s for s, role in sorted(k["dot_dims"].items(), reverse=True)}
    order = _ROLES if "batch" in sym else _ROLES[:3]
    names = tuple(sym.get(r) for r in order)
    extent = {r: env["extent:" + sym[r]] if r in sym else 1 for r in order}
    elem = k["dot_elem_bytes"]
    default = dot_tiles(tuple(extent[r] for r in order), names, elem_bytes=elem, gpu=True, dots=k.get("dots", 1))
    chosen = dict(zip(order, default))
    dims = []
    for s, _ in k["grid_blocks"] + k["loop_blocks"]:
        role = k["dot_dims"].get(s)
        if role in ("m", "n"):
            choices = _choices(MN_CHOICES, extent[role])
        elif role == "k":
            choices = _choices(K_CHOICES, extent[role])
        else:  # batch and blocks outside the dot keep their default
            choices = (chosen["batch"] if role == "batch" else env[s],)
        dims.append(Dimension(f"block_sizes[{_index(s)}]", choices, chosen.get(role, env[s])))
    dims.sort(key=lambda d: int(d.name[len("block_sizes["):-1]))
    # attention: two dots over keys, the head dim a whole dim (no k block) each program holds; the widest of them
    # (q's and v's head dims may differ), as the launcher's `inner`
    head_dim = max((env[s] for s in k["constexprs"]), default=None) if k.get("dots", 1) > 1 and "k" not in sym \
        else None
    stages = (2, 3, 4, 5) if head_dim is not None else (3, 4, 5)
    dims += [Dimension("num_warps", (4, 8), default[-2]), Dimension("num_stages", stages, default[-1])]
    tiles = 1
    for r in order:
        tiles *= -(-extent[r] // chosen[r]) if r in ("m", "n") else (extent[r] if r == "batch" else 1)
    # more tiles than SMs: persistent programs (one per SM, looping over tiles) may pay; one extra candidate, the
    # default tiles so launched (a compile of its own: the nearest-first ranking would never reach it)
    extras = [Config(pid_type="persistent_interleaved")] if tiles > DEFAULT_SMS else []
    # the first inner loop (the k-loop, attention's loop over keys) warp-specialized (Helion's range_warp_specializes):
    # a producer warp group feeding the MMA; where Triton cannot build it for the device, the launch falls back to the
    # plain loop and says so (fast_launch.py), and the tuner times what ran
    extras.append(Config(range_warp_specializes=[True]))
    # operands and results through tensor descriptors (TMA, kopt/passes/tensor_descriptors.py), the default tiles:
    # a compile of its own, whose launcher keeps the pointer kernel where a call's tensors do not fit
    extras.append(Config(indexing="tensor_descriptor"))
    block = {r: f"block_sizes[{_index(sym[r])}]" for r in ("m", "n", "k") if r in sym}

    def valid(values: dict) -> bool:
        bm, bn, bk = (values.get(block[r], chosen[r]) if r in block else 16 for r in ("m", "n", "k"))
        stages = values.get("num_stages") or 3
        warps = values.get("num_warps") or 4
        if head_dim is not None:  # each stage's key and value tiles, the query tile or the scores fed to p @ v
            if multi_dot_shared(bm, bn, head_dim, elem, stages) > H100_SHARED:
                return False
        elif stages * (bm * bk + bk * bn) * elem > SMEM_BYTES:  # each stage's operand tiles
            return False
        if bm * bn > 128 * 256:
            return False
        return not spills(head_dim is not None, bm, bn, head_dim or bk, warps)

    return ConfigSpace(dims, valid, extras)
