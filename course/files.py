"""Writing a file so that a reader never sees half of it: a temporary file, then one rename."""

from __future__ import annotations

import os
from collections.abc import Iterable
import tempfile
from pathlib import Path


def replace_file(path: Path | str, data: bytes | Iterable[bytes], *, durable: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically (the old file, if any, stays until the new one is whole).

    ``data`` may be an iterable of byte strings, written one after another as they come (a
    streamed export: memory stays flat whatever the size).

    With ``durable``, the data and the rename are fsync'ed before this returns (for files whose
    loss would lose answers, such as the outbox). The folder must exist. Returns the path.
    An :class:`OSError` names ``path`` (not the temporary file beside it).
    """
    path = Path(path)
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise _naming(error, path) from error
    try:
        with os.fdopen(handle, "wb") as stream:
            if isinstance(data, (bytes, bytearray, memoryview)):
                stream.write(data)
            else:
                for chunk in data:
                    stream.write(chunk)
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise _naming(error, path) from error
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


def _naming(error: OSError, path: Path) -> OSError:
    """The same error, about ``path``."""
    return type(error)(error.errno, error.strerror or str(error), str(path))


class BadDestination(ValueError):
    """A file cannot be written where it was asked; the message says where and why (nothing written)."""


def destination(out: str | Path, *, folder_file: str | None = None, suffix: str | None = None) -> Path:
    """Where to write a file the person at the terminal asked for, checked before anything is done.

    ``out`` is a file whose folder exists. With ``folder_file``, ``out`` may also be a folder that
    exists (the file is ``folder_file`` in it): then an ``out`` ending in ``/``, or not in
    ``suffix``, names a folder, never a file (``--out certs`` never writes a file named certs).
    Raises :class:`BadDestination` saying what is wrong.
    """
    text = str(out)
    if not text.strip():
        raise BadDestination(f"{text!r}: an empty path; give a file name{' or a folder' if folder_file else ''}")
    path = Path(text).expanduser()
    if folder_file is not None:
        names_folder = text.endswith(("/", os.sep)) or (suffix is not None and path.suffix.lower() != suffix)
        if path.is_dir() or names_folder:
            if not path.is_dir():
                file_name = f"a file name ending in {suffix}" if suffix else ""
                if path.exists():
                    raise BadDestination(f"{text}: is a file, not a folder (give a folder{', or ' + file_name if file_name else ''})")
                raise BadDestination(f"{text}: no such folder (create it first{', or give ' + file_name if file_name else ''})")
            return path / folder_file
    if path.is_dir():
        raise BadDestination(f"{text}: is a folder; give the name of a file to write in it")
    parent = path.parent
    if not parent.exists():
        raise BadDestination(f"{text}: the folder {parent} does not exist")
    if not parent.is_dir():
        raise BadDestination(f"{text}: {parent} is a file, not a folder")
    return path
