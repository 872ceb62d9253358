"""The final assessment (lesson 07): its bank, the draw per learner, and the widget driven as a learner would.

The course's real banks are used, with a scratch SQLite results database in the test's folder.
Right answers are built from each question's key (and checked with :func:`course.grading.grade`
before they are typed in), so the tests keep working when an author changes a question.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from course import widgets as W
from course.assessment import draw
from course.bank import check_course, load_course
from course.grading import grade
from course.progress import final_result, learner_progress
from course.paper import Paper
from course.render import markdown
from driving import bank_question, on_paper, put
from seed import key_response, wrong_response

ROOT = Path(__file__).resolve().parent.parent
QUIZ = "final_assessment"
LEARNER = "Ann Nurse"
NAMES = ["Ann Nurse", "Bob Front-Desk", "Carla Clinician", "Dev Nurse", "Eve Prescriber", "Femi Nurse"]


def clinical_quiz_ids() -> set[str]:
    """The quiz ids of the six clinical lessons' banks (quizzes/01_… to 06_…), read from the files."""
    paths = sorted(p for p in (ROOT / "quizzes").glob("0[1-6]_*.yaml"))
    assert len(paths) == 6, paths
    return {yaml.safe_load(p.read_text(encoding="utf-8"))["quiz"] for p in paths}


@pytest.fixture(scope="module")
def course():
    return load_course(ROOT / "quizzes")


@pytest.fixture(scope="module")
def bank(course):
    return course.bank(QUIZ)


# --- answers built from the key ----------------------------------------------------------------


def answer(view, response, learner: str = LEARNER) -> None:
    """Put ``response`` (in the bank's terms) into the view's inputs, as a learner would."""
    q = bank_question(view)
    put(view, response if q.type in ("numeric", "true_false", "free_text") else on_paper(view, response, learner))
    taken = Paper().to_bank(q, learner, view.response())
    assert grade(q, taken).correct == grade(q, response).correct, f"{q.id}: the widget did not take {response!r}"


def answer_all(quiz, *, wrong: str | None = None) -> None:
    """Answer every question with its key; the question ``wrong`` (an id) gets a wrong answer."""
    for view in quiz.views:
        q = bank_question(view)
        response = "I would stay with the patient and call the clinician at once." if not q.gradable else wrong_response(q) if q.id == wrong else key_response(q)
        assert grade(q, response).pending if not q.gradable else grade(q, response).correct is (q.id != wrong), q.id
        answer(view, response, quiz.learner)


def review_written(learner: str = LEARNER, share: float = 1.0) -> None:
    """A trainer scores the learner's written scenario (``share`` of its points)."""
    for a in final_attempts(learner):
        if a.score is None:
            W.get_store().add_review(a.key, score=share * a.max_score, reviewer="Tess Trainer")


def open_quiz(learner: str = LEARNER):
    """The learner's final assessment, the lessons waived (these tests are about the assessment itself)."""
    if not W.get_store().waivers(learner, QUIZ):
        W.get_store().waive(learner, QUIZ, by="Tess Trainer", reason="tests of the assessment")
    quiz = W.quiz_widget(QUIZ, learner=learner).children[0]
    assert isinstance(quiz, W.AssessmentQuiz), quiz
    return quiz


def ids(questions) -> list[str]:
    return [q.id for q in questions]


def final_attempts(learner: str = LEARNER):
    return W.get_store().attempts(learner=learner, quiz=QUIZ)


def final_progress(learner: str = LEARNER):
    return next(r for r in learner_progress(W.get_course(), W.get_store(), learner) if r.quiz == QUIZ)


# --- the bank ------------------------------------------------------------------------------------


def test_bank_is_an_assessment_drawing_from_every_clinical_bank(bank):
    assert bank.mode == "assessment" and bank.pass_mark == 80
    assert bank.lesson == "07_final_assessment.ipynb" and (ROOT / "notebooks" / bank.lesson).is_file()
    assert bank.questions == ()  # every question is drawn
    assert bank.draw is not None
    assert set(bank.draw.banks) == clinical_quiz_ids() and len(bank.draw.banks) == 6
    assert "welcome" not in bank.draw.banks
    assert (bank.draw.count, bank.draw.min_critical, bank.draw.written) == (20, 3, 1)
    # safety first: escalation and monitoring have the largest minimums; history and mechanism a small share at most
    topics = bank.draw.topics
    assert topics["escalation"].min >= 3 and topics["monitoring"].min >= 3
    assert topics["history"].max <= 1 and topics["mechanism"].max <= 1


