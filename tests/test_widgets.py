"""The quiz widgets, driven as a learner would: set values, click Submit, read the feedback, find the stored attempt."""

from __future__ import annotations

import logging
import shutil
import textwrap
from pathlib import Path

import pytest

from course import widgets as W
from driving import bank_question, give, on_paper
from seed import key_response

ROOT = Path(__file__).resolve().parent.parent


def welcome():
    container = W.quiz_widget("welcome")
    quiz = container.children[0]
    assert isinstance(quiz, W.PracticeQuiz)
    return quiz


def stored(question_id):
    return [a for a in W.get_store().attempts(learner="Ann Nurse") if a.question == question_id]


def test_every_question_has_a_view_with_its_css_class(env):
    quiz = welcome()
    assert {type(v) for v in quiz.views} == {W.ChoiceView, W.MultipleChoiceView, W.NumericView, W.OrderingView, W.MatchingView, W.FreeTextView}
    for view in quiz.views:
        assert f"quiz-q-{view.question.id}" in view._dom_classes
        assert "quiz-question" in view._dom_classes
        assert view.submit.description == "Submit"


def test_single_choice_wrong_then_right(env):
    quiz = welcome()
    view = give(quiz, "welcome-who-decides", "course")
    view.submit.click()
    assert "Not right" in view.feedback.value
    assert "does not set treatment" in view.feedback.value  # the chosen option's feedback
    assert "training, not clinical guidance" in view.feedback.value  # the explanation
    assert not view.submit.disabled  # practice: try again
    give(quiz, "welcome-who-decides", "protocol")
    view.submit.click()
    assert "Right." in view.feedback.value and view.submit.disabled
    attempts = stored("welcome-who-decides")
    assert [(a.response, a.correct, a.score) for a in attempts] == [("course", False, 0.0), ("protocol", True, 1.0)]
    assert all(a.mode == "practice" and a.quiz == "welcome" and len(a.bank_version) == 16 for a in attempts)


def test_true_false(env):
    view = welcome().view("welcome-practice-retry")
    assert [v for _, v in view.input.options] == [True, False]
    view.input.value = True
    view.submit.click()
    assert "Right." in view.feedback.value
    assert stored("welcome-practice-retry")[0].response is True


def test_multiple_choice_partial_credit_is_shown(env):
    view = give(welcome(), "welcome-what-is-stored", ["name", "answer"])
    view.submit.click()
    assert "Partly right: 0.67 points of 1 point." in view.feedback.value
    (a,) = stored("welcome-what-is-stored")
    assert a.response == ["answer", "name"] and a.score == pytest.approx(2 / 3) and a.correct is False


def test_numeric_checks_the_number_and_stores_nothing_for_text(env):
    view = welcome().view("welcome-pass-mark")
    view.text.value = "abc"
    assert "not a number" in view.message.value  # checked as it is typed
    view.submit.click()
    assert "not a number" in view.message.value
    assert stored("welcome-pass-mark") == []
    view.text.value = "80 %"
    assert view.message.value == ""
    view.submit.click()
    assert "Right." in view.feedback.value
    assert stored("welcome-pass-mark")[0].response == "80 %"


def test_empty_selection_is_not_stored(env):
    view = welcome().view("welcome-who-decides")
    view.submit.click()
    assert "choose an answer" in view.message.value
    assert stored("welcome-who-decides") == []


def test_ordering_with_up_and_down(env):
    quiz = welcome()
    view = quiz.view("welcome-course-order")
    key = [i.id for i in bank_question(view).items]
    right = on_paper(view, key, quiz.learner)
    assert view.order != right  # never shown already in order
    # bubble the items into the right order with the buttons, as a learner would
    for target, item in enumerate(right):
        while view.order.index(item) > target:
            view.ups[view.order.index(item)].click()
    assert view.order == right
    assert [label.value for label in view.labels] == [i.text for i in bank_question(view).items]
    view.submit.click()
    assert "Right." in view.feedback.value
    assert stored("welcome-course-order")[0].response == key  # stored in the bank's ids


def test_matching_needs_every_item(env):
    quiz = welcome()
    view = quiz.view("welcome-question-kinds")
    pairs = [p.id for p in bank_question(view).pairs]
    right = on_paper(view, {p: p for p in pairs}, quiz.learner)
    # each drop-down is named by its item (its label, for screen readers; the item is shown above it)
    assert [menu.description for menu in view.menus.values()] == [left.text for left in view.question.lefts]
    first = next(iter(view.menus))
    view.menus[first].value = right[first]
    view.submit.click()
    assert "match for every item" in view.message.value and stored("welcome-question-kinds") == []
    give(quiz, "welcome-question-kinds", {p: p for p in pairs})
    view.submit.click()
    assert "Right." in view.feedback.value


