# a plugin whose top level raises.
# ARGS: EXAMPLES/softmax.py --load-pass-plugin FILE
# EXPECT: FILE:7:1: error: pass plugin failed to load: KeyError: 'level'
from kopt.passes import register_pass  # noqa: F401

SETTINGS = {"mode": "fast"}
LEVEL = SETTINGS["level"]
