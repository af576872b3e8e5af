# @register_pass on something that is not a ModulePass.
# ARGS: EXAMPLES/softmax.py --load-pass-plugin FILE
# EXPECT: FILE:7:1: error: @register_pass expects a subclass of xdsl.passes.ModulePass, got class NotAPass
from kopt.passes import register_pass


@register_pass
class NotAPass:
    name = "not-a-pass"
