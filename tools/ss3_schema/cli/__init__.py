"""The thin click layer: one module per command group, shared options in options.py."""
