"""Benchmark harness behind ``kopt bench KERNEL``.

Modules: ``shapes`` (named shape sets), ``specs`` (inputs, reference, bytes/flops per kernel),
``peers`` (implementations kopt is compared with), ``triton_rows`` / ``triton_matmul``
(hand-written Triton peers), ``harness`` (check + time), ``report`` (table, CSV, plot),
``cli`` (argument parsing) and ``kopt_impl`` (kopt's own implementations, wired by the lead).
Nothing here imports torch or triton at package import time.
"""
