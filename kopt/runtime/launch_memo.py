"""The whole-call memo: a repeat call of a kernel replayed in C (native_memo.c), which calls it may serve, and how.

A kopt call on the GPU is Kernel.__call__, the generated host code and the launch. Where the host code's launches
depend only on the arguments' dtypes, sizes, strides and devices and on its scalar arguments, a call with the same of all of
those makes the same launches, with the call's own tensors in them. The memo keeps what a call launched (recorded
by the C launcher), keyed by those, and replays it in C on a later call that has them: the Plans' guards (dtype,
alignment, int classes), launch hooks and fallbacks still apply to each launch, as launch() does them.

A call is kept only where replaying it is the same as running it:
  - the generated launcher is pure in the metadata (`host_is_pure`): it calls nothing but size and stride reads,
    integer helpers, allocations, checks that raise and its kernels' launches (no torch op on data, no `.item()`),
    and uses its parameters only as metadata or whole in a launch or an allocation; no tensor is passed twice;
  - every tensor a launch takes, and the call returns (None, a tensor or a tuple of them), is one of the call's
    arguments; or (unless `KOPT_CALL_MEMO=inplace`) a fresh allocation of the host code (its own storage, not a view),
    which a replay makes again (`torch.empty_strided` with the same shape, strides, dtype and device);
  - the call is an ordinary repeat: its compile was found and its tuned choice (if tuned) was made before; no
    broadcast variant; no keyword arguments; no shape log being recorded (KOPT_RECORD_SHAPES).
So the memo serves in-place kernels (`add_one(x, out)`, an optimizer step) and kernels that return what they
allocate (a softmax, a norm), checked on an H200 over the whole corpus (benchmarks/README.md);
`KOPT_CALL_MEMO=inplace` keeps allocating kernels on the Python path. `KOPT_CALL_MEMO=0` turns the memo off. Hand-written here: CUDA graphs
would replay launches too, but they fix the tensors' addresses, which differ from call to call.
"""

from __future__ import annotations

import ast
import os

from kopt.runtime.fast_launch import launched_kernels

# metadata kept per kernel (the C call tries them in turn; a mismatch is a few compares). 8 was too few for a kernel
# called on many shapes: on an H200 the 9th..15th shapes of `kopt bench matmul --shapes matmul_mix` took the Python
# path, 25-68 us of host per call against 11-29 with 64 entries (benchmarks/results/h200_2026-12-02d/, diag_memo.txt)
MAX_ENTRIES = 64
MAX_ALLOCS = 16  # native_memo.c's MAX_ALLOCS: tensors one call may make
_SCALARS = (int, float, bool, type(None))

# what a pure launcher may call: reads of sizes and strides, integer helpers, allocations (an allocation a launch
# does not take and the call does not return has no effect), the checks that raise, its launch options
_CALLS = {"cdiv", "next_power_of_2", "min", "max", "int", "float", "abs", "len", "tuple", "bool", "KoptError",
          "SourceLoc", "dot_tiles", "split_k_factor", "device_programs", "split_k_wanted"}
_METHODS = {"size", "stride", "numel", "dim", "get"}
_READS = {"size", "stride", "numel", "dim", "shape", "dtype", "ndim", "device", "is_cuda"}  # a parameter's metadata
_TORCH = {"empty", "empty_like", "empty_strided", "promote_types"}
_PURE_MODULES = {"math": {"*"}, "hl": {"specialize"}}  # math's functions of numbers; hl.specialize(n) is n


def enabled() -> bool:
    return os.environ.get("KOPT_CALL_MEMO", "1") not in ("0", "")


def allocating() -> bool:
    """Whether the memo also serves calls that allocate (their outputs, temporaries): yes unless
    `KOPT_CALL_MEMO=inplace`; in-place calls are served either way."""
    return os.environ.get("KOPT_CALL_MEMO", "1") != "inplace"


def host_is_pure(source: str, name: str) -> bool:
    """Whether generated launcher `name` in `source` calls only what `_CALLS`, `_METHODS` and `_TORCH` allow and its
    kernels' launches, and uses its parameters only as metadata: each parameter (a tensor or a scalar) appears only
    as `p.size(...)`, `p.stride(...)`, `p.shape`, `p.dtype`, ... (`_READS`) or as an argument of a launch or an
    allocation, never in an expression of its own (`float(s[0])`, `if x:`, `x * 2` read data or run torch ops)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    launched = launched_kernels(source)
    fn = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name), None)
    if fn is None:
        return False
    params = {a.arg for a in fn.args.args + fn.args.kwonlyargs} - {"_config"}  # (kopt's overrides: keyed by shapes)
    parents = {child: node for node in ast.walk(fn) for child in ast.iter_child_nodes(node)}
    for node in (n for stmt in fn.body for n in ast.walk(stmt)):
        if isinstance(node, (ast.Lambda, ast.FunctionDef, ast.Global, ast.Nonlocal, ast.Import, ast.ImportFrom)):
            return False
        if isinstance(node, ast.Name) and node.id in params and not _metadata_use(node, parents, launched):
            return False
        if isinstance(node, ast.Call) and not _allowed_call(node.func, launched):
            return False
    return True


def _is_launch(f, launched: set[str]) -> bool:
    """`kernel[grid]`: the callee of a launch of one of the module's kernels."""
    return isinstance(f, ast.Subscript) and isinstance(f.value, ast.Name) and f.value.id in launched