def test_the_course_validates_with_the_final_assessment():
    banks, problems = check_course([ROOT / "quizzes"], notebooks=ROOT / "notebooks")
    assert not problems, "\n".join(map(str, problems))
    assert QUIZ in banks


def test_the_draw_can_always_be_met(course, bank):
    """What `course validate` does not check: every question that can be drawn is right by its own key."""
    critical = [q for name in bank.draw.banks for q in course.bank(name).questions if q.gradable and q.critical]
    assert critical, "no safety-critical question can be drawn"
    for name in bank.draw.banks:
        for q in course.bank(name).questions:
            if q.gradable:
                assert grade(q, key_response(q)).correct, f"{q.id}: its own key is not right"


# --- the draw ------------------------------------------------------------------------------------


@pytest.mark.parametrize("sitting", [0, 1, 2])
@pytest.mark.parametrize("learner", NAMES)
def test_a_draw_has_20_questions_to_the_blueprint_and_a_written_scenario(course, bank, learner, sitting):
    from test_blueprint import check_draw

    questions = draw(course, bank, learner, sitting=sitting)
    assert len(questions) == 21 and len(set(ids(questions))) == 21, "a question is drawn twice"
    assert all(q.gradable for q in questions[:20]) and questions[20].type == "free_text"
    check_draw(course, bank, None, questions)
    per_bank = Counter(course.question(q.id)[0].quiz for q in questions)
    assert set(per_bank) <= set(bank.draw.banks)


def test_the_draw_is_the_same_for_the_same_learner(course, bank):
    for learner in NAMES:
        first = ids(draw(course, bank, learner))
        assert ids(draw(course, bank, learner)) == first
        assert ids(draw(load_course(ROOT / "quizzes"), bank, learner, sitting=0)) == first  # a new kernel


def test_the_draw_differs_between_learners(course, bank):
    draws = {learner: ids(draw(course, bank, learner)) for learner in NAMES}
    assert len({tuple(d) for d in draws.values()}) == len(NAMES)
    assert len({frozenset(d) for d in draws.values()}) == len(NAMES), "two learners got the same questions"


def test_a_retake_sitting_gets_a_new_draw(course, bank):
    for learner in NAMES:
        sittings = [frozenset(ids(draw(course, bank, learner, sitting=s))) for s in range(3)]
        assert len(set(sittings)) == 3


# --- the widget ----------------------------------------------------------------------------------


def test_the_widget_shows_the_learners_draw(env, course, bank):
    quiz = open_quiz()
    assert ids(v.question for v in quiz.views) == ids(draw(course, bank, LEARNER))
    assert ids(v.question for v in open_quiz().views) == ids(v.question for v in quiz.views)  # reopened
    assert "21 questions" in quiz.children[0].value and "Pass mark: 80%" in quiz.children[0].value
    assert not quiz.submit.disabled
    assert final_progress().status == "not taken"


def test_all_answers_right_awaits_the_trainers_review_then_passes_with_100_percent(env, course):
    quiz = open_quiz()
    answer_all(quiz)
    quiz.submit.click()
    assert "Awaiting a trainer's review" in quiz.result.value and "Passed" not in quiz.result.value and "Not passed" not in quiz.result.value
    points = sum(v.question.points for v in quiz.views if v.question.type != "free_text")
    assert f"{points:.3g} of {points:g} points (100%; pass mark 80%)" in quiz.result.value
    assert "1 written answer waits for your trainer's score" in quiz.result.value
    assert "Safety-critical questions missed" not in quiz.result.value
    assert quiz.submit.disabled and all(v.submit.disabled for v in quiz.views)
    attempts = final_attempts()
    assert len(attempts) == 21 and len({a.submission for a in attempts}) == 1 and attempts[0].submission
    assert sorted(a.question for a in attempts) == sorted(ids(v.question for v in quiz.views))
    written = [a for a in attempts if a.question_type == "free_text"]
    assert len(written) == 1 and written[0].score is None and written[0].correct is None
    assert all(a.correct and a.score == a.max_score and a.mode == "assessment" for a in attempts if a.question_type != "free_text")
    # each answer keeps the version of the bank its question was drawn from
    assert all(a.bank_version == course.question(a.question)[0].version for a in attempts)
    row = final_progress()
    assert (row.status, row.passed) == ("awaiting a trainer's review", False) and "1 written answer(s) wait for a trainer" in row.detail
    result = final_result(W.get_course(), W.get_store(), LEARNER)
    assert result.awaiting_review and not result.passed and result.pending == (written[0].question,)
    # the trainer scores it: it counts toward the pass mark, and the sitting is passed
    review_written()
    row = final_progress()
    assert (row.status, row.passed, row.detail) == ("passed", True, "100% (pass mark 80%)")
    assert "Passed" in open_quiz().result.value


