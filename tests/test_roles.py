"""Role tracks (issue 11): the learner gives their role once in the welcome lesson, a trainer
changes it (audited), and progress, the course home and the final assessment follow it.

The course's own banks and lessons; a scratch SQLite store (the ``env`` fixture) or the
``store`` fixture (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from course import widgets as W
from course.bank import load_course
from course.cli import main
from course.progress import AWAITING_REVIEW, course_home, learner_progress
from course.roles import ROLES
from course.session import CourseSession, RoleGiven

ANN = "Ann Nurse"


@pytest.fixture(scope="module")
def course():
    return load_course()


# --- the learner gives it once; a trainer changes it --------------------------------------------


def test_the_learner_gives_their_role_once(store, course):
    ann = CourseSession(course, store, ANN)
    assert ann.role() is None
    assert ann.set_role("Front desk") == "front_desk"  # as a person writes it
    assert ann.set_role("front_desk") == "front_desk"  # the same again: nothing changes
    with pytest.raises(RoleGiven, match="Your role is already Front desk. If it has changed, ask your trainer"):
        ann.set_role("nurse")
    with pytest.raises(ValueError, match="'doctor' is not a role; the roles are: front_desk, nurse, clinician"):
        ann.set_role("doctor")
    assert store.role(ANN) == "front_desk"
    assert [(e.actor, e.action, e.before, e.after) for e in store.audit(learner=ANN)] == [(ANN, "role", {"role": None}, {"role": "front_desk"})]


def test_a_trainer_changes_a_role_at_the_command_line_audited(store, course, capsys):
    CourseSession(course, store, ANN).set_role("front_desk")
    db = ["--db", store.url]
    assert main(["role", ANN, "nurse", "--trainer", "Tess Trainer", *db]) == 0
    assert capsys.readouterr().out.strip() == f"{ANN}: role Nurse"
    assert store.role(ANN) == "nurse"
    entry = store.audit(learner=ANN, action="role")[-1]
    assert (entry.actor, entry.before, entry.after) == ("Tess Trainer", {"role": "front_desk"}, {"role": "nurse"})
    assert main(["role", ANN, "surgeon", *db]) == 1
    assert capsys.readouterr().err.strip() == "course role: 'surgeon' is not a role; the roles are: front_desk, nurse, clinician"
    assert main(["role", "Nobody Here", "nurse", *db]) == 1
    assert "course role: there is no learner named 'Nobody Here'" in capsys.readouterr().err
    assert main(["role", ANN, "", "--trainer", "Tess Trainer", *db]) == 0
    assert capsys.readouterr().out.strip() == f"{ANN}: role not given" and store.role(ANN) is None
    assert main(["audit", "--learner", ANN, *db]) == 0
    trail = capsys.readouterr().out
    assert "role='front_desk' -> role='nurse'" in trail and "role='nurse' -> role=None" in trail


# --- progress and the course home follow the role ------------------------------------------------


def answer_section_questions(session, course, role) -> None:
    """Answer every question of the role's sections in lesson 05 (with the key)."""
    from seed import key_response

    bank = course.bank("side_effects_and_safety")
    for q in bank.for_role(role):
        if q.gradable:
            session.answer(bank.quiz, q.id, session.paper.from_bank(q, session.learner, key_response(q)))
        else:
            session.answer(bank.quiz, q.id, "I would call the clinician at once.")