def test_free_text_is_saved_for_the_trainer(env):
    view = welcome().view("welcome-hopes")
    view.input.value = "I am a nurse <b>and</b> I want to learn."
    view.submit.click()
    assert "Saved for your trainer" in view.feedback.value
    (a,) = stored("welcome-hopes")
    assert a.score is None and a.correct is None and a.response.startswith("I am a nurse")


def test_reopening_shows_earlier_answers(env):
    view = give(welcome(), "welcome-who-decides", "protocol")
    view.submit.click()
    other = welcome().view("welcome-pass-mark")
    other.text.value = "70"
    other.submit.click()
    again = welcome()
    restored = again.view("welcome-who-decides")
    assert restored.input.value == on_paper(restored, "protocol", again.learner) and restored.submit.disabled
    assert "Your answer from" in restored.feedback.value and "Right." in restored.feedback.value
    wrong = again.view("welcome-pass-mark")
    assert wrong.text.value == "70" and not wrong.submit.disabled and "Not right" in wrong.feedback.value


def test_prompts_and_feedback_escape_raw_html(env, tmp_path, monkeypatch):
    quizzes = tmp_path / "quizzes"
    quizzes.mkdir()
    (quizzes / "x.yaml").write_text(textwrap.dedent("""\
        quiz: x
        title: X
        lesson: x.ipynb
        mode: practice
        questions:
          - id: x-html
            type: single_choice
            section: S
            prompt: "Is <script>alert(1)</script> **safe**?"
            explanation: "<img src=x onerror=alert(1)> no"
            options:
              - {id: a, text: "<b>yes</b>", correct: true}
              - {id: b, text: "no", feedback: "<iframe src=evil></iframe>"}
        """))
    monkeypatch.setenv("COURSE_QUIZZES_DIR", str(quizzes))
    quiz = W.quiz_widget("x").children[0]
    view = quiz.views[0]
    assert "<script>" not in view.prompt.value and "&lt;script&gt;" in view.prompt.value
    assert "<strong>safe</strong>" in view.prompt.value  # Markdown still works
    give(quiz, "x-html", "b")
    view.submit.click()
    assert "<iframe" not in view.feedback.value and "<img" not in view.feedback.value


def test_section_shows_only_its_questions(env):
    quiz = W.quiz_widget("welcome", section="How your answers are used").children[0]
    assert {v.question.section for v in quiz.views} == {"How your answers are used"}


def test_unknown_quiz_and_bad_section_are_messages_not_tracebacks(env):
    box = W.quiz_widget("no-such-quiz").children[0]
    assert "There is no quiz" in box.value
    box = W.quiz_widget("welcome", section="Nope").children[0]
    assert "No questions check the section" in box.value


def test_broken_bank_is_a_message(env, tmp_path, monkeypatch):
    quizzes = tmp_path / "broken"
    quizzes.mkdir()
    (quizzes / "b.yaml").write_text("quiz: b\ntitle: [oops\n")
    monkeypatch.setenv("COURSE_QUIZZES_DIR", str(quizzes))
    box = W.quiz_widget("b").children[0]
    assert "question bank has a mistake" in box.value and "b.yaml" in box.value


def test_no_learner_asks_for_a_name_first(env, monkeypatch):
    monkeypatch.delenv("COURSE_LEARNER")
    container = W.quiz_widget("welcome")
    form = container.children[0]
    assert isinstance(form, W.LearnerForm)
    form.name.value = "   "
    form.save.click()
    assert "type your name" in form.message.value
    form.name.value = "  Bob   Front Desk "
    form.save.click()
    quiz = container.children[0]
    assert isinstance(quiz, W.PracticeQuiz) and quiz.learner == "Bob Front Desk"
    assert (env / "var" / "learner.json").exists()  # remembered for the next session
    assert isinstance(W.quiz_widget("welcome").children[0], W.PracticeQuiz)


