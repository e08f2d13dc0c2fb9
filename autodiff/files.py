"""Writing files atomically, and reading untrusted ones within a size limit.

Every file the project writes (saved networks, drawings, pages, run folders, sweep results) goes
through `atomic_write`, so an interrupted or concurrent save never leaves a torn file behind: a
reader sees the old complete file or the new one, never a mix. Every file the project reads from
elsewhere (saved networks, run configs) goes through `read_limited`, so a huge file, a device or a
FIFO is refused instead of filling memory or blocking forever.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

__all__ = ["atomic_write", "read_json", "read_limited", "unwritable_reason"]

# read once at import: os.umask can only be read by setting it, which races with other threads
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def atomic_write(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write `data` (text as UTF-8, or bytes) to `path` atomically and return the path.

    The data goes to a uniquely named temporary file in the same folder, created exclusively (so
    a symlink planted there is never followed), is flushed and synced to disk, and then replaces
    `path` in one `os.replace` (a symlink at `path` itself is replaced, not followed). On any
    failure, including KeyboardInterrupt, the temporary file is removed and `path` is left as it
    was. A file that is replaced keeps its permission bits (a private file stays private); a new
    one gets the usual ones (0o666 less the umask).
    """
    target = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        existing = os.stat(target, follow_symlinks=False)
        mode = stat.S_IMODE(existing.st_mode) if stat.S_ISREG(existing.st_mode) else 0o666 & ~_UMASK
    except FileNotFoundError:
        mode = 0o666 & ~_UMASK
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as error:  # its message would name the temporary file, which the caller never heard of
        raise type(error)(error.errno, error.strerror, os.fspath(target)) from None
    try:
        with open(descriptor, "wb", closefd=True) as file:
            file.write(payload)
            file.flush()
            os.fsync(file.fileno())
        # mkstemp creates the file readable by its owner only
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _sync_folder(target.parent)
    return target


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened (Windows)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some file systems cannot sync a folder; the file's own data is synced already
    finally:
        os.close(descriptor)


def unwritable_reason(folder: str | os.PathLike[str]) -> str | None:
    """Why files cannot be written in `folder` (made with its parents if missing), or None if they can.

    Checked before long work whose results go there, so a wrong path is found at once, not after it.
    """
    existing = Path(folder)
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is a file, not a folder" if existing.exists() else f"{existing} does not exist"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"{existing} is not writable"
    return None


def read_limited(path: str | os.PathLike[str], max_bytes: int) -> bytes:
    """The bytes of the regular file at `path`, refusing anything else before reading it.

    Raises `ValueError` if it is not a regular file (a folder, a device such as ``/dev/zero``, a
    FIFO: opened without blocking, never read) or holds more than `max_bytes` bytes, and `OSError`
    if it cannot be opened, as `open` does. The `ValueError` message says what is wrong with "it",
    to follow the caller's naming of the file (``f"{path} is not a saved network: {error}"``).
    """
    # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, forever
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise ValueError("it is not a regular file (a folder, a device or a pipe?)")
        if status.st_size > max_bytes:
            raise ValueError(f"it holds {status.st_size} bytes, more than the limit of {max_bytes}")
        with open(descriptor, "rb", closefd=False) as file:
            data = file.read(max_bytes + 1)  # the file may have grown since fstat
    finally:
        os.close(descriptor)
    if len(data) > max_bytes:
        raise ValueError(f"it holds more than the limit of {max_bytes} bytes")
    return data


def read_json(path: str | os.PathLike[str], max_bytes: int) -> Any:
    """The JSON document in the file at `path`, read strictly: untrusted input that can only be data.

    The file is read with `read_limited`; it must be UTF-8 JSON with no repeated key in an object,
    no ``NaN``/``Infinity`` and no integer of more than 4300 digits. Raises `ValueError` for each of
    those, for a truncated file and for one nested too deeply to parse, with a message about "it"
    as `read_limited` has; `OSError` if it cannot be opened.
    """
    data = read_limited(path, max_bytes)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"it is not UTF-8 text ({error})") from None
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant, parse_int=_json_int)
    except json.JSONDecodeError as error:
        raise ValueError(f"invalid JSON ({error}); is the file truncated?") from None
    except RecursionError:
        raise ValueError("its JSON is nested too deeply to read") from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        counts = Counter(key for key, _ in pairs)
        repeated = next(key for key, _ in pairs if counts[key] > 1)
        raise ValueError(f"the key {repeated!r} appears more than once")
    return document


def _json_int(digits: str) -> int:
    try:
        return int(digits)
    except ValueError:  # over 4300 digits: Python's own message advises raising its limit, which is not the fix here
        raise ValueError(f"it holds an integer of {len(digits)} digits, too large for a parameter or a size") from None


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")
