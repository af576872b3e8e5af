# a plugin that defines a pass but forgets @register_pass.
# ARGS: EXAMPLES/softmax.py --load-pass-plugin FILE
# EXPECT: FILE:1:1: error: pass plugin 'FILE' registered no pass
from dataclasses import dataclass

from xdsl.passes import ModulePass


@dataclass(frozen=True)
class Forgotten(ModulePass):
    name = "forgotten"

    def apply(self, ctx, op):
        pass
