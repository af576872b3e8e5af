"""Bench tests run on the CPU: the Triton peers go through the interpreter, which must be
selected before triton is first imported."""

import os

os.environ.setdefault("TRITON_INTERPRET", "1")
