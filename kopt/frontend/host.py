"""What the frontend knows of host code: tensors with symbolic sizes, size scalars, value scalars.

Host statements stay Python (they run in the launcher); this module only reads
enough of them to name sizes (`n, _m = x.size()`), know the shape and dtype of
allocations (`torch.empty_like(x)`, `torch.empty([m, n], dtype=...)`) and turn
size expressions (`hl.tile(n // 2)`) into symbolic text.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from kopt.dialects.dtypes import from_torch_name, promote, from_short, short_name
from kopt.frontend.host_views import host_derived, host_view, numel_expr
from kopt.frontend.literals import OVERFLOW_NOTE, literal_int, out_of_range
from kopt.frontend.signature import ArgSpec, ConstSpec, DtypeValue, ScalarSpec, TensorSpec
from kopt.frontend.source import KernelSource
from kopt.frontend.values import HostScalar, HostTensor


_ALLOC_LIKE = ("empty_like", "zeros_like", "ones_like", "full_like", "randn_like", "rand_like")
_ALLOC = ("empty", "zeros", "ones", "full", "randn", "rand")
_SIZE_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.FloorDiv: "//", ast.Mod: "%"}
SPECIALIZE_CALLS = ("hl.specialize", "helion.language.specialize")


def torch_attr_name(node: ast.expr) -> str | None:
    """`torch.nn.functional.softmax` -> 'torch.nn.functional.softmax'; None if not a dotted name."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


