"""Subcommands of `evalkit`; each module defines `register(app)`. See evalkit/cli.py."""
