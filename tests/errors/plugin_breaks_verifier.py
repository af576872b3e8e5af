# a plugin pass that leaves IR the verifier rejects: located at the user's kernel line.
# ARGS: EXAMPLES/softmax.py --load-pass-plugin FILE --pass-pipeline=decompose,break-reduce
# EXPECT: EXAMPLES/softmax.py:17:26: error: IR does not verify after pass 'break-reduce': 'tile.reduce' op: "bogus" should be of base attribute tile.reduce_kind
from dataclasses import dataclass

from xdsl.dialects.builtin import StringAttr
from xdsl.passes import ModulePass

from kopt.dialects import tile
from kopt.passes import register_pass


@register_pass
@dataclass(frozen=True)
class BreakReduce(ModulePass):
    """Give every tile.reduce a kind that does not exist."""

    name = "break-reduce"

    def apply(self, ctx, op):
        for o in op.walk():
            if isinstance(o, tile.ReduceOp):
                o.kind = StringAttr("bogus")
