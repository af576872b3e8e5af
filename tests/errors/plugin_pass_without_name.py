# a registered pass class without a `name`.
# ARGS: EXAMPLES/softmax.py --load-pass-plugin FILE
# EXPECT: FILE:11:1: error: pass class Nameless has no `name`
from dataclasses import dataclass

from xdsl.passes import ModulePass

from kopt.passes import register_pass


@register_pass
@dataclass(frozen=True)
class Nameless(ModulePass):
    def apply(self, ctx, op):
        pass
