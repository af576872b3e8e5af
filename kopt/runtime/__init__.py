"""kopt's runtime: the @kopt.kernel callable, its caches, and the compile driver."""
