"""The host side of the tile dialect: a kernel's Python launcher as IR.

`tile.host_func` holds, in order, host statements kept as Python text (`tile.py`),
launches of device kernels (`tile.launch`, with a host expression bound to every
size and stride symbol the kernel uses) and the return value (`tile.host_return`).
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, StringAttr, SymbolRefAttr
from xdsl.ir import Region
from xdsl.irdl import IRDLOperation, irdl_op_definition, prop_def, region_def, traits_def
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.traits import NoTerminator, SymbolOpInterface
from xdsl.utils.exceptions import VerifyException


def print_sym_header(printer: Printer, sym_name: StringAttr) -> None:
    printer.print_string(" @")
    printer.print_string(sym_name.data)


@irdl_op_definition
class HostFuncOp(IRDLOperation):
    """The host side of a kernel: runs on every call, in Python, and launches kernels."""

    name = "tile.host_func"
    sym_name = prop_def(StringAttr)
    params = prop_def(ArrayAttr[StringAttr])
    body = region_def("single_block")
    traits = traits_def(NoTerminator(), SymbolOpInterface())

    def __init__(self, name: str, params: Sequence[str], body: Region):
        super().__init__(
            properties={"sym_name": StringAttr(name), "params": ArrayAttr(StringAttr(p) for p in params)},
            regions=[body],
        )

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.data for p in self.params.data)

    def print(self, printer: Printer) -> None:
        print_sym_header(printer, self.sym_name)
        printer.print_string("(" + ", ".join(self.param_names) + ")")
        printer.print_op_attributes(self.attributes, print_keyword=True)
        printer.print_string(" ")
        printer.print_region(self.body, print_entry_block_args=False)

    @classmethod
    def parse(cls, parser: Parser) -> "HostFuncOp":
        name = parser.parse_symbol_name().data
        params = parser.parse_comma_separated_list(parser.Delimiter.PAREN, parser.parse_identifier)
        attrs = parser.parse_optional_attr_dict_with_keyword()
        op = cls(name, params, parser.parse_region())
        if attrs:
            op.attributes.update(attrs.data)
        return op


@irdl_op_definition
class PyStmtOp(IRDLOperation):
    """A host-side Python statement kept as text (allocations, size unpacking, scalar math)."""

    name = "tile.py"
    code = prop_def(StringAttr)
    assembly_format = "$code attr-dict"

    def __init__(self, code: str):
        super().__init__(properties={"code": StringAttr(code)})


@irdl_op_definition
class LaunchOp(IRDLOperation):
    """Launch a device kernel: `args` are host expressions for its tensor and scalar
    parameters, in order; `bind` gives a host expression for every size or stride
    symbol the kernel may use."""

    name = "tile.launch"
    kernel = prop_def(SymbolRefAttr)
    args = prop_def(ArrayAttr[StringAttr])
    bind = prop_def(DictionaryAttr)
    assembly_format = "$kernel $args `bind` $bind attr-dict"

    def __init__(self, kernel: str, args: Sequence[str], bind: dict[str, str]):
        super().__init__(
            properties={
                "kernel": SymbolRefAttr(kernel),
                "args": ArrayAttr(StringAttr(a) for a in args),
                "bind": DictionaryAttr({k: StringAttr(v) for k, v in bind.items()}),
            }
        )

    @property
    def bindings(self) -> dict[str, str]:
        return {k: v.data for k, v in self.bind.data.items()}

    def verify_(self) -> None:
        # Inside a module, the launched kernel must be one of its `tile.kernel`s (a .tile file may name any).
        module = self.parent_op()
        while module is not None and module.name != "builtin.module":
            module = module.parent_op()
        if module is None:
            return
        name = self.kernel.root_reference.data
        if not any(op.name == "tile.kernel" and op.properties["sym_name"].data == name for op in module.regions[0].block.ops):
            raise VerifyException(f"tile.launch of @{name}, which is no tile.kernel of this module")


@irdl_op_definition
class HostReturnOp(IRDLOperation):
    """The host function's return value, a Python expression."""

    name = "tile.host_return"
    code = prop_def(StringAttr)
    assembly_format = "$code attr-dict"

    def __init__(self, code: str):
        super().__init__(properties={"code": StringAttr(code)})

__all__ = ["HostFuncOp", "PyStmtOp", "LaunchOp", "HostReturnOp"]
