# --timing: a table on stderr with the frontend, one row per pass in pipeline order, the backend and a total.
# RUN: %kopt %root/examples/softmax.py --timing -o %t.out 2>&1 | filecheck %s
# CHECK: kopt execution timing report
# CHECK: Total Execution Time: {{[0-9.]+}} ms
# CHECK: ---Wall Time---  ---Name---
# CHECK-NEXT: {{[0-9.]+}} ms ({{ *[0-9.]+}}%)  frontend
# CHECK-NEXT: ms ({{.*}}%)  decompose
# CHECK-NEXT: ms ({{.*}}%)  shape-inference
# CHECK-NEXT: ms ({{.*}}%)  bounds-checks
# CHECK-NEXT: ms ({{.*}}%)  tiling
# CHECK-NEXT: ms ({{.*}}%)  batch-to-grid
# CHECK-NEXT: ms ({{.*}}%)  split-k
# CHECK-NEXT: ms ({{.*}}%)  unify-extents
# CHECK-NEXT: ms ({{.*}}%)  resolve-dim-sizes
# CHECK-NEXT: ms ({{.*}}%)  reciprocal-divisions
# CHECK-NEXT: ms ({{.*}}%)  reduction-variants
# CHECK-NEXT: ms ({{.*}}%)  reduction-lowering
# CHECK-NEXT: ms ({{.*}}%)  loop-peeling
# CHECK-NEXT: ms ({{.*}}%)  masking
# CHECK-NEXT: ms ({{.*}}%)  jagged-masks
# CHECK-NEXT: ms ({{.*}}%)  mask-elision
# CHECK-NEXT: ms ({{.*}}%)  canonicalize
# CHECK-NEXT: ms ({{.*}}%)  lower-to-tt
# CHECK-NEXT: ms ({{.*}}%)  reread-hints
# CHECK-NEXT: ms ({{.*}}%)  verifier
# CHECK-NEXT: ms ({{.*}}%)  backend (Triton source)
# CHECK-NEXT: ms ({{.*}}%)  rest (dumps, output)
# CHECK-NEXT: {{[0-9.]+}} ms (100.0%)  Total
