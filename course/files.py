"""Writing a file so that a reader never sees half of it: a temporary file, then one rename."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def replace_file(path: Path | str, data: bytes, *, durable: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically (the old file, if any, stays until the new one is whole).

    With ``durable``, the data and the rename are fsync'ed before this returns (for files whose
    loss would lose answers, such as the outbox). The folder must exist. Returns the path.
    """
    path = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    if durable:
        fsync_folder(path.parent)
    return path


def fsync_folder(folder: Path) -> None:
    """Make a rename or a new file in ``folder`` survive a crash."""
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
