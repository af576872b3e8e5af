# a plugin pass reusing a built-in pass name.
# ARGS: EXAMPLES/softmax.py --load-pass-plugin FILE
# EXPECT: FILE:11:1: error: pass name 'cse' is already taken by a built-in kopt pass
from dataclasses import dataclass

from xdsl.passes import ModulePass

from kopt.passes import register_pass


@register_pass
@dataclass(frozen=True)
class MyCse(ModulePass):
    """Another cse."""

    name = "cse"

    def apply(self, ctx, op):
        pass
