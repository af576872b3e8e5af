# a plugin pass whose apply raises an ordinary exception.
# ARGS: EXAMPLES/softmax.py --load-pass-plugin FILE --pass-pipeline=decompose,raise-in-apply
# EXPECT: FILE:19:9: error: pass 'raise-in-apply' failed: ValueError: no tile.softmax expected here
from dataclasses import dataclass

from xdsl.passes import ModulePass

from kopt.passes import register_pass


@register_pass
@dataclass(frozen=True)
class RaiseInApply(ModulePass):
    """Fails on purpose."""

    name = "raise-in-apply"

    def apply(self, ctx, op):
        raise ValueError("no tile.softmax expected here")
