"""The ``tunelab`` subcommands, one module each."""
