"""A lesson kernel's store (course.lesson_store): its reads return what the real store's do, without SQLAlchemy."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from seed import ANN, BOB, CARLA, DEV, EVE, NURSES, seed

from course import lesson_store
from course import store as store_module
from course.bank import load_course
from course.lesson_store import LessonStore, open_store, sqlite_file
from course.store import ResultsStore

LEARNERS = (ANN, BOB, CARLA, DEV, EVE, "Nobody")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite store holding every kind of record a lesson page reads."""
    folder = tmp_path_factory.mktemp("lesson-store")
    url = f"sqlite:///{folder / 'results.sqlite'}"
    course = load_course()
    with ResultsStore(url, outbox=folder / "outbox.jsonl") as results:
        seed(results, course)
        written = next(a for a in results.attempts(learner=ANN) if a.question_type == "free_text")
        results.add_review(written.key, score=0.5, reviewer="Tess Trainer", comment="good")
        results.allow_retake(CARLA, "final_assessment", trainer="Tess Trainer")
        results.waive(BOB, "final_assessment", by="Tess Trainer", reason="experienced")
        results.set_role(ANN, "nurse", by=ANN)
        results.set_setting("recertify_after_days", 365, by="Tess Trainer")
        results.set_due_date(NURSES, "final_assessment", datetime(2027, 1, 31, 17, 0, tzinfo=UTC), by="Tess Trainer")
        passed = next(s for s in results.sittings(ANN, "final_assessment") if s.submitted_at is not None)
        results.open_sitting(ANN, "final_assessment", lambda n: list(passed.questions), renews=passed.id)
    return url


def test_every_read_is_the_real_stores(seeded: str) -> None:
    quizzes = sorted(load_course().banks)
    with ResultsStore(seeded) as real, LessonStore(seeded) as fast:
        assert fast.attempts() == real.attempts() and len(real.attempts()) > 100
        for learner in LEARNERS:
            assert fast.attempts(learner=learner) == real.attempts(learner=learner)
            assert fast.role(learner) == real.role(learner)
            assert fast.cohort(learner) == real.cohort(learner)
            assert fast.waivers(learner) == real.waivers(learner)
            for quiz in quizzes:
                assert fast.attempts(learner=learner, quiz=quiz) == real.attempts(learner=learner, quiz=quiz)
                assert fast.latest(learner, quiz) == real.latest(learner, quiz)
                assert fast.sittings(learner, quiz) == real.sittings(learner, quiz)
                assert fast.waivers(learner, quiz) == real.waivers(learner, quiz)
                assert fast.retakes_allowed(learner, quiz) == real.retakes_allowed(learner, quiz)
                assert fast.recertifications(learner, quiz) == real.recertifications(learner, quiz)
        for quiz in quizzes:
            assert fast.attempts(quiz=quiz) == real.attempts(quiz=quiz)
        for a in real.attempts()[:40]:
            assert fast.attempt(a.key) == a
            assert fast.reviews(a.key) == real.reviews(a.key)
        assert fast.attempt("no such key") is None
        assert fast.reviews() == real.reviews() and real.reviews()
        assert fast.settings() == real.settings() and real.settings()
        assert fast.due_dates() == real.due_dates() and real.due_dates()
        assert fast.due_dates(NURSES) == real.due_dates(NURSES)
        assert real.retakes_allowed(CARLA, "final_assessment") == 1 and real.recertifications(ANN, "final_assessment") == 1
        assert fast._store is None  # all of it read without the real store


def test_the_schema_versions_read_include_the_stores() -> None:
    """A new schema version: check its tables against lesson_store's reads, then add it there."""
    assert store_module.SCHEMA_VERSION in lesson_store.SCHEMA_VERSIONS


def test_a_lesson_page_reads_without_sqlalchemy(seeded: str, tmp_path: Path) -> None:
    database = sqlite_file(seeded)
    assert database is not None
    code = (
        "import sys\n"
        "from course.widgets import get_backend\n"
        f"backend = get_backend({ANN!r})\n"
        "practice = backend.practice('history')\n"
        "assert practice.earlier and not practice.earlier_unreadable, practice\n"
        "assert backend.role() == 'nurse'\n"
        "backend.progress(); backend.home()\n"
        f"assert get_backend({EVE!r}).sitting('final_assessment').state == 'locked'\n"
        "assert 'sqlalchemy' not in sys.modules, 'SQLAlchemy loaded to read'\n"
    )
    env = {"COURSE_DATA_DIR": str(tmp_path), "COURSE_DB_URL": seeded, "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr


def test_writes_and_everything_else_go_to_the_real_store(seeded: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'copy.sqlite'}"
    Path(tmp_path / "copy.sqlite").write_bytes(Path(sqlite_file(seeded)).read_bytes())
    with LessonStore(url) as fast:
        assert fast._store is None
        fast.ensure_learner("Fay New")
        assert isinstance(fast._store, ResultsStore)
        assert fast.role("Fay New") is None and "Fay New" in [p.name for p in fast.learners()]
        assert fast.schema_version() == store_module.SCHEMA_VERSION


@pytest.mark.parametrize("case", ["missing", "not-a-database", "newer-schema"])
def test_what_it_cannot_read_the_real_store_answers(tmp_path: Path, case: str) -> None:
    path = tmp_path / "results.sqlite"
    if case == "not-a-database":
        path.write_bytes(b"this is not a database" * 100)
    elif case == "newer-schema":
        with ResultsStore(f"sqlite:///{path}") as real:
            real.ensure_learner("Ann")
        import sqlite3

        with sqlite3.connect(path) as connection:
            connection.execute("UPDATE schema_info SET version = 99")
    fast = LessonStore(f"sqlite:///{path}")
    if case == "missing":
        assert fast.latest("Ann", "history") == {} and fast.role("Ann") is None and fast.retakes_allowed("Ann", "final_assessment") == 0
        assert fast.sittings("Ann", "final_assessment") == [] and fast.settings() == {} and fast.waivers("Ann") == []
        assert not path.exists() and fast._store is None  # nothing stored yet: nothing made, no SQLAlchemy
        fast.ensure_learner("Ann")  # the first write makes it
        assert path.is_file() and fast.learners()[0].name == "Ann"
    else:
        with pytest.raises(store_module.StoreError, match="newer version" if case == "newer-schema" else "not one"):
            fast.latest("Ann", "history")
    assert fast._store is not None
    fast.close()


def test_a_database_that_could_not_be_made_is_the_real_stores_to_report(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the database's folder should be")
    fast = LessonStore(f"sqlite:///{blocker}/data/results.sqlite")
    with pytest.raises(store_module.StoreError):
        fast.latest("Ann", "history")
    assert fast._store is not None
    fast.close()
    assert LessonStore(f"sqlite:///{tmp_path}/new/folders/results.sqlite").latest("Ann", "history") == {}


def test_only_a_plain_sqlite_file_is_read_directly(tmp_path: Path) -> None:
    assert sqlite_file(f"sqlite:///{tmp_path}/r.sqlite") == tmp_path / "r.sqlite"
    assert sqlite_file("sqlite:///relative/r.sqlite") == Path("relative/r.sqlite")
    for url in ("sqlite://", "sqlite:///:memory:", "sqlite:///file:r.sqlite?mode=memory&uri=true", "sqlite+pysqlite:///r.sqlite", "postgresql+psycopg://u@h/db"):
        assert sqlite_file(url) is None, url
    assert isinstance(open_store(f"sqlite:///{tmp_path}/r.sqlite"), LessonStore)
    assert isinstance(open_store("sqlite://"), ResultsStore)
