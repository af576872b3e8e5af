"""`captured(fn, name)`: a tensor a function argument closes over (an epilogue's `bias`), read by the generated
launcher at every call, since the function object, and what it captures, may change from call to call."""

from __future__ import annotations


def captured(fn, name: str):
    """The value `fn` reads as `name`: from its closure cells, else from its module's globals."""
    code = fn.__code__
    if name in code.co_freevars:
        return fn.__closure__[code.co_freevars.index(name)].cell_contents
    return fn.__globals__[name]
