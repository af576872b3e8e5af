# the input is a folder.
# ARGS: CASES
# EXPECT: <command line>:1:6: error: cannot read 'tests/errors': Is a directory
