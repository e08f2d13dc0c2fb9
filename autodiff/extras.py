"""Optional dependencies: a missing one raises an error that names the extra to install.

>>> with needs_extra("testing", "autodiff.testing"):
...     import hypothesis
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

__all__ = ["MissingExtraError", "install_command", "needs_extra"]

DISTRIBUTION = "scalar-autodiff"
"""The name pip installs the project by."""


class MissingExtraError(ModuleNotFoundError):
    """An optional dependency is not installed; the message names the extra that brings it."""


def install_command(extra: str) -> str:
    """The command that installs `extra`, for a released package and for a clone of the repository."""
    return f"pip install '{DISTRIBUTION}[{extra}]' (in a clone of the repository: pip install -e '.[{extra}]')"


@contextlib.contextmanager
def needs_extra(extra: str, feature: str) -> Iterator[None]:
    """Run the imports of the block; a missing module raises `MissingExtraError` naming `extra`.

    `feature` says what needs the module (``"python3 -m rl"``, ``"autodiff.testing"``).
    """
    try:
        yield
    except ModuleNotFoundError as error:
        if isinstance(error, MissingExtraError):
            raise
        package = (error.name or "").partition(".")[0]  # matplotlib.figure comes with matplotlib
        raise MissingExtraError(
            f"{feature} needs the package {package!r}, which is not installed: it comes with the "
            f"{extra!r} extra: {install_command(extra)}",
            name=package,
        ) from None  # the chained ModuleNotFoundError would only repeat the module's name
