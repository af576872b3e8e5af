# no input file at all.
# ARGS: --emit=tt
# EXPECT: error: no input file
