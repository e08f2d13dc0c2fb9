"""Writing files atomically: a reader sees the old complete file or the new one, never a mix.

Every file the project writes (saved networks, drawings, pages, run folders, sweep results) goes
through `atomic_write`, so an interrupted or concurrent save never leaves a torn file behind.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write"]

# read once at import: os.umask can only be read by setting it, which races with other threads
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def atomic_write(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write `data` (text as UTF-8, or bytes) to `path` atomically and return the path.

    The data goes to a uniquely named temporary file in the same folder, created exclusively (so
    a symlink planted there is never followed), is flushed and synced to disk, and then replaces
    `path` in one `os.replace`. On any failure, including KeyboardInterrupt, the temporary file
    is removed and `path` is left as it was.
    """
    target = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(payload)
            file.flush()
            os.fsync(file.fileno())
        # mkstemp creates the file readable by its owner only; give it the usual permissions
        os.chmod(temporary, 0o666 & ~_UMASK)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
