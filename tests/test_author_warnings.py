"""Authors' warnings from `course validate` (issue 11): not mistakes, so the command still
succeeds, but each is printed as `file:line: question-id: warning: ...` for the author to look at."""

from __future__ import annotations

from pathlib import Path

from course.bank import check_course, course_warnings
from course.cli import main as cli


def single(qid: str, right: str, wrong: str, **extra: str) -> str:
    more = "".join(f"    {k}: {v}\n" for k, v in extra.items())
    return (
        f"  - id: {qid}\n    type: single_choice\n    section: Intro\n    prompt: Which?\n    explanation: Because.\n{more}"
        f"    options:\n      - {{id: a, text: '{right}', correct: true}}\n      - {{id: b, text: '{wrong}'}}\n"
    )


def true_false(qid: str, prompt: str, **extra: str) -> str:
    more = "".join(f"    {k}: {v}\n" for k, v in extra.items())
    return f"  - id: {qid}\n    type: true_false\n    section: Intro\n    prompt: '{prompt}'\n    answer: false\n    explanation: Because.\n{more}"


def bank(tmp_path: Path, quiz: str, body: str) -> Path:
    path = tmp_path / f"{quiz}.yaml"
    path.write_text(f"quiz: {quiz}\ntitle: {quiz}\nlesson: 01_{quiz}.ipynb\nmode: practice\nquestions:\n" + body, encoding="utf-8")
    return path


def warnings_of(tmp_path: Path) -> list[str]:
    banks, problems = check_course([tmp_path])
    assert problems == []
    return [str(w) for w in course_warnings(banks)]


def line(path: Path, text: str) -> int:
    return next(n for n, l in enumerate(path.read_text().splitlines(), 1) if text in l)


def test_the_right_option_longest_in_more_than_half_of_a_banks_single_choice_questions(tmp_path):
    path = bank(tmp_path, "demo", single("d-1", "The long, careful right answer", "No") + single("d-2", "Another long right answer", "No") + single("d-3", "Yes", "A long wrong answer"))
    shown = warnings_of(tmp_path)
    assert shown == [
        f"{path}:{line(path, 'questions:')}: (bank): warning: the right option is the longest in 2 of 3 single-choice "
        "questions (67%, more than 50%): learners can pick it by its length (d-1, d-2)"
    ]


def test_the_right_option_never_the_longest_in_a_bank_of_six_or_more(tmp_path):
    never = "".join(single(f"d-{n}", "Yes", "A longer wrong answer") for n in range(6))
    path = bank(tmp_path, "demo", never)
    assert warnings_of(tmp_path) == [
        f"{path}:{line(path, 'questions:')}: (bank): warning: the right option is never the longest in the 6 single-choice questions "
        "(by chance it would be in about 3): learners can rule the longest option out; let the right one be the longest in some"
    ]
    # once in six is no warning; nor is never in five
    bank(tmp_path, "demo", never + single("d-long", "The long, careful right answer", "No"))
    assert warnings_of(tmp_path) == []
    bank(tmp_path, "demo", "".join(single(f"d-{n}", "Yes", "A longer wrong answer") for n in range(5)))
    assert warnings_of(tmp_path) == []


def test_half_or_less_is_no_warning(tmp_path):
    bank(tmp_path, "demo", single("d-1", "The long, careful right answer", "No") + single("d-2", "Yes", "A long wrong answer"))
    assert warnings_of(tmp_path) == []


def test_a_true_false_prompt_with_an_absolute_word(tmp_path):
    path = bank(tmp_path, "demo", true_false("d-never", "True or false: ketamine never causes nausea.") + true_false("d-fine", "True or false: nausea can follow a session.") + true_false("d-everyone", "True or false: Everyone responds; it is FULLY understood."))
    shown = warnings_of(tmp_path)
    assert shown == [
        f"{path}:{line(path, 'd-never')}: d-never: warning: the true/false prompt says 'never': an absolute word gives the answer away (such a statement is nearly always false)",
        f"{path}:{line(path, 'd-everyone')}: d-everyone: warning: the true/false prompt says 'everyone', 'fully': an absolute word gives the answer away (such a statement is nearly always false)",
    ]


def test_words_inside_other_words_are_not_absolute(tmp_path):
    bank(tmp_path, "demo", true_false("d-call", "True or false: staff call the clinician when unsure; nonetheless overall."))
    assert warnings_of(tmp_path) == []


def test_the_same_fact_critical_in_two_questions_across_banks(tmp_path):
    one = bank(tmp_path, "one", single("one-drive", "No", "Yes", critical="true", fact="no-driving") + single("one-other", "No", "Yes", critical="true", fact="two-hours"))
    two = bank(tmp_path, "two", single("two-drive", "No", "Yes", critical="true", fact="no-driving") + single("two-drive-easy", "No", "Yes", fact="no-driving"))
    shown = warnings_of(tmp_path)
    assert shown == [
        f"{one}:{line(one, 'one-drive')}: one-drive: warning: fact 'no-driving' is critical in 2 questions (also two-drive ({two})): a learner fails on the same fact more than once; keep one critical",
        f"{two}:{line(two, 'two-drive')}: two-drive: warning: fact 'no-driving' is critical in 2 questions (also one-drive ({one})): a learner fails on the same fact more than once; keep one critical",
    ]


def test_a_critical_question_without_a_fact(tmp_path):
    path = bank(tmp_path, "demo", single("d-1", "No", "Yes", critical="true") + single("d-2", "No", "Yes"))
    assert warnings_of(tmp_path) == [f"{path}:{line(path, 'd-1')}: d-1: warning: a critical question names no fact (fact: ...), so the course cannot check that each critical fact is asked once"]


def test_course_validate_prints_warnings_and_succeeds(tmp_path, capsys):
    bank(tmp_path, "demo", true_false("d-all", "True or false: all patients feel dizzy.", critical="true"))
    assert cli(["validate", "--no-lessons", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "ok: 1 bank file, 1 question, no errors, 2 warnings to look at"
    assert all(": d-all: warning: " in l for l in out[:-1]) and len(out) == 3
