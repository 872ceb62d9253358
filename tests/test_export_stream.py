"""The streamed CSV export (course.export_csv) writes exactly what the in-memory export wrote."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from course import columnar, export_csv, report
from conftest import new_pg_database
from test_columnar import record_children
from test_report import World, at


def whole(world: World, filters: report.Filters | None = None) -> bytes:
    return report.to_csv(report.answers(world.store, world.course, filters))


def streamed(world: World, filters: report.Filters | None = None, rows: int = 7) -> bytes:
    return b"".join(export_csv.chunks(world.store, world.course, filters, rows=rows))


def check(world: World) -> None:
    for filters in (None, report.Filters(cohort="north"), report.Filters(quiz="final_assessment"), report.Filters(since=at(3, 11), until=at(6, 12)), report.Filters(learner="nobody")):
        expected = whole(world, filters)
        for rows in (4, 1000):
            assert streamed(world, filters, rows) == expected, (filters, rows)


@pytest.mark.parametrize("through_child", [False, True], ids=["read here", "read by the child"])
def test_the_same_file_in_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, through_child: bool) -> None:
    """On SQLite a small store (at most columnar._MAX_HERE answers) is read in this process, a large
    one by the reader child: the same file either way."""
    world = World(tmp_path)
    children = record_children(monkeypatch)
    if through_child:
        monkeypatch.setattr(columnar, "_MAX_HERE", 0)
    try:
        check(world)
        # an answer stored late (an outbox sent after later answers): chunks must not split the order
        world.answer("ann", "basics", "b-single", "b", at(2, 9) - timedelta(days=1), label="late")
        check(world)
        plan = export_csv.Plan(world.store)
        assert plan.answers == len(report.answers(world.store, world.course))
        plan.check_matches(world.course)
        for filters in (report.Filters(learner="nobody"), report.Filters(cohort="west"), report.Filters(quiz="nope"), report.Filters(since=at(30, 1))):
            with pytest.raises(report.NothingMatches):
                export_csv.Plan(world.store, filters).check_matches(world.course)
        assert bool(children) == through_child
    finally:
        world.store.close()


@pytest.mark.postgres
def test_the_same_file_in_chunks_on_postgresql(pg_url: str, _pg_admin, tmp_path: Path) -> None:
    world = World(tmp_path, url=new_pg_database(_pg_admin, pg_url))
    try:
        check(world)
    finally:
        world.store.close()


def test_cuts_keep_answer_order() -> None:
    ids = np.arange(1, 11)
    stamps = np.array([1, 2, 3, 9, 4, 5, 6, 7, 8, 10])  # the 4th stored late... no: answered late, stored early
    spans = export_csv.cuts(ids, stamps, rows=2)
    assert spans[0] == (1, 2) and spans[-1][1] == 10
    for (a, b), (c, d) in zip(spans, spans[1:]):
        assert b + 1 == c
        assert stamps[ids <= b].max() <= stamps[ids >= c].min()
    assert export_csv.cuts(np.array([], dtype=np.int64), np.array([], dtype=np.int64)) == []
