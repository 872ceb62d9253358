"""Recording answers, and the outbox that keeps them while the database cannot be reached.

:meth:`~course.store.ResultsStore.record` stores one answer, or appends it to the outbox
(:mod:`course.outbox`) and returns :attr:`~course.records.SaveOutcome.QUEUED` when the database
cannot be reached; the next answer stored, or :meth:`~course.store.ResultsStore.sync`, sends the
outbox in batches (an answer's key makes sending it twice harmless).
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import exc as sa_exc

from course import outbox
from course.records import Attempt, SaveOutcome, StoreError, SyncResult
from course.store.answers import _attempt_row
from course.store.connection import _reason, _unavailable

log = logging.getLogger("course.store")  # the logger's name from before course.store was a package
_SYNC_BATCH = 200


class RecordingMixin:
    """:class:`~course.store.ResultsStore`'s methods that store answers, or queue them in the outbox."""

    def record(self, attempt: Attempt) -> SaveOutcome:
        """Store one attempt, or queue it in the outbox if the database cannot be reached.

        Raises ValueError for an attempt that cannot be stored (naive time, response not JSON),
        and StoreError only if the answer could not be kept at all, or was kept in the outbox
        because the database refused it (for example a database from a newer course).
        """
        row = _attempt_row(attempt)
        try:
            self._open()
            with self._writer.begin() as conn:
                self._insert_attempt(conn, row)
        except Exception as error:
            if not (_unavailable(error) or isinstance(error, (StoreError, sa_exc.SQLAlchemyError))):
                raise
            self._queue(attempt, error)
            if _unavailable(error):
                log.info("answer %s queued in %s: %s", attempt.key, self.outbox, _reason(error))
                return SaveOutcome.QUEUED
            raise StoreError(
                f"{_reason(error)} Your answer was kept on this computer and will be sent later."
            ) from error
        self._flush_outbox_quietly()
        return SaveOutcome.STORED

    def sync(self) -> SyncResult:
        """Send the outbox; each entry leaves the file only after its insert committed."""
        entries = outbox.read(self.outbox)
        rows: dict[str, dict[str, Any]] = {}
        unsendable: set[str] = set()
        for entry in entries:
            try:
                rows[entry["key"]] = _attempt_row(_attempt_from_outbox(entry))
            except (KeyError, TypeError, ValueError):
                unsendable.add(entry["key"])
        if unsendable:
            log.warning("%d unsendable outbox entries moved aside", len(unsendable))
            outbox.set_aside(self.outbox, unsendable)
        sent = 0
        keys = list(rows)
        try:
            if keys:
                self._open()
            for start in range(0, len(keys), _SYNC_BATCH):
                batch = keys[start : start + _SYNC_BATCH]
                with self._writer.begin() as conn:
                    for key in batch:
                        self._insert_attempt(conn, rows[key])
                sent += outbox.remove(self.outbox, set(batch))
        except StoreError:
            raise
        except Exception as error:
            if not (_unavailable(error) or isinstance(error, sa_exc.SQLAlchemyError)):
                raise
            waiting = len(keys) - sent
            raise StoreError(
                f"{_reason(error)} {waiting} answer(s) are still waiting on this computer."
            ) from error
        return SyncResult(sent=sent, remaining=self.pending_outbox())

    def pending_outbox(self) -> int:
        """How many answers wait in the outbox."""
        return len(outbox.read(self.outbox))

    def _queue(self, attempt: Attempt, cause: BaseException) -> None:
        try:
            outbox.append(self.outbox, _attempt_to_outbox(attempt))
        except OSError as error:
            raise StoreError(
                f"Your answer could not be saved: {_reason(cause)} "
                f"and the outbox {self.outbox} cannot be written ({error})."
            ) from error

    def _flush_outbox_quietly(self) -> None:
        try:
            if self.outbox.exists() and self.outbox.stat().st_size > 0:
                self.sync()
        except Exception:
            log.info("the outbox %s could not be sent yet", self.outbox, exc_info=True)


def _attempt_to_outbox(attempt: Attempt) -> dict[str, Any]:
    record = asdict(attempt)
    record["answered_at"] = attempt.answered_at.isoformat()
    return record


def _attempt_from_outbox(record: dict[str, Any]) -> Attempt:
    return Attempt(**{**record, "answered_at": datetime.fromisoformat(record["answered_at"])})