@dataclass
class HostScope:
    """Symbol table of the host side, filled statement by statement."""

    src: KernelSource
    tensors: dict[str, HostTensor] = field(default_factory=dict)
    scalars: dict[str, HostScalar] = field(default_factory=dict)
    block_sizes: dict[str, str] = field(default_factory=dict)  # host name -> _BLOCK_SIZE_k
    literals: dict[str, int] = field(default_factory=dict)  # host name -> int literal it was last assigned
    constants: dict[str, object] = field(default_factory=dict)  # arguments compiled in: None, bools, int tuples
    dtypes: dict[str, str] = field(default_factory=dict)  # names bound to a torch.dtype -> short name
    static_dims: list[tuple[str, int, str]] = field(default_factory=list)  # a signature's literal sizes
    host_bindings: dict[str, str] = field(default_factory=dict)  # scalars the launcher computes per call (seeds)
    callables: dict[str, object] = field(default_factory=dict)  # function arguments -> InlineFunction
    order: list[str] = field(default_factory=list)  # tensors and value scalars, in definition order

    # ---- parameters

    def add_param(self, name: str, spec: ArgSpec) -> None:
        if isinstance(spec, ConstSpec):
            if isinstance(spec.value, DtypeValue):
                self.dtypes[name] = spec.value.short
            elif hasattr(spec.value, "inline"):  # a function argument (frontend/callables.py)
                self.callables[name] = spec.value.inline
                for cap, dtype, rank in spec.value.inline.tensors:  # its captured tensors: arguments of their own
                    self.add_param(captured_name(name, cap), TensorSpec(dtype, rank))
            else:
                self.constants[name] = spec.value
            return
        if isinstance(spec, ScalarSpec):
            is_size = spec.dtype.startswith("i")
            self.scalars[name] = HostScalar(name, is_size, spec.dtype)
        else:
            dims = [
                d if (spec.dims and not d.isdigit()) else f"{name}_size_{i}"
                for i, d in enumerate(spec.dims or [""] * spec.rank)
            ]
            self.tensors[name] = HostTensor(name, spec.dtype, dims, [f"{name}_stride_{i}" for i in range(spec.rank)])
            self.static_dims += [(name, i, d) for i, d in enumerate(spec.dims or ()) if d.isdigit()]
        self.order.append(name)

    def static_facts(self) -> list[str]:
        """`x: f32[M, 8]` in a signature: `x`'s size 1 is 8, under whatever name it has now."""
        return [f"{self.tensors[t].dims[i]} == {v}" for t, i, v in self.static_dims]

    # ---- statements

    def record(self, stmt: ast.stmt) -> None:
        """Learn what a host statement defines. Unknown statements are simply kept as Python."""
        if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1:
            return
        target, value = stmt.targets[0], stmt.value
        if isinstance(value, ast.Call) and torch_attr_name(value.func) in SPECIALIZE_CALLS and len(value.args) == 1:
            value = value.args[0]  # `n = hl.specialize(x.size(0))` names a size here; host_facts.py records the rest
        if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple) and len(target.elts) == len(value.elts):
            for t, v in zip(target.elts, value.elts):  # `rows, m = offsets.size(0) - 1, x.size(1)`
                self.record(ast.copy_location(ast.Assign(targets=[t], value=v), stmt))
            return
        if isinstance(target, ast.Tuple) and all(isinstance(e, ast.Name) for e in target.elts):
            self._no_sizes_of_scalar(value, stmt)
            tensor = self._size_call_tensor(value)
            if tensor is not None and len(target.elts) != len(tensor.dims):  # e.g. a --signature of another rank
                raise self.src.error(stmt, f"cannot unpack the sizes of `{tensor.name}`, a tensor of rank "
                                           f"{len(tensor.dims)}, into {len(target.elts)} names")
            if tensor is not None:
                for i, e in enumerate(target.elts):
                    if e.id != "_":  # `_, n, _ = k.size()`: `_` names nothing (two dims must not share it)
                        self._name_dim(tensor, i, e.id)
            return
        if not isinstance(target, ast.Name):
            return
        name = target.id
        self.literals.pop(name, None)
        if isinstance(value, ast.Constant) and type(value.value) is int:  # `block = 64`, a tunable's value
            self.literals[name] = value.value
        if (dim := self._size_of(value)) is not None:
            self._name_dim(dim[0], dim[1], name)
        elif (t := self._allocation(name, value)) is not None:
            self.tensors[name] = t
            self.order.append(name)
        elif isinstance(value, ast.Call) and torch_attr_name(value.func) in ("hl.register_block_size",):
            self.block_sizes[name] = ""  # filled by the device builder with a _BLOCK_SIZE_k symbol
        elif _names_a_dtype(value) and (dtype := self.dtype_of(value, "")):
            self.dtypes[name] = dtype  # `acc_dtype = torch.float32`, `dt = x.dtype`
        elif self.try_size_expr(value) is not None:
            self.scalars[name] = HostScalar(name, True, "i64")
        else:
            self.scalars[name] = HostScalar(name, False, "f32")
            self.order.append(name)

    def _no_sizes_of_scalar(self, value: ast.expr, stmt: ast.stmt) -> None:
        """`n, m = x.size()` of a scalar argument (a signature that says `x: f32`): located, not a size unknown later."""
        node = value.func if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) else value
        if not (isinstance(node, ast.Attribute) and node.attr in ("size", "shape") and isinstance(node.value, ast.Name)
                and node.value.id not in self.tensors):
            return
        name = node.value.id
        if name in self.scalars:
            s = self.scalars[name]
            raise self.src.error(stmt, f"`{name}` is a scalar ({s.dtype}) here: it has no sizes to unpack",
                                 f"give it a tensor type, e.g. `{name}: {s.dtype}[M, N]`")
        if name in self.callables:
            raise self.src.error(stmt, f"`{name}` is a function here, not a tensor: it has no sizes to unpack",
                                 "pass a tensor for it")
        if name in self.constants:  # None (an optional tensor left out), a tuple of ints: compiled in as values
            raise self.src.error(stmt, f"`{name}` is {self.constants[name]!r} here, not a tensor: it has no sizes to "
                                       "unpack", "pass a tensor for it")

    def _name_dim(self, tensor: HostTensor, i: int, name: str) -> None:
        old = tensor.dims[i]
        for t in self.tensors.values():
            t.dims = [name if d == old else d for d in t.dims]
        self.scalars[name] = HostScalar(name, True, "i64")

    # ---- size expressions

    def _size_call_tensor(self, node: ast.expr) -> HostTensor | None:
        """`x.size()` or `x.shape` -> x."""
        if isinstance(node, ast.Call) and not node.args and isinstance(node.func, ast.Attribute):
            node = node.func if node.func.attr == "size" else None
        elif not (isinstance(node, ast.Attribute) and node.attr == "shape"):
            node = None
        if node is not None and isinstance(node.value, ast.Name):
            return self.tensors.get(node.value.id)
        return None

    def _size_of(self, node: ast.expr) -> tuple[HostTensor, int] | None:
        """`x.size(i)`, `x.shape[i]`, `x.size()[i]` -> (x, i) with i normalized."""
        tensor, index = None, None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "size":
            if len(node.args) == 1 and isinstance(node.func.value, ast.Name):
                tensor, index = self.tensors.get(node.func.value.id), node.args[0]
        elif isinstance(node, ast.Subscript):
            tensor, index = self._size_call_tensor(node.value), node.slice
        if tensor is None or not isinstance(index, (ast.Constant, ast.UnaryOp)):
            return None
        try:
            i = ast.literal_eval(index)
        except ValueError:
            return None
        if not isinstance(i, int) or not -len(tensor.dims) <= i < len(tensor.dims):
            return None
        return tensor, i % len(tensor.dims)

    def try_size_expr(self, node: ast.expr) -> str | None:
        """Symbolic text for an integer size expression, or None if it is not one."""
        if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
            return str(node.value)
        if isinstance(node, ast.Name):
            s = self.scalars.get(node.id)
            return node.id if s is not None and s.is_size else None
        if (dim := self._size_of(node)) is not None:
            return dim[0].dims[dim[1]]
        if (numel := numel_expr(self, node)) is not None:  # `x.numel()` (host_views.py)
            return numel
        if isinstance(node, ast.BinOp) and type(node.op) in _SIZE_OPS:
            a, b = self.try_size_expr(node.left), self.try_size_expr(node.right)
            if a is not None and b is not None:
                return f"({a}) {_SIZE_OPS[type(node.op)]} ({b})" if not (_simple(a) and _simple(b)) else f"{a} {_SIZE_OPS[type(node.op)]} {b}"
        return None

    def size_list(self, node: ast.expr) -> list[str] | None:
        """Sizes of a loop or allocation: `n`, `[m, n]`, `x.size()`, `x.shape`, `(m, n)`."""
        if (t := self._size_call_tensor(node)) is not None:
            return list(t.dims)
        if isinstance(node, (ast.List, ast.Tuple)):
            out = [self.try_size_expr(e) for e in node.elts]
            return None if any(o is None for o in out) else out
        one = self.try_size_expr(node)
        return None if one is None else [one]

    # ---- allocations

    def dtype_of(self, node: ast.expr | None, default: str) -> str | None:
        """`torch.float16`, `x.dtype`, `torch.promote_types(a.dtype, b.dtype)` -> short name."""
        if node is None:
            return default
        if isinstance(node, ast.Name):
            return self.dtypes.get(node.id)
        if isinstance(node, ast.Attribute) and node.attr == "dtype" and isinstance(node.value, ast.Name):
            t = self.tensors.get(node.value.id)
            return t.dtype if t else None
        if isinstance(node, ast.Call) and torch_attr_name(node.func) == "torch.promote_types" and len(node.args) == 2:
            a, b = (self.dtype_of(x, default) for x in node.args)
            return None if a is None or b is None else short_name(promote(from_short(a), from_short(b)))
        name = torch_attr_name(node)
        if name and name.startswith("torch."):
            return from_torch_name(name)
        return None

    def _allocation(self, name: str, node: ast.expr) -> HostTensor | None:
        if not isinstance(node, ast.Call):
            return None
        if (view := host_view(self, name, node)) is not None:  # `a_flat = a.view(-1)` (host_views.py)
            return view
        fn = torch_attr_name(node.func) or ""
        if (derived := host_derived(self, name, node, fn)) is not None:  # `ends = torch.cumsum(counts, 0)`
            return derived
        kwargs = {k.arg: k.value for k in node.keywords if k.arg}
        strides = lambda rank: [f"{name}_stride_{i}" for i in range(rank)]  # noqa: E731
        like = None
        if fn.removeprefix("torch.") in _ALLOC_LIKE and node.args and isinstance(node.args[0], ast.Name):
            like = self.tensors.get(node.args[0].id)
        elif isinstance(node.func, ast.Attribute) and node.func.attr in ("new_empty", "new_zeros", "new_ones", "new_full"):
            base = self.tensors.get(node.func.value.id) if isinstance(node.func.value, ast.Name) else None
            if base is not None and node.args:
                dims = self.size_list(node.args[0])
                dtype = self.dtype_of(kwargs.get("dtype"), base.dtype)
                if node.func.attr == "new_full" and len(node.args) > 1 and dtype is not None:
                    self._check_fill(node.args[1], dtype)
                if dims is not None and dtype is not None:
                    return HostTensor(name, dtype, dims, strides(len(dims)))
            return None
        if like is not None:
            dtype = self.dtype_of(kwargs.get("dtype"), like.dtype)
            if fn.endswith("full_like") and len(node.args) > 1 and dtype is not None:
                self._check_fill(node.args[1], dtype)
            return None if dtype is None else HostTensor(name, dtype, list(like.dims), strides(len(like.dims)))
        if fn.removeprefix("torch.") in _ALLOC and node.args:
            full = fn.endswith("full")
            n_size_args = len(node.args) - (1 if full else 0)
            size_args = node.args[:n_size_args]
            dims = self.size_list(size_args[0]) if len(size_args) == 1 else self.size_list(ast.List(size_args))
            default = "f32"
            if full and isinstance(node.args[-1], ast.Constant) and isinstance(node.args[-1].value, bool):
                default = "i1"  # torch.full takes its dtype from the fill value: a bool, an int, a float
            elif full and literal_int(node.args[-1]) is not None:
                default = "i64"
            dtype = self.dtype_of(kwargs.get("dtype"), default)
            if full and dtype is not None:
                self._check_fill(node.args[-1], dtype)
            if dims is not None and dtype is not None:
                return HostTensor(name, dtype, dims, strides(len(dims)))
        return None

    def _check_fill(self, node: ast.expr, dtype: str) -> None:
        """An integer fill value must fit the allocation's dtype (torch raises at the call otherwise)."""
        value = literal_int(node)
        why = None if value is None else out_of_range(value, dtype)
        if why:
            raise self.src.error(node, why, OVERFLOW_NOTE)


def captured_name(param: str, name: str) -> str:
    """The host variable holding tensor `name` that function argument `param` captures."""
    return f"_{param}_{name}"


def _names_a_dtype(node: ast.expr) -> bool:
    """`torch.float32`, `x.dtype`, `torch.promote_types(...)`: an expression that is a dtype, if anything."""
    if isinstance(node, ast.Attribute):
        return node.attr == "dtype" or (torch_attr_name(node) or "").startswith("torch.")
    return isinstance(node, ast.Call) and torch_attr_name(node.func) == "torch.promote_types"


def _simple(text: str) -> bool:
    return text.replace("_", "a").isalnum()