def _module_function(f) -> tuple[str, str] | None:
    """(module, function) of a callee written `module.function` (`torch.empty`, `x.size`), else None."""
    return (f.value.id, f.attr) if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else None


def _allowed_call(f, launched: set[str]) -> bool:
    if isinstance(f, ast.Name):
        return f.id in _CALLS
    called = _module_function(f)
    if called is not None:
        module, name = called
        if module in _PURE_MODULES:
            return "*" in _PURE_MODULES[module] or name in _PURE_MODULES[module]
        return name in (_TORCH if module == "torch" else _METHODS)
    return _is_launch(f, launched)


def _metadata_use(node: ast.Name, parents: dict, launched: set[str]) -> bool:
    """A parameter read as metadata (`x.size(0)`, `x.dtype`), or passed whole to a launch or an allocation."""
    parent = parents.get(node)
    if isinstance(parent, ast.Attribute):
        return parent.attr in _READS
    if isinstance(parent, ast.keyword):
        parent = parents.get(parent)
    if isinstance(parent, ast.Call) and node is not parent.func:
        called = _module_function(parent.func)
        return _is_launch(parent.func, launched) or (called is not None and called[0] == "torch"
                                                     and called[1] in _TORCH)
    return False


def pure(compiled) -> bool:
    """host_is_pure for a CompiledKernel, kept on it."""
    flag = getattr(compiled, "_pure_host", None)
    if flag is None:
        launcher = compiled.launcher
        flag = host_is_pure(compiled.triton_source, getattr(launcher, "__name__", ""))
        compiled._pure_host = flag
    return flag


def guards(args: tuple, tensor_type, devices: bool) -> tuple | None:
    """Per argument what the memo checks: (dtype, shape, stride) of a tensor, with its device where the call makes
    tensors (they are made on the device the host code chose), (value,) of a scalar; None where an argument is
    neither. A contiguous tensor's stride is None, checked by `is_contiguous()` (a third of the cost of reading
    the strides): two tensors of one shape that torch calls contiguous differ in strides only on dims of size 1,
    which every launch indexes at 0 alone, and the replay passes the recorded call's stride values."""
    out = []
    for a in args:
        if isinstance(a, tensor_type):
            stride = None if a.is_contiguous() else tuple(a.stride())
            out.append((a.dtype, tuple(a.shape), stride) + ((a.device,) if devices else ()))
        elif type(a) in _SCALARS:
            out.append((a,))
        else:
            return None
    return tuple(out)


class _Refs:
    """Where a tensor of a recorded call comes from: one of the call's arguments (>= 0) or a tensor the call made
    (<= -2: allocation -2 - k), remade on each replay with the same shape, strides, dtype and device."""

    def __init__(self, args: tuple, tensor_type, allocating: bool):
        self.args, self.allocating = args, allocating
        self.made: list = []
        self.storages = {a.untyped_storage().data_ptr() for a in args if isinstance(a, tensor_type)}

    def of(self, t) -> int | None:
        j = next((j for j, a in enumerate(self.args) if a is t), None)
        if j is not None:
            return j
        k = next((k for k, m in enumerate(self.made) if m is t), None)
        if k is not None:
            return -2 - k
        return self._fresh(t)

    def _fresh(self, t) -> int | None:
        """A tensor the host code allocated (torch.empty / empty_like / empty_strided: what a pure launcher may
        call): its own storage, shared with no argument and no other allocation, not a view, no autograd."""
        if not self.allocating or len(self.made) >= MAX_ALLOCS or t._base is not None or t.requires_grad:
            return None
        storage = t.untyped_storage().data_ptr()
        if t.storage_offset() != 0 or storage in self.storages:
            return None
        self.storages.add(storage)
        self.made.append(t)
        return -2 - (len(self.made) - 1)

    def allocs(self) -> tuple:
        import torch

        return tuple((torch.empty_strided, (tuple(t.shape), tuple(t.stride())), {"dtype": t.dtype, "device": t.device})
                     for t in self.made)