def test_a_written_scenario_scored_low_can_fail_the_sitting(env, course, bank):
    quiz = open_quiz()
    # one ordinary question wrong: 19 of 20 graded right (95%), still within reach of the pass mark
    wrong = next(v.question.id for v in quiz.views if v.question.type != "free_text" and not v.question.critical)
    answer_all(quiz, wrong=wrong)
    quiz.submit.click()
    assert final_progress().status == "awaiting a trainer's review"
    review_written(share=0.0)
    result = final_result(W.get_course(), W.get_store(), LEARNER)
    assert not result.pending and not result.awaiting_review
    written = next(v.question for v in quiz.views if v.question.type == "free_text")
    expected = 100 * (result.total) / (result.maximum)
    assert result.maximum == sum(v.question.points for v in quiz.views) and written.points > 0
    assert result.passed is (expected + 1e-9 >= 80) and final_progress().status == ("passed" if result.passed else "not passed")


def test_a_learner_with_a_role_gets_the_roles_draw(env, course, bank):
    W.get_store().ensure_learner("Bob Front-Desk")
    W.get_store().set_role("Bob Front-Desk", "front_desk", by="Bob Front-Desk")
    quiz = open_quiz("Bob Front-Desk")
    assert ids(v.question for v in quiz.views) == ids(draw(course, bank, "Bob Front-Desk", role="front_desk"))
    for v in quiz.views:
        owner, q = course.question(v.question.id)
        assert "front_desk" in owner.roles_of(q)


def learner_with_a_critical_question(course, bank) -> tuple[str, str]:
    for n in range(100):
        learner = f"Learner {n}"
        critical = [q.id for q in draw(course, bank, learner) if q.critical]
        if critical:
            return learner, critical[0]
    raise AssertionError("no draw holds a safety-critical question")


def test_one_critical_question_wrong_fails_whatever_the_score(env, course, bank):
    learner, critical = learner_with_a_critical_question(course, bank)
    quiz = open_quiz(learner)
    answer_all(quiz, wrong=critical)
    quiz.submit.click()
    result = quiz.result.value
    maximum = sum(v.question.points for v in quiz.views if v.question.type != "free_text")  # the written answer waits
    total = sum(grade(bank_question(v), Paper().to_bank(bank_question(v), learner, v.response())).score for v in quiz.views if v.question.type != "free_text")
    percent = 100 * total / maximum
    assert percent >= 80  # above the pass mark, and still not passed
    assert "Not passed" in result and f"{total:.3g} of {maximum:g} points ({percent:.0f}%; pass mark 80%)" in result
    assert "Safety-critical questions missed" in result
    prompt = markdown(course.question(critical)[1].prompt)
    assert prompt in result and result.count("<li>") == 1 + prompt.count("<li>")  # it, and only it
    assert "Safety-critical" in quiz.view(critical).prompt.value
    assert "quiz-verdict" in quiz.view(critical).feedback.value and "quiz-right" not in quiz.view(critical).feedback.value
    attempts = final_attempts(learner)
    assert len(attempts) == 21 and [a.question for a in attempts if a.correct is False] == [critical]
    row = final_progress(learner)
    assert (row.status, row.passed) == ("not passed", False) and "1 safety-critical missed" in row.detail