def test_progress_counts_the_questions_of_the_roles_sections(store, course):
    bank = course.bank("side_effects_and_safety")
    desk = bank.for_role("front_desk")
    assert 0 < len(desk) < len(bank.questions), "lesson 05 has sections the front desk does not need"
    ann = CourseSession(course, store, ANN)
    ann.set_role("front_desk")
    answer_section_questions(ann, course, "front_desk")
    row = next(r for r in ann.progress() if r.quiz == bank.quiz)
    gradable = sum(q.gradable for q in desk)
    assert row.done and row.status == "done" and row.detail.endswith(f"right now {gradable} of {gradable}")
    home = ann.home()
    assert home.role == "front_desk" and next(r for r in home.lessons if r.quiz == bank.quiz).done
    # without a role the same answers leave the lesson in progress: every section counts
    row = next(r for r in learner_progress(course, store, ANN, role=None) if r.quiz == bank.quiz)
    assert not row.done and row.status == f"in progress ({len(desk)} of {len(bank.questions)} answered)"
    # a trainer makes Ann a nurse: her progress now counts the nurse's sections
    store.set_role(ANN, "nurse", by="Tess Trainer")
    row = next(r for r in course_home(course, store, ANN).lessons if r.quiz == bank.quiz)
    assert not row.done and row.status == f"in progress ({len(desk)} of {len(bank.for_role('nurse'))} answered)"


def test_every_role_has_questions_in_every_clinical_lesson_and_the_roles_differ(course):
    for bank in course.banks.values():
        if bank.mode == "practice" and bank.quiz != "welcome":
            assert all(bank.for_role(role) for role in ROLES), bank.quiz
    sizes = {role: sum(len(b.for_role(role)) for b in course.banks.values()) for role in ROLES}
    assert sizes["front_desk"] < sizes["nurse"] <= sizes["clinician"], sizes


def test_the_certificate_is_refused_while_the_written_scenario_awaits_review(env, course):
    from course.certificate import NotEligible, eligibility

    store = W.get_store()
    store.ensure_learner(ANN)
    store.waive(ANN, "final_assessment", by="Tess Trainer", reason="test")
    session = CourseSession(course, store, ANN)
    sitting = session.sitting("final_assessment")
    from seed import key_response

    questions = [course.question(p.id)[1] for p in sitting.questions]
    written = [q for q in questions if not q.gradable]
    assert len(written) == 1
    answers = {q.id: "I stay with the patient and call the clinician." if not q.gradable else session.paper.from_bank(q, ANN, key_response(q)) for q in questions}
    session.submit("final_assessment", sitting.sitting, answers)
    with pytest.raises(NotEligible) as refused:
        eligibility(course, store, ANN)
    assert refused.value.reason == (
        f"{ANN}'s final assessment is awaiting a trainer's review: 1 written answer ({written[0].id}) still waits for a score "
        "(course review); a certificate needs a pass once it is scored."
    )
    assert next(r for r in session.progress() if r.quiz == "final_assessment").status == AWAITING_REVIEW
    key = next(a.key for a in store.attempts(learner=ANN, quiz="final_assessment") if a.score is None)
    store.add_review(key, score=written[0].points, reviewer="Tess Trainer")
    assert eligibility(course, store, ANN).passed


# --- the welcome lesson's form -------------------------------------------------------------------


def test_the_name_form_asks_the_role_with_the_name(env, monkeypatch):
    monkeypatch.delenv("COURSE_LEARNER")
    form = W.learner_widget()
    assert isinstance(form, W.LearnerForm) and form.role is not None
    assert [label for label, _ in form.role.options] == ["Choose your role…", "Front desk", "Nurse", "Clinician"]
    form.name.value = "Bob Front Desk"
    form.role.value = "front_desk"
    form.save.click()
    assert "Saved. Welcome, Bob Front Desk!" in form.message.value and "Your role: Front desk." in form.message.value
    assert W.get_store().role("Bob Front Desk") == "front_desk" and form.role.disabled
    # reopened: signed in, and the role is shown, not asked again
    shown = W.learner_widget()
    assert "signed in as Bob Front Desk" in shown.children[0].notice.value
    assert "Your role: Front desk" in shown.children[1].value


def test_a_name_saved_without_a_role_asks_for_it(env, monkeypatch):
    monkeypatch.delenv("COURSE_LEARNER")
    form = W.learner_widget()
    form.name.value = "Cy Clinician"
    form.save.click()
    assert "Saved. Welcome, Cy Clinician!" in form.message.value and "Please choose your role too" in form.message.value
    assert W.get_store().role("Cy Clinician") is None
    # the welcome lesson, opened again, asks the role alone
    shown = W.learner_widget()
    role_form = shown.children[1]
    assert isinstance(role_form, W.RoleForm)
    role_form.save.click()
    assert "Please choose your role." in role_form.message.value
    role_form.role.value = "clinician"
    role_form.save.click()
    assert "Saved. Your role: Clinician." in role_form.message.value and W.get_store().role("Cy Clinician") == "clinician"


