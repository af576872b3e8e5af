# no input file at all.
# ARGS: --emit=tt
# EXPECT: <command line>:1:16: error: no input file
