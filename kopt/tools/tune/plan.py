"""What a tuning job covers: kernels, the argument sets (cases) to cover, and the units tuned.

A kernel is named by its file and attribute (`examples/softmax.py:softmax`, or every @kopt.kernel of a file)
or given as a @kopt.kernel object defined at the top level of a file; workers load it from that file, or from
a copy of its text where the file is not on their host. A case is one call's arguments described without data
(kopt/runtime/shape_log.py), from a named shape set, explicit shapes, explicit argument types or a shape log.
A unit is what one tuned config serves: (kernel, specialization, size bucket), the cases falling in it, and
those cases grouped by what Triton specializes on (sizes and strides equal to 1 or divisible by 16) so that
each group's Triton binaries can be built once.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path

from kopt.errors import KoptError
from kopt.runtime.shape_log import describe, read_log, rebuild, tensor_label


@dataclass(frozen=True)
class KernelRef:
    """How a worker finds a kernel: its file (and that file's text) and its name there."""

    file: str
    name: str
    source: str

    @property
    def id(self) -> str:
        return f"{Path(self.file).name}:{self.name}"

    def to_json(self) -> dict:
        return {"file": self.file, "name": self.name, "source": self.source}


@dataclass
class Case:
    kernel: str  # KernelRef.id
    args: list  # shape_log.describe(...)

    @property
    def label(self) -> str:
        return tensor_label(self.args)


@dataclass
class Unit:
    """One (kernel, specialization, size bucket): one tuned config per device kind."""

    id: int
    kernel: str
    key: str  # the specialization key, as text (tensors' device type left out)
    bucket: tuple
    items: tuple = ()  # the specialization key itself
    cases: list[Case] = field(default_factory=list)
    groups: list[list[int]] = field(default_factory=list)  # case indices per Triton specialization; [0][0] == 0

    @property
    def label(self) -> str:
        from kopt.runtime.kernel import _bucket_label

        return f"{self.kernel.split(':')[-1]}{_bucket_label(self.items, self.bucket)}"


# ---------------------------------------------------------------- kernels


_LOADED: dict[str, object] = {}


def load_file(path: str | Path) -> object:
    """Run a kernel file as a module (once per path), its directory on sys.path as for a script."""
    path = Path(path).resolve()
    key = str(path)
    if key not in _LOADED:
        if not path.is_file():
            raise KoptError(f"kopt tune: no such file {str(path)!r}")
        name = f"kopt_tune_{hashlib.sha256(key.encode()).hexdigest()[:12]}"
        if str(path.parent) not in sys.path:
            sys.path.insert(0, str(path.parent))
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        _LOADED[key] = module
    return _LOADED[key]


def file_kernels(path: str | Path) -> dict[str, object]:
    """The @kopt.kernel objects at the top level of a file, by name."""
    from kopt.runtime.kernel import Kernel

    module = load_file(path)
    return {n: v for n, v in vars(module).items() if isinstance(v, Kernel) and v.fn.__name__ == n}


def ref_of(kernel, name: str | None = None) -> KernelRef:
    """The KernelRef of a @kopt.kernel object defined at the top level of a file."""
    fn = kernel.fn
    file = fn.__code__.co_filename
    if fn.__qualname__ != fn.__name__ or not Path(file).is_file():
        raise KoptError(f"kopt tune: kernel {fn.__qualname__} is not defined at the top level of a file",
                        notes=["workers load kernels from their file: define it with @kopt.kernel in a module"])
    return KernelRef(str(Path(file).resolve()), name or fn.__name__, Path(file).read_text())


def resolve_kernels(specs: list) -> dict[str, tuple[KernelRef, object]]:
    """`path.py`, `path.py:name` or Kernel objects -> {ref id: (ref, kernel)}."""
    from kopt.runtime.kernel import Kernel

    out: dict[str, tuple[KernelRef, object]] = {}
    for spec in specs:
        if isinstance(spec, Kernel):
            ref = ref_of(spec)
            found = {ref.name: spec}
            file = ref.file
        else:
            file, _, name = str(spec).partition(":")
            found = file_kernels(file)
            if name:
                if name not in found:
                    raise KoptError(f"kopt tune: {file} has no @kopt.kernel named {name!r}",
                                    notes=[f"its kernels: {', '.join(sorted(found)) or 'none'}"])
                found = {name: found[name]}
            elif not found:
                raise KoptError(f"kopt tune: no @kopt.kernel at the top level of {file}")
        for name, k in found.items():
            ref = ref_of(k, name)
            out[ref.id] = (ref, k)
    return out


# ---------------------------------------------------------------- cases


def _attention_args(shape, dtype, device):
    import torch

    bh, seq, d = shape
    return tuple(torch.empty(bh, seq, d, dtype=dtype, device=device) for _ in range(3))


def maker(kernel_name: str):
    """`(shape, dtype) -> arguments` for kernels with a known argument layout: kopt bench's kernels (softmax,
    layer_norm, rms_norm, cross_entropy: (M, N); matmul: (M, N, K)) and attention ((batch * heads, seq, d))."""
    from kopt.tools.bench.specs import SPECS

    if kernel_name in SPECS:
        return lambda shape, dtype: SPECS[kernel_name].make(tuple(shape), dtype, "meta")
    if kernel_name == "attention":
        return lambda shape, dtype: _attention_args(tuple(shape), dtype, "meta")
    return None


def default_dtype(kernel_name: str) -> str:
    return "fp16" if kernel_name in ("matmul", "attention") else "fp32"


def _torch_dtype(name: str):
    import torch

    table = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16, "f32": torch.float32,
             "f16": torch.float16, "f64": torch.float64, "i32": torch.int32, "i64": torch.int64, "i8": torch.int8,
             "u8": torch.uint8, "i1": torch.bool, "bool": torch.bool}
    if name in table:
        return table[name]
    dtype = getattr(torch, name, None)
    if not isinstance(dtype, torch.dtype):
        raise KoptError(f"kopt tune: unknown dtype {name!r}", notes=[f"known: {', '.join(table)}"])
    return dtype


