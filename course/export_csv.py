"""The full CSV export (``course export --format csv``), streamed: memory stays flat whatever the store's size.

:func:`chunks` yields the bytes of exactly what ``report.to_csv(report.answers(store, course,
filters))`` gives (tests/test_export_stream.py compares them), one chunk of attempts at a time:

1. the stored ids and times of the attempts the filters admit (two numeric columns);
2. cuts in the stored (id) order where every attempt before is answered no later than every
   attempt after, so that each chunk, put in answer order (answered_at, then id) as the report
   does, follows the one before: the same rows in the same order as one big table. Answers
   stored late (a learner's outbox sent after a later answer) only make a chunk longer;
3. each chunk (25,000 attempts) read by id range (:func:`course.columnar.read`), made into the answers table and
   written as CSV without its header (the first chunk's header is the file's).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from course.bank import Course
    from course.report import Filters
    from course.store import ResultsStore

CHUNK_ROWS = 25_000
"""Attempts read at a time (each read is a process on SQLite: fewer, larger chunks start fewer)."""
SLICE_ROWS = 10_000
"""Rows made into CSV text at a time."""


def cuts(ids: np.ndarray, stamps: np.ndarray, rows: int = CHUNK_ROWS) -> list[tuple[int, int]]:
    """[first id, last id] of each chunk: about ``rows`` attempts, cut only where answer order allows.

    A cut before position ``i`` is allowed when no attempt before it was answered later than an
    attempt from ``i`` on (ties are ordered by id, so equal times may be cut).
    """
    n = len(ids)
    if n == 0:
        return []
    before = np.maximum.accumulate(stamps)[:-1]  # latest answer before each possible cut
    after = np.minimum.accumulate(stamps[::-1])[::-1][1:]  # earliest answer from it on
    allowed = np.flatnonzero(before <= after) + 1  # positions where a chunk may start
    spans, start = [], 0
    while start < n:
        end = n
        if start + rows < n:
            k = np.searchsorted(allowed, start + rows)  # the first allowed cut at or after the size
            if k < len(allowed):
                end = int(allowed[k])
        spans.append((int(ids[start]), int(ids[end - 1])))
        start = end
    return spans


class Plan:
    """Which attempts an export writes (their stored ids and times), read once; then the CSV chunk by chunk."""

    def __init__(self, store: ResultsStore, filters: Filters | None = None) -> None:
        from course import columnar, report

        self.store = store
        self.filters = filters or report.Filters()
        try:
            store.schema_version()
            self.ids, self.stamps = columnar.order(store.engine.url, self.filters)
        except columnar.ReadError as error:
            raise report.StoreError(f"The results database cannot be read ({error}).") from error

    @property
    def answers(self) -> int:
        """How many answers the export writes."""
        return len(self.ids)

    def check_matches(self, course: Course) -> None:
        """:func:`course.report.check_matches` for these filters (NothingMatches), without reading the answers."""
        import pandas as pd

        from course import report

        learners = report._load(self.store, self.filters, detail=False, key="").learners  # no answer has an empty key
        report.check_matches(report.Data(pd.DataFrame({"id": self.ids[:1]}), learners, self.filters, False), course)

    def chunks(self, course: Course, *, rows: int = CHUNK_ROWS) -> Iterator[bytes]:
        """The answers CSV (UTF-8 with a BOM, as :func:`course.report.to_csv`) chunk by chunk."""
        from course import columnar, report

        spans = cuts(self.ids, self.stamps, rows) or [None]
        for number, span in enumerate(spans):
            if span is None:  # no answer: the header alone
                data = report._load(self.store, self.filters, detail=True, key="")
            else:
                try:
                    frame, people, latest = columnar.read(self.store.engine.url, self.filters, detail=True, ids=span)
                except columnar.ReadError as error:
                    raise report.StoreError(f"The results database cannot be read ({error}).") from error
                data = report._assemble(frame, people, latest, self.filters, True)
            table = report.answers(data, course)
            del data
            for start in range(0, max(len(table), 1), SLICE_ROWS):  # the text a slice at a time
                text = report.csv_text(table.iloc[start:start + SLICE_ROWS])
                if number or start:
                    text = text[text.index("\n") + 1:]  # the header once, from the first slice
                yield text.encode("utf-8" if number or start else "utf-8-sig")
            del table


def chunks(store: ResultsStore, course: Course, filters: Filters | None = None, *, rows: int = CHUNK_ROWS) -> Iterator[bytes]:
    """``report.to_csv(report.answers(store, course, filters))``, streamed (see :class:`Plan`)."""
    return Plan(store, filters).chunks(course, rows=rows)
