"""Sittings, waivers and the audit trail in the results store, on real SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

import course.store as store_module
from course.store import Attempt, ResultsStore, StoreError

T0 = datetime(2026, 11, 24, 9, 30, tzinfo=timezone.utc)


def answer(sitting: str | None = None, **fields: object) -> Attempt:
    values: dict[str, object] = {
        "learner": "ann", "quiz": "final", "question": "q1", "question_type": "single_choice",
        "bank_version": "v1", "mode": "assessment", "response": "a", "score": 1.0, "max_score": 1.0,
        "correct": True, "submission": sitting,
    }  # fmt: skip
    values.update(fields)
    return Attempt(**values)  # type: ignore[arg-type]


def draws(questions: list[list[str]]):
    calls: list[int] = []

    def draw(number: int) -> list[str]:
        calls.append(number)
        return questions[number]

    return draw, calls


# -- sittings -------------------------------------------------------------------------------


def test_a_sitting_keeps_its_draw_until_submitted(store: ResultsStore) -> None:
    draw, calls = draws([["q1", "q2"], ["q3", "q4"]])
    first = store.open_sitting("ann", "final", draw)
    assert first is not None and first.number == 0 and first.questions == ("q1", "q2") and first.submitted_at is None
    assert store.open_sitting("ann", "final", draw) == first  # reopened: the same sitting, not drawn again
    assert calls == [0]
    assert store.submit_sitting(first.id, [answer(first.id, question="q1"), answer(first.id, question="q2")]) is True
    assert store.open_sitting("ann", "final", draw) is None  # no sitting left without a retake
    (stored,) = store.sittings("ann", "final")
    assert stored.id == first.id and stored.submitted_at is not None
    assert [a.question for a in store.attempts(learner="ann")] == ["q1", "q2"]


def test_one_submission_per_sitting(store: ResultsStore) -> None:
    draw, _ = draws([["q1"]])
    sitting = store.open_sitting("ann", "final", draw)
    assert sitting is not None
    assert store.submit_sitting(sitting.id, [answer(sitting.id)]) is True
    assert store.submit_sitting(sitting.id, [answer(sitting.id, response="b", correct=False, score=0.0)]) is False
    assert [(a.response, a.correct) for a in store.attempts()] == [("a", True)]  # the second changed nothing


def test_a_retake_opens_a_new_sitting_with_a_new_draw(store: ResultsStore) -> None:
    draw, calls = draws([["q1"], ["q2"], ["q3"]])
    first = store.open_sitting("ann", "final", draw)
    store.submit_sitting(first.id, [answer(first.id)])
    store.allow_retake("ann", "final", trainer="Tess Trainer")
    second = store.open_sitting("ann", "final", draw)
    assert second is not None and second.number == 1 and second.questions == ("q2",) and second.id != first.id
    store.submit_sitting(second.id, [answer(second.id, question="q2")])
    assert store.open_sitting("ann", "final", draw) is None
    assert calls == [0, 1]
    assert [s.number for s in store.sittings("ann", "final")] == [0, 1]


def test_a_sitting_of_another_quiz_or_learner_is_separate(store: ResultsStore) -> None:
    draw, _ = draws([["q1"]])
    ann = store.open_sitting("ann", "final", draw)
    bob = store.open_sitting("bob", "final", draw)
    other = store.open_sitting("ann", "midterm", draw)
    assert len({ann.id, bob.id, other.id}) == 3


def test_answers_must_belong_to_the_sitting(store: ResultsStore) -> None:
    draw, _ = draws([["q1"]])
    sitting = store.open_sitting("ann", "final", draw)
    with pytest.raises(ValueError, match="submission"):
        store.submit_sitting(sitting.id, [answer("another-id")])
    with pytest.raises(StoreError, match="no sitting"):
        store.submit_sitting("nope", [answer("nope")])
    assert store.attempts() == [] and store.sittings("ann", "final")[0].submitted_at is None


def test_two_tabs_opening_at_once_get_one_sitting(store: ResultsStore, store_url: str, tmp_path: Path) -> None:
    draw, _ = draws([["q1"]])
    results: list[object] = []
    errors: list[BaseException] = []

    def open_one(n: int) -> None:
        try:
            with ResultsStore(store_url, outbox=tmp_path / f"o{n}.jsonl") as mine:
                results.append(mine.open_sitting("ann", "final", draw))
        except BaseException as error:  # noqa: BLE001 - asserted below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=open_one, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(results) == 6  # every tab opened the store (none failed on a lock)
    assert len({s.id for s in results}) == 1 and len(store.sittings("ann", "final")) == 1


def test_an_unreachable_database_opens_no_sitting(tmp_path: Path) -> None:
    blocker = tmp_path / "blocked"
    blocker.write_text("a file where the folder should be")
    with ResultsStore(f"sqlite:///{blocker / 'r.sqlite'}", outbox=tmp_path / "o.jsonl", busy_timeout=1) as unreachable:
        with pytest.raises(StoreError, match="cannot be"):
            unreachable.open_sitting("ann", "final", lambda n: ["q1"])


def test_an_answer_of_a_sitting_sent_from_the_outbox_submits_it(store: ResultsStore) -> None:
    sitting = store.open_sitting("ann", "final", lambda n: ["q1"])
    store.record(answer(sitting.id))  # as the outbox sends it later
    assert store.sittings("ann", "final")[0].submitted_at is not None
    assert store.submit_sitting(sitting.id, [answer(sitting.id)]) is False


# -- reviews are for written answers only --------------------------------------------------


def test_a_review_of_an_answer_scored_by_its_key_is_refused(store: ResultsStore) -> None:
    choice = answer(None, mode="practice", quiz="history")
    store.record(choice)
    with pytest.raises(StoreError, match="single choice answer, scored by its key; only written"):
        store.add_review(choice.key, score=1, reviewer="Tess Trainer")
    assert store.reviews() == [] and store.audit() == []


# -- waivers --------------------------------------------------------------------------------


def test_a_waiver_is_kept_with_who_and_why(store: ResultsStore) -> None:
    assert store.waivers("ann") == []
    store.waive("ann", "final", by="Tess Trainer", reason="Experienced nurse, lessons done on paper")
    (waiver,) = store.waivers("ann", "final")
    assert (waiver.granted_by, waiver.reason) == ("Tess Trainer", "Experienced nurse, lessons done on paper")
    assert store.waivers("ann", "other") == [] and store.waivers("bob") == []
    with pytest.raises(StoreError, match="trainer's name"):
        store.waive("ann", "final", by="  ")


# -- the audit trail ------------------------------------------------------------------------


def test_every_trainer_action_is_audited_with_before_and_after(store: ResultsStore) -> None:
    words = answer(None, quiz="talking", question="t-free", question_type="free_text", score=None, correct=None, max_score=2, mode="practice")
    store.record(words)
    store.ensure_learner("ann")
    store.add_review(words.key, score=1, reviewer="Tess Trainer", comment="Say why.")
    store.add_review(words.key, score=2, reviewer="Tina Lead", comment="Better.")
    store.allow_retake("ann", "final", trainer="Tess Trainer")
    store.set_cohort("ann", "2026-11 nurses", by="Tina Lead")
    store.waive("ann", "final", by="Tess Trainer", reason="x")
    store.record_certificate("ann", by="Tina Lead", details={"submission": "s1", "percent": 90.0})
    trail = store.audit()
    assert [(e.actor, e.action, e.learner) for e in trail] == [
        ("Tess Trainer", "review", "ann"), ("Tina Lead", "review", "ann"), ("Tess Trainer", "retake", "ann"),
        ("Tina Lead", "cohort", "ann"), ("Tess Trainer", "waiver", "ann"), ("Tina Lead", "certificate", "ann"),
    ]  # fmt: skip
    first, second, retake, cohort, _, certificate = trail
    assert first.before is None and first.after == {"score": 1.0, "comment": "Say why.", "question": "t-free"}
    assert second.before == {"score": 1.0, "comment": "Say why."} and second.after["score"] == 2.0
    assert first.subject == words.key
    assert (retake.subject, retake.before, retake.after) == ("final", {"retakes": 0}, {"retakes": 1})
    assert (cohort.before, cohort.after) == ({"cohort": None}, {"cohort": "2026-11 nurses"})
    assert certificate.subject == "s1" and certificate.after["percent"] == 90.0
    assert all(e.at.tzinfo is not None for e in trail) and [e.id for e in trail] == sorted(e.id for e in trail)
    assert [e.action for e in store.audit(learner="ann", action="review")] == ["review", "review"]
    assert store.audit(learner="bob") == []


def test_a_refused_action_leaves_no_audit_entry(store: ResultsStore) -> None:
    with pytest.raises(StoreError):
        store.set_cohort("nobody", "x", by="Tess Trainer")
    with pytest.raises(StoreError):
        store.add_review("missing", score=1, reviewer="Tess Trainer")
    assert store.audit() == []


def test_an_action_without_a_name_is_audited_as_this_computers_user(store: ResultsStore) -> None:
    store.ensure_learner("ann")
    store.set_cohort("ann", "nurses")
    (entry,) = store.audit()
    assert entry.actor == store_module.local_actor() and entry.actor


def test_the_database_refuses_to_change_or_delete_the_audit_trail(store: ResultsStore, store_url: str) -> None:
    store.allow_retake("ann", "final", trainer="Tess Trainer")
    engine = create_engine(store_url)
    for statement in ("UPDATE audit SET actor = 'someone else'", "DELETE FROM audit"):
        with pytest.raises(Exception, match="append-only"):
            with engine.begin() as conn:
                conn.execute(text(statement))
    engine.dispose()
    (entry,) = store.audit()
    assert entry.actor == "Tess Trainer"


# -- migrating a version 1 database -------------------------------------------------------------


def test_a_version_1_database_gets_sittings_for_its_submissions(store_url: str, tmp_path: Path) -> None:
    (tmp_path / "data").mkdir(exist_ok=True)  # the SQLite file's folder (the store would make it)
    engine = create_engine(store_url)
    with engine.begin() as conn:  # a database written by the course before sittings existed
        store_module._create_version_1(conn)
        conn.execute(store_module.schema_info.insert().values(version=1))
        conn.execute(store_module._learners_v1.insert().values(name="ann", cohort=None, created_at=T0))
        conn.execute(store_module._learners_v1.insert().values(name="bob", cohort=None, created_at=T0))
        for n, (sub, question) in enumerate([("s1", "q1"), ("s1", "q2"), ("s2", "q3")]):
            row = store_module._attempt_row(answer(sub, question=question, answered_at=T0 + timedelta(minutes=n)))
            conn.execute(store_module.attempts.insert().values(**row, recorded_at=T0))
        row = store_module._attempt_row(answer(None, learner="bob", quiz="history", mode="practice", answered_at=T0))
        conn.execute(store_module.attempts.insert().values(**row, recorded_at=T0))
    engine.dispose()
    with ResultsStore(store_url, outbox=tmp_path / "o.jsonl") as new:
        assert new.schema_version() == store_module.SCHEMA_VERSION
        first, second = new.sittings("ann", "final")
        assert (first.id, first.number, first.questions, first.opened_at, first.submitted_at) == ("s1", 0, ("q1", "q2"), T0, T0 + timedelta(minutes=1))
        assert (second.id, second.number, second.questions) == ("s2", 1, ("q3",))
        assert new.sittings("bob", "history") == []
        assert new.open_sitting("ann", "final", lambda n: ["x"]) is None  # two sittings, no retake: none left


# -- version 3: a learner's role --------------------------------------------------------------


def test_a_version_2_database_gains_roles_and_a_role_change_is_audited(store_url: str, tmp_path: Path) -> None:
    (tmp_path / "data").mkdir(exist_ok=True)
    engine = create_engine(store_url)
    with engine.begin() as conn:  # a database the course wrote before roles existed
        store_module._create_version_1(conn)
        store_module._create_version_2(conn)
        conn.execute(store_module.schema_info.insert().values(version=2))
        conn.execute(store_module._learners_v1.insert().values(name="ann", cohort="spring", created_at=T0))
    engine.dispose()
    with ResultsStore(store_url, outbox=tmp_path / "o.jsonl") as new:
        assert new.schema_version() == store_module.SCHEMA_VERSION
        (ann,) = new.learners()
        assert (ann.name, ann.cohort, ann.role) == ("ann", "spring", None)
        new.set_role("ann", "Nurse", by="ann")
        new.set_role("ann", "nurse", by="ann")  # the same again: no second audit entry
        new.set_role("ann", "clinician", by="trainer tess")
        assert new.role("ann") == "clinician" and new.role("nobody") is None
        changes = [(e.actor, e.before, e.after) for e in new.audit(learner="ann") if e.action == "role"]
        assert changes == [("ann", {"role": None}, {"role": "nurse"}), ("trainer tess", {"role": "nurse"}, {"role": "clinician"})]
        with pytest.raises(ValueError, match="is not a role; the roles are: front_desk, nurse, clinician"):
            new.set_role("ann", "surgeon")
        with pytest.raises(StoreError, match="no learner named 'bob'"):
            new.set_role("bob", "nurse")
        assert new.role("ann") == "clinician"