def shape_cases(kernel_id: str, shapes: list[tuple], dtype: str | None = None) -> list[Case]:
    """Cases from shapes, through the kernel's argument maker."""
    name = kernel_id.split(":")[-1]
    make = maker(name)
    if make is None:
        raise KoptError(f"kopt tune: no argument layout is known for {name!r}, so shapes cannot become arguments",
                        notes=["give its arguments' types with --args NAME='f16[8,1024,64],f16[...],...', or a shape "
                               "log (KOPT_RECORD_SHAPES=FILE)"])
    torch_dtype = _torch_dtype(dtype or default_dtype(name))
    return [Case(kernel_id, describe(make(s, torch_dtype))) for s in shapes]


def parse_shape(text: str) -> tuple[int, ...]:
    try:
        dims = tuple(int(d) for d in text.lower().replace(",", "x").split("x"))
    except ValueError:
        raise KoptError(f"kopt tune: {text!r} is not a shape (write it 4096x1024)") from None
    if not dims or any(d < 0 for d in dims):
        raise KoptError(f"kopt tune: {text!r} is not a shape (write it 4096x1024)")
    return dims


def parse_args_spec(text: str) -> list:
    """`f16[8,1024,64],f16[8,1024,64],1e-5,3` -> argument descriptions (contiguous tensors)."""
    import torch

    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
            continue
        depth += ch == "["
        depth -= ch == "]"
        cur += ch
    if cur.strip():
        parts.append(cur.strip())
    out = []
    for p in parts:
        if "[" in p and p.endswith("]"):
            name, dims = p[:-1].split("[", 1)
            shape = [int(d) for d in dims.replace("x", ",").split(",") if d.strip()]
            out.append(torch.empty(shape, dtype=_torch_dtype(name.strip()), device="meta"))
        elif p in ("None", "True", "False"):
            out.append({"None": None, "True": True, "False": False}[p])
        else:
            try:
                out.append(int(p))
            except ValueError:
                try:
                    out.append(float(p))
                except ValueError:
                    raise KoptError(f"kopt tune: argument {p!r}: expected dtype[dims] (f16[8,1024]), an int or a "
                                    "float") from None
    return describe(out)


def log_cases(path: str | Path, kernels: dict) -> tuple[list[Case], dict]:
    """Cases from a shape log; kernels it names that are not in `kernels` are added (from the logged file)."""
    cases = []
    for entry in read_log(path):
        ref_id = f"{Path(entry['file']).name}:{entry['kernel']}"
        if ref_id not in kernels:
            try:
                kernels.update(resolve_kernels([f"{entry['file']}:{entry['kernel']}"]))
            except KoptError as e:
                sys.stderr.write(f"kopt tune: skipping {ref_id} from {path}: {e.message}\n")
                kernels[ref_id] = None
        if kernels.get(ref_id) is not None:
            cases.append(Case(ref_id, entry["args"]))
    return cases, kernels


# ---------------------------------------------------------------- units


def _int_class(v: int) -> tuple:
    """How Triton specializes an integer argument: equal to 1, divisible by 16, and i32 or wider."""
    return (v == 1, v % 16 == 0, not -(1 << 31) <= v < 1 << 31)


def triton_group(args: list) -> tuple:
    """What Triton specializes a launch on, as far as the arguments decide it: which sizes, strides and integer
    arguments are 1, divisible by 16, or past 32 bits."""
    out = []
    for m in args:
        if m[0] == "tensor":
            out.append(tuple(_int_class(s) for s in [*m[1], *m[2]]))
        elif m[0] == "value" and isinstance(m[1], int) and not isinstance(m[1], bool):
            out.append(_int_class(m[1]))
    return tuple(out)


def make_units(cases: list[Case], kernels: dict) -> tuple[list[Unit], list[dict]]:
    """Group cases into units; a case the kernel refuses (a dtype it does not take, ...) is reported, not fatal."""

    units: dict[tuple, Unit] = {}
    problems = []
    seen = set()
    for case in cases:
        ident = (case.kernel, repr(case.args))
        if ident in seen:
            continue
        seen.add(ident)
        kernel = kernels[case.kernel][1]
        values = rebuild(case.args, "meta")
        try:
            items, _device = kernel._key(values)
            compiled = kernel._variant(items, _device, kernel.config, count=False)
        except KoptError as e:
            problems.append({"case": f"{case.kernel} {case.label}", "error": e.message})
            continue
        items = tuple((*it[:5], None, *it[6:]) if isinstance(it, tuple) and it[:1] == ("tensor",) else it
                      for it in items)
        # the bucket as a deployed call keys its tuned config (Kernel.tune_bucket: size variants apart)
        ukey = (case.kernel, repr(items), kernel.tune_bucket(values, compiled))
        if ukey not in units:
            units[ukey] = Unit(len(units), case.kernel, ukey[1], ukey[2], items)
        units[ukey].cases.append(case)
    for unit in units.values():
        groups: dict[tuple, list[int]] = {}
        for i, c in enumerate(unit.cases):
            groups.setdefault(triton_group(c.args), []).append(i)
        unit.groups = list(groups.values())
    return list(units.values()), problems
