"""The command line ``python -m autodiff`` and the whitelist parser of its expressions."""

from autodiff.cli.command import main

__all__ = ["main"]