def test_jupyterhub_user_wins(env, monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_USER", "hub-user")
    assert W.quiz_widget("welcome").children[0].learner == "hub-user"
    assert "signed in as hub-user" in W.learner_widget().children[0].value  # then its role (issue 11)


def test_exception_in_a_callback_is_shown_logged_and_kept(env, caplog, monkeypatch):
    quiz = welcome()

    def broken(*_args, **_kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(W.get_store(), "record", broken)
    view = give(quiz, "welcome-who-decides", "protocol")
    with caplog.at_level(logging.ERROR, logger="course.widgets"):
        view.submit.click()
    assert "something went wrong" in view.message.value
    assert any("disk on fire" in (r.exc_text or "") or r.exc_info for r in caplog.records)
    assert [str(e) for e in W.callback_errors] == ["disk on fire"]
    W.callback_errors.clear()


def test_database_unreachable_is_saved_locally(env, monkeypatch):
    blocker = env / "not-a-dir"
    blocker.write_text("a file where the database folder should be")
    monkeypatch.setenv("COURSE_DB_URL", f"sqlite:///{blocker}/results.sqlite")
    view = give(welcome(), "welcome-who-decides", "protocol")
    view.submit.click()
    assert "Saved on this computer" in view.feedback.value and "Right." in view.feedback.value
    assert W.get_store().pending_outbox() == 1
    assert "cannot be shown just now" in welcome_container_notice()
    # the database comes back: the next answer sends the queued one too, once
    monkeypatch.delenv("COURSE_DB_URL")
    view = welcome().view("welcome-pass-mark")
    view.text.value = "80"
    view.submit.click()
    assert "Saved on this computer" not in view.feedback.value
    assert [a.question for a in W.get_store().attempts()] == ["welcome-who-decides", "welcome-pass-mark"]
    assert W.get_store().pending_outbox() == 0


def welcome_container_notice():
    return W.quiz_widget("welcome").children[0].children[0].value


def test_progress_view(env):
    quiz = welcome()
    give(quiz, "welcome-who-decides", "protocol").submit.click()
    box = W.progress_widget()
    html = box.children[0].value
    assert "Welcome to the course" in html and "in progress (1 of 7 answered)" in html
    assert "0 of 8 done" in html


# --- assessments ------------------------------------------------------------------------------

ASSESSMENT = """\
quiz: final
title: Final
lesson: 00_welcome.ipynb
mode: assessment
pass_mark: 80
draw:
  banks: [welcome]
  count: 3
questions:
  - id: final-safe
    type: true_false
    section: How the course works
    prompt: Critical statement.
    answer: true
    critical: true
    explanation: Because it is safe.
"""


@pytest.fixture
def locked_assessment(env, monkeypatch):
    """A small assessment drawn from the welcome bank, which the learner has not done yet."""
    quizzes = env / "quizzes"
    quizzes.mkdir()
    shutil.copy(ROOT / "quizzes" / "00_welcome.yaml", quizzes)
    (quizzes / "final.yaml").write_text(ASSESSMENT)
    monkeypatch.setenv("COURSE_QUIZZES_DIR", str(quizzes))


@pytest.fixture
def assessment(locked_assessment):
    """The same, and the learner may sit it (a trainer waived the lessons)."""
    W.get_store().waive("Ann Nurse", "final", by="Tess Trainer", reason="tests of the assessment itself")


def answer_with_key(quiz, view):
    q = bank_question(view)
    return give(quiz, q.id, "My own words." if q.type == "free_text" else key_response(q))


def answer_right(quiz):
    for view in quiz.views:
        answer_with_key(quiz, view)


def test_an_assessment_is_locked_until_its_lessons_are_done(locked_assessment):
    locked = W.quiz_widget("final").children[0]
    assert "quiz-locked" in locked.value and "Final opens when you have done these lessons" in locked.value
    assert "<li>Welcome to the course</li>" in locked.value and W.get_store().sittings("Ann Nurse", "final") == []
    welcome_quiz = welcome()
    for view in welcome_quiz.views[:-1]:
        answer_with_key(welcome_quiz, view).submit.click()
    assert "quiz-locked" in W.quiz_widget("final").children[0].value  # one question still unanswered
    answer_with_key(welcome_quiz, welcome_quiz.views[-1]).submit.click()
    assert isinstance(W.quiz_widget("final").children[0], W.AssessmentQuiz)


def test_a_trainers_waiver_opens_the_assessment_early(locked_assessment):
    assert not isinstance(W.quiz_widget("final").children[0], W.AssessmentQuiz)
    W.get_store().waive("Ann Nurse", "final", by="Tess Trainer", reason="Did the lessons on paper")
    assert isinstance(W.quiz_widget("final").children[0], W.AssessmentQuiz)


def test_assessment_draw_is_per_learner_and_stable(assessment):
    quiz = W.quiz_widget("final").children[0]
    assert isinstance(quiz, W.AssessmentQuiz) and len(quiz.views) == 4
    again = W.quiz_widget("final").children[0]
    assert [v.question.id for v in quiz.views] == [v.question.id for v in again.views]
    assert all(v.question.type != "free_text" for v in quiz.views)
    assert all(v.submit not in v.children[2].children for v in quiz.views)  # one Submit for the whole assessment


def test_assessment_incomplete_stores_nothing(assessment):
    quiz = W.quiz_widget("final").children[0]
    quiz.submit.click()
    assert "still need" in quiz.result.value
    # an ordering is always a complete answer (the order shown); every other question is flagged
    assert all("quiz-invalid" in v.message.value for v in quiz.views if v.question.type != "ordering")
    assert W.get_store().attempts(quiz="final") == []


def test_assessment_pass_once_then_locked(assessment):
    quiz = W.quiz_widget("final").children[0]
    answer_right(quiz)
    quiz.submit.click()
    assert "Passed" in quiz.result.value and quiz.submit.disabled
    attempts = W.get_store().attempts(quiz="final")
    assert len(attempts) == 4 and len({a.submission for a in attempts}) == 1
    assert all(a.mode == "assessment" for a in attempts)
    reopened = W.quiz_widget("final").children[0]
    assert reopened.submit.disabled and "already taken" in reopened.result.value and "Passed" in reopened.result.value


def test_assessment_critical_miss_fails_and_retake_needs_a_trainer(assessment):
    quiz = W.quiz_widget("final").children[0]
    answer_right(quiz)
    give(quiz, "final-safe", False)
    quiz.submit.click()
    assert "Not passed" in quiz.result.value  # 75% and a critical question missed
    assert "Safety-critical questions missed" in quiz.result.value and "Critical statement." in quiz.result.value
    assert W.quiz_widget("final").children[0].submit.disabled
    W.get_store().allow_retake("Ann Nurse", "final", trainer="Tess Trainer")
    retake = W.quiz_widget("final").children[0]
    assert not retake.submit.disabled
    answer_right(retake)
    retake.submit.click()
    assert "Passed" in retake.result.value


def test_an_assessment_with_a_written_answer_waits_for_the_trainer(assessment, env):
    (env / "quizzes" / "final.yaml").write_text(ASSESSMENT + """\
  - id: final-words
    type: free_text
    section: How the course works
    prompt: Say it in your words.
    explanation: A good answer says why.
""")
    quiz = W.quiz_widget("final").children[0]
    answer_right(quiz)
    give(quiz, "final-words", "Because the prescriber decides.")
    quiz.submit.click()
    assert "Awaiting a trainer's review" in quiz.result.value and "Passed" not in quiz.result.value
    assert "1 written answer waits" in quiz.result.value
    from course.progress import final_result

    course = W.get_course()
    assert final_result(course, W.get_store(), "Ann Nurse").passed is False
    words = next(a for a in W.get_store().attempts(quiz="final") if a.question == "final-words")
    W.get_store().add_review(words.key, score=1, reviewer="Tess Trainer")
    assert final_result(course, W.get_store(), "Ann Nurse").passed is True


def test_a_lessons_score_reads_in_words_on_the_home_and_in_the_progress_table(env):
    quiz = welcome()
    for view in quiz.views[:2]:
        answer = "My own words." if view.question.type == "free_text" else key_response(bank_question(view))
        give(quiz, view.question.id, answer).submit.click()
    html = W.progress_widget().children[0].value
    assert "33% right first time; 2 of 6 right now" in html and "first tries" not in html  # 2 of the 6 gradable questions
    assert W._in_words("42% (pass mark 80%)") == "42% (pass mark 80%)"  # an assessment's is shown as it is


def test_a_final_assessment_not_passed_is_not_counted_as_done(assessment):
    quiz = W.quiz_widget("final").children[0]
    answer_right(quiz)
    give(quiz, "final-safe", False)
    quiz.submit.click()
    assert "Not passed" in quiz.result.value
    home = W.home_widget().children[0].value
    assert "0 of 2 done" in home  # the welcome lesson is not done, and a sitting not passed is not either
    assert "0 of 2 done" in W.progress_widget().children[0].value
