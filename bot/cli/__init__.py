"""The command line, `python -m bot <command>` (`./dev <command>`): one parser (main), one
settings loader (settings), one module per command group."""