def test_the_course_home_and_progress_name_the_track(env, course):
    home = W.home_widget().children[0].value
    assert "Your role is not given yet, so progress counts every section" in home and "00_welcome.ipynb" in home
    CourseSession(course, W.get_store(), ANN).set_role("nurse")
    assert "Your track: <b>Nurse</b>" in W.home_widget().children[0].value
    assert "Your track: <b>Nurse</b>" in W.progress_widget().children[0].value


# --- the trainer's report and dashboard --------------------------------------------------------------


@pytest.fixture
def seeded(tmp_path, monkeypatch, course):
    import seed

    from course.store import ResultsStore

    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("COURSE_DB_URL", raising=False)
    with ResultsStore() as store:
        seed.seed(store, course)
        store.set_role(seed.ANN, "nurse", by="Tess Trainer")
        store.set_role(seed.BOB, "front_desk", by="Tess Trainer")
        yield store


def test_the_report_shows_each_learners_role_and_progress_on_its_sections(seeded, course, capsys):
    import seed

    from course import report

    summary = report.learner_summary(seeded, course).set_index("learner")
    assert list(summary.reset_index().columns[:3]) == ["learner", "cohort", "role"]
    assert summary.loc[seed.ANN, "role"] == "Nurse" and summary.loc[seed.BOB, "role"] == "Front desk"
    assert summary.loc[seed.CARLA, "role"] == report.NO_ROLE and summary.loc[seed.EVE, "role"] == report.NO_ROLE
    practice = [b for b in course.banks.values() if b.mode == "practice"]
    # Ann answered every question: every lesson of her track done, 100% of its questions answered
    assert summary.loc[seed.ANN, "track_lessons_done"] == len(practice) and summary.loc[seed.ANN, "track_pct"] == 100
    # Bob answered the first three lessons whole: counted on the front desk's sections
    desk_total = sum(len(b.for_role("front_desk")) for b in practice)
    answered = sum(len(b.for_role("front_desk")) for b in sorted(practice, key=lambda b: b.lesson)[:3])
    assert summary.loc[seed.BOB, "track_lessons_done"] == 3
    assert summary.loc[seed.BOB, "track_pct"] == pytest.approx(100 * answered / desk_total)
    assert summary.loc[seed.EVE, "track_lessons_done"] == 0
    # the command line shows them too
    assert main(["report", "--db", seeded.url]) == 0
    out = capsys.readouterr().out
    assert "role" in out and "Front desk" in out and "role not given" in out and "track_pct" in out


def test_a_trainer_changes_a_role_in_the_dashboard(seeded, course):
    import seed

    from course.dashboard import Dashboard

    board = Dashboard(course=course)
    try:
        who = board.learners.children[0].children[0]
        role, set_role = board.learners.children[1].children
        assert [label for label, _ in role.options] == ["Role not given", "Front desk", "Nurse", "Clinician"]
        who.value = seed.EVE
        role.value = "clinician"
        board.reviewer.value = "Tess Trainer"
        set_role.click()
        assert board.store.role(seed.EVE) == "clinician"
        assert "Eve New: role Clinician" in board.learners.children[-1].value
        entry = board.store.audit(learner=seed.EVE, action="role")[-1]
        assert (entry.actor, entry.after) == ("Tess Trainer", {"role": "clinician"})
        board.refresh()
        assert "set the role" in board.audit.children[0].value
        assert "Role" in html_of(board.overview) and "Answered for the role" in html_of(board.overview)
    finally:
        board.store.close()


def html_of(box) -> str:
    return "".join(html_of(c) for c in getattr(box, "children", ())) + str(getattr(box, "value", ""))
