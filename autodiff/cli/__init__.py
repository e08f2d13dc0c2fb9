"""The command line ``python3 -m autodiff`` and the whitelist parser of its expressions."""

from autodiff.cli.command import main

__all__ = ["main"]
