"""The outbox: answers waiting on this computer while the results database cannot be reached.

A JSON Lines file, one attempt (a dict with its ``key``) a line. Several processes may share one
outbox (notebook kernels, ``course sync``): every operation holds an exclusive ``fcntl.flock`` on
``<outbox>.lock``, a file that is never replaced, so a process waiting for the lock can never end
up writing to a file that another process has just swapped out.

- :func:`append` is durable: the line is flushed and fsync'ed before it returns.
- :func:`remove` and :func:`set_aside` rewrite the file atomically (temporary file, fsync,
  ``os.replace``, fsync of the folder).
- A line that is not a JSON object with a ``key`` (a writer killed mid-line) is skipped, moved to
  ``<outbox>.corrupt`` to be looked at by a person, and never crashes a reader.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from course.files import fsync_folder, replace_file


def append(path: Path, record: dict[str, Any]) -> None:
    """Add one record (which must have a ``key``) to the outbox, durably."""
    if not isinstance(record.get("key"), str):
        raise ValueError("an outbox record needs a 'key' string")
    line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path):
        created = not path.exists()
        with open(path, "a+b") as file:
            if file.seek(0, os.SEEK_END) > 0:
                file.seek(-1, os.SEEK_END)
                if file.read(1) != b"\n":
                    file.write(b"\n")  # a torn last line stays a line of its own
            file.write(line.encode("utf-8"))
            file.flush()
            os.fsync(file.fileno())
        if created:
            fsync_folder(path.parent)


def read(path: Path) -> list[dict[str, Any]]:
    """The records in the outbox, oldest first; corrupt lines are moved to ``<outbox>.corrupt``."""
    path = Path(path)
    if not path.exists():
        return []
    with _locked(path):
        records, corrupt = _parse(path)
        if corrupt:
            _keep_aside(path, corrupt)
            _rewrite(path, records)
    return records


def remove(path: Path, keys: set[str]) -> int:
    """Remove the records with these keys; return how many lines were removed."""
    path = Path(path)
    if not keys or not path.exists():
        return 0
    with _locked(path):
        records, corrupt = _parse(path)
        kept = [record for record in records if record["key"] not in keys]
        if corrupt:
            _keep_aside(path, corrupt)
        if corrupt or len(kept) != len(records):
            _rewrite(path, kept)
    return len(records) - len(kept)


def set_aside(path: Path, keys: set[str]) -> int:
    """Move the records with these keys to ``<outbox>.corrupt`` (they can never be sent)."""
    path = Path(path)
    if not keys or not path.exists():
        return 0
    with _locked(path):
        records, corrupt = _parse(path)
        moved = [record for record in records if record["key"] in keys]
        corrupt += [json.dumps(record, ensure_ascii=False) for record in moved]
        if corrupt:
            _keep_aside(path, corrupt)
            _rewrite(path, [record for record in records if record["key"] not in keys])
    return len(moved)


def corrupt_path(path: Path) -> Path:
    """Where corrupt or unsendable lines are kept for a person to look at."""
    return Path(f"{path}.corrupt")


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(f"{path}.lock", "a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _parse(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    records: list[dict[str, Any]] = []
    corrupt: list[str] = []
    with open(path, "rb") as file:
        for raw in file:
            text = raw.decode("utf-8", errors="replace").strip()
            if not text:
                continue
            try:
                record = json.loads(text)
            except ValueError:
                corrupt.append(text)
                continue
            if isinstance(record, dict) and isinstance(record.get("key"), str):
                records.append(record)
            else:
                corrupt.append(text)
    return records, corrupt


def _keep_aside(path: Path, lines: list[str]) -> None:
    with open(corrupt_path(path), "ab") as file:
        file.write("".join(line + "\n" for line in lines).encode("utf-8"))
        file.flush()
        os.fsync(file.fileno())


def _rewrite(path: Path, records: list[dict[str, Any]]) -> None:
    if not records:
        path.unlink()
        fsync_folder(path.parent)
        return
    data = "".join(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n" for record in records)
    replace_file(path, data.encode("utf-8"), durable=True)


