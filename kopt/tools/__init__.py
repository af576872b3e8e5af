"""kopt's command-line tools: the `kopt` compiler driver and `kopt bench`."""