def entry(native, args: tuple, launches: list, result, tensor_type, allocating: bool = False):
    """The memo entry of a call with `args` that made `launches` (as the C launcher recorded them) and returned
    `result`; None where replaying it would not be the same as running it. `allocating`: tensors the call made
    (fresh allocations its launches write) are remade by the replay; else only calls whose tensors are all their
    arguments are kept."""
    tensors = [id(a) for a in args if isinstance(a, tensor_type)]
    if not launches or len(set(tensors)) != len(tensors):
        return None  # (a tensor passed twice: the guards cannot tell a later call whose two are different)
    refs = _Refs(args, tensor_type, allocating)
    replays = []
    for launcher, grid, call_args, kwnames, kwvalues in launches:
        if type(grid) is not tuple or not all(type(g) is int for g in grid):
            return None
        constants, where = [], []
        for a in call_args:
            if isinstance(a, tensor_type):
                ref = refs.of(a)
                if ref is None:
                    return None  # a tensor the replay could not make the same (a view, one of autograd's)
                constants.append(None)
                where.append(ref)
            elif type(a) in _SCALARS:
                constants.append(a)
                where.append(-1)
            else:
                return None
        if not all(type(v) in _SCALARS for v in kwvalues):
            return None
        replays.append((launcher, grid, tuple(constants), tuple(where), tuple(kwnames), tuple(kwvalues)))
    returned = _result_refs(result, refs, tensor_type)
    checked = guards(args, tensor_type, devices=bool(refs.made))
    if returned is None or checked is None:
        return None
    try:
        return native.Entry(checked, tuple(replays), returned, tensor_type, refs.allocs())
    except (TypeError, ValueError):  # more arguments than the C launch takes, a launcher of another kind
        return None


def _result_refs(result, refs: _Refs, tensor_type):
    """The result as references (None: -1), a tuple as a tuple; None where it is something a replay cannot give."""
    if result is None:
        return -1
    if type(result) is tuple:
        parts = [_result_refs(r, refs, tensor_type) for r in result]
        return None if any(p is None or type(p) is tuple for p in parts) else tuple(parts)
    if isinstance(result, tensor_type):
        return refs.of(result)
    return None


def may_record(kernel, values, fast_entry) -> bool:
    """Whether this call (a hit of `kernel`'s compile cache, `fast_entry` its entry there) may be recorded for the
    memo: an ordinary repeat on the GPU (no broadcast variant; its tuned choice, if tuned, made before) of a launcher
    whose host code is pure in the metadata, while the kernel keeps fewer than MAX_ENTRIES."""
    memo = kernel._memo
    if memo is None or len(memo) >= MAX_ENTRIES or fast_entry[3] != "cuda" or fast_entry[4]:
        return False
    compiled, tuning = fast_entry[0], fast_entry[1]
    if tuning is not None:
        from kopt.runtime.kernel import exact_choice

        chosen = exact_choice(tuning, values)[1]
        if chosen is None:
            return False
        compiled = chosen[0]
    return pure(compiled)


def record(kernel, values, run):
    """Run the call (`run()`) recording its launches, and keep its memo entry where replaying it is the same."""
    result, made = _recorded(values, run)
    if made is not None and kernel._memo is not None:
        kernel._memo.append(made)
    return result


def replay_of(values, run):
    """The memo entry of the call `run()` on `values` (callable: `entry(*values)` replays it, as a repeat call of
    the kernel runs), or None where the memo would not keep it: what the autotuner times a candidate by, as
    called. (The caller has checked that the host code is pure.)"""
    from kopt.runtime import native_launch

    if not (enabled() and native_launch.enabled()) or native_launch.module() is None:
        return None
    return _recorded(values, run)[1]


def _recorded(values, run):
    """(the result of `run()`, its memo entry or None), its launches recorded by the C launcher."""
    from kopt.runtime import native_launch

    native = native_launch.module()
    if native is None:
        return run(), None
    native.record_start()
    try:
        result = run()
    finally:
        launches = native.record_stop()
    import torch

    return result, entry(native, tuple(values), launches, result, torch.Tensor, allocating())


def install(native, cls) -> None:
    """Make the `__call__` of `cls` (the class in its MRO that defines it) the C memo's, once: the Python call stays
    its fallback, for instances without a memo and for calls the memo does not serve."""
    owner = next(k for k in cls.__mro__ if "__call__" in k.__dict__)
    current = owner.__dict__["__call__"]
    if not isinstance(current, native.MemoCall):
        owner.__call__ = native.MemoCall(current)


def attach(kernel) -> None:
    """Give `kernel` (a Kernel at its first call on the GPU) the memo, where the C module is built and the memo on."""
    from kopt.runtime import fast_launch, native_launch

    if not (enabled() and fast_launch.enabled() and native_launch.enabled()) or "_memo" in kernel.__dict__:
        return
    native = native_launch.module()
    if native is None:
        return
    install(native, type(kernel))
    kernel._memo = []