def test_a_second_submission_needs_a_trainers_retake(env, course, bank):
    learner, critical = learner_with_a_critical_question(course, bank)
    first = open_quiz(learner)
    answer_all(first, wrong=critical)
    first.submit.click()
    assert "Not passed" in first.result.value

    # reopened without a retake: the same draw, the earlier answers, locked
    reopened = open_quiz(learner)
    assert ids(v.question for v in reopened.views) == ids(v.question for v in first.views)
    assert reopened.submit.disabled and all(v.submit.disabled for v in reopened.views)
    assert "already taken" in reopened.result.value and "Not passed" in reopened.result.value
    assert reopened.view(critical).response() == first.view(critical).response()
    assert reopened.sitting.state == "submitted" and not reopened.sitting.retake_possible
    assert len({a.submission for a in final_attempts(learner)}) == 1

    # a trainer allows a retake: a new draw, open to answer, and the new result counts
    W.get_store().allow_retake(learner, QUIZ, trainer="Tess Trainer")
    retake = open_quiz(learner)
    assert not retake.submit.disabled and retake.sitting.state == "open" and retake.sitting.number == 1
    assert ids(v.question for v in retake.views) == ids(draw(course, bank, learner, sitting=1))
    assert set(ids(v.question for v in retake.views)) != set(ids(v.question for v in first.views))
    answer_all(retake)
    retake.submit.click()
    assert "Awaiting a trainer's review" in retake.result.value and "100%" in retake.result.value
    review_written(learner)
    attempts = final_attempts(learner)
    assert len(attempts) == 42 and len({a.submission for a in attempts}) == 2
    assert final_progress(learner).passed is True

    # and then it is locked again, showing the retake
    again = open_quiz(learner)
    assert again.submit.disabled and "already taken" in again.result.value and "Passed" in again.result.value
    assert ids(v.question for v in again.views) == ids(v.question for v in retake.views)


def test_a_widget_opened_before_the_first_submission_cannot_submit_again(env, course, bank):
    learner, critical = learner_with_a_critical_question(course, bank)
    first, second = open_quiz(learner), open_quiz(learner)  # two tabs: the same sitting
    assert first.sitting.sitting == second.sitting.sitting
    answer_all(first)
    first.submit.click()
    answer_all(second, wrong=critical)  # different answers in the other tab
    second.submit.click()
    assert len({a.submission for a in final_attempts(learner)}) == 1 and len(final_attempts(learner)) == 21
    assert all(a.correct for a in final_attempts(learner) if a.question_type != "free_text")  # the first submission, untouched
    # the other tab shows the result that was stored, and says so; nothing of its own was stored
    assert "Awaiting a trainer's review" in second.result.value and "already been submitted" in second.result.value
    assert second.submit.disabled and second.view(critical).response() == first.view(critical).response()


def test_a_double_click_on_submit_keeps_the_result(env):
    quiz = open_quiz()
    answer_all(quiz)
    quiz.submit.click()
    shown = quiz.result.value
    quiz.submit.click()  # the second click of a double click
    assert quiz.result.value == shown and "Awaiting a trainer's review" in shown and "not submitted" not in shown
    assert len(final_attempts()) == 21


def test_a_result_given_is_not_changed_by_a_later_bank_edit(env, monkeypatch):
    """After submitting, the learner sees the questions of the submission, even once a source bank changed."""
    import shutil

    banks = env / "quizzes"
    shutil.copytree(ROOT / "quizzes", banks)
    monkeypatch.setenv("COURSE_QUIZZES_DIR", str(banks))
    quiz = open_quiz()
    answer_all(quiz)
    quiz.submit.click()
    shown = ids(v.question for v in quiz.views)

    # an author adds questions to every source bank: the draw for this learner would now differ
    for path in sorted(banks.glob("0[1-6]_*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        first = data["questions"][0]
        for n in range(5):
            data["questions"].append({**first, "id": f"{first['id']}-copy{n}"})
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    edited = load_course(banks)
    assert ids(draw(edited, edited.bank(QUIZ), LEARNER)) != ids(draw(load_course(ROOT / "quizzes"), edited.bank(QUIZ), LEARNER))

    again = open_quiz()
    assert ids(v.question for v in again.views) == shown
    assert again.submit.disabled and "Awaiting a trainer's review" in again.result.value and "100%" in again.result.value
