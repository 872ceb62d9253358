"""The bank loader: good banks load; every kind of mistake is reported by file, question id and field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from course import bank as bank_module
from course.bank import BankError, check_course, load_bank, load_course
from course.cli import main as cli

HEADER = """\
quiz: demo
title: Demo quiz
lesson: 01_demo.ipynb
mode: practice
questions:
"""

GOOD_SINGLE = """\
  - id: demo-one
    type: single_choice
    section: Intro
    prompt: Pick B.
    explanation: B is right because it is.
    options:
      - {id: a, text: A, feedback: not A}
      - {id: b, text: B, correct: true}
"""


def write(tmp_path: Path, body: str, name: str = "demo.yaml", header: str = HEADER) -> Path:
    path = tmp_path / name
    path.write_text(header + textwrap.dedent(body), encoding="utf-8")
    return path


def problems_of(path: Path, **kwargs) -> list[bank_module.Problem]:
    with pytest.raises(BankError) as info:
        load_bank(path, **kwargs)
    return info.value.problems


def only(problems, field: str):
    found = [p for p in problems if p.field == field]
    assert found, f"no problem on field {field!r} in {[str(p) for p in problems]}"
    return found[0]


def test_a_good_bank_loads_with_every_type(tmp_path):
    course = load_course(Path("quizzes"))
    welcome = course.bank("welcome")
    types = {q.type for q in welcome.questions}
    assert types == set(bank_module.QUESTION_TYPES)
    assert welcome.mode == "practice" and welcome.lesson == "00_welcome.ipynb"
    assert len(welcome.version) == 16
    assert welcome.question("welcome-pass-mark").unit == "%"


def test_version_changes_when_the_file_changes(tmp_path):
    path = write(tmp_path, GOOD_SINGLE)
    first = load_bank(path).version
    path.write_text(path.read_text().replace("Pick B.", "Pick B, please."))
    assert load_bank(path).version != first


def test_defaults(tmp_path):
    q = load_bank(write(tmp_path, GOOD_SINGLE)).questions[0]
    assert q.points == 1 and q.critical is False


def test_invalid_yaml_names_the_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("quiz: demo\ntitle: [unclosed\nmode: practice\n")
    p = only(problems_of(path), "yaml")
    assert p.file.endswith("broken.yaml") and p.line == 2
    assert "invalid YAML" in p.message


@pytest.mark.parametrize(
    "text, line, says",
    [
        # an unfinished key, quote or bracket: the line it was opened on, not where YAML gave up
        ("quiz: demo\ntitle: Demo\nlesson\nmode: practice\n", 3, "could not find expected ':' (noticed on line 4)"),
        ("quiz: demo\ntitle: \"Demo\nmode: practice\n", 2, "found unexpected end of stream (at the end of the file)"),
        ("quiz: demo\ntitle: [Demo, x\n", 2, "did not find expected ',' or ']' (at the end of the file)"),
        ("quiz: demo\ntitle: {a: 1\nmode: practice\n", 2, "did not find expected ',' or '}' (noticed on line 3)"),
        ("quiz: demo\nquestions:\n  - id: a\n    prompt: [unclosed\n    type: x\n", 4, "(noticed on line 5)"),
        # a mistake where YAML notices it: that line
        ("quiz: demo\ntitle: Demo\n- mode\n", 3, "did not find expected key"),
        ("quiz: demo\nquestions:\n  - id: a\n     prompt: too far in\n", 4, "mapping values are not allowed"),
        ("quiz: demo\ntitle: Demo\n\tlesson: x\n", 3, "tab character"),
        ("quiz: demo\ntitle: 'it's'\nmode: practice\n", 2, "did not find expected key"),
    ],
)
def test_a_yaml_mistake_is_reported_on_its_own_line(tmp_path, capsys, text, line, says):
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    (p,) = problems_of(path)
    assert (p.line, p.question, p.field) == (line, "(bank)", "yaml") and says in p.message
    assert line <= len(text.splitlines())  # never a line past the end of the file
    assert cli(["validate", "--no-lessons", str(path)]) == 1
    assert capsys.readouterr().out.splitlines()[0] == f"{path}:{line}: (bank): yaml: {p.message}"


def test_unknown_type(tmp_path):
    path = write(tmp_path, """\
      - id: demo-x
        type: essay
        section: Intro
        prompt: P
        explanation: E
    """)
    p = only(problems_of(path), "type")
    assert p.question == "demo-x" and "essay" in p.message and "single_choice" in p.message
    assert p.file.endswith("demo.yaml") and p.line == 7


@pytest.mark.parametrize("field", ["prompt", "explanation", "section"])
def test_missing_field(tmp_path, field):
    body = GOOD_SINGLE.replace(f"    {field}:", "    # removed:")
    p = only(problems_of(write(tmp_path, body)), field)
    assert p.question == "demo-one" and p.message == "is required"


@pytest.mark.parametrize("field", ["prompt", "explanation"])
def test_empty_field(tmp_path, field):
    lines = [f"    {field}: '   '" if line.startswith(f"    {field}:") else line for line in GOOD_SINGLE.splitlines()]
    p = only(problems_of(write(tmp_path, "\n".join(lines) + "\n")), field)
    assert p.question == "demo-one" and "empty" in p.message


def test_empty_option_text(tmp_path):
    body = GOOD_SINGLE.replace("{id: a, text: A, feedback: not A}", "{id: a, text: ''}")
    p = only(problems_of(write(tmp_path, body)), "options[0].text")
    assert p.question == "demo-one" and "empty" in p.message


def test_no_correct_option(tmp_path):
    body = GOOD_SINGLE.replace("{id: b, text: B, correct: true}", "{id: b, text: B}")
    p = only(problems_of(write(tmp_path, body)), "options")
    assert p.question == "demo-one" and "no option is marked correct" in p.message


def test_single_choice_with_two_correct_options(tmp_path):
    body = GOOD_SINGLE.replace("{id: a, text: A, feedback: not A}", "{id: a, text: A, correct: true}")
    p = only(problems_of(write(tmp_path, body)), "options")
    assert "exactly one correct option" in p.message and "multiple_choice" in p.message


def test_duplicate_options(tmp_path):
    body = GOOD_SINGLE.replace("{id: a, text: A, feedback: not A}", "{id: b, text: B}")
    messages = [p.message for p in problems_of(write(tmp_path, body)) if p.field == "options"]
    assert any("option id 'b' is used twice" in m for m in messages)
    assert any("option text 'B' is used twice" in m for m in messages)


def test_true_false_key_must_be_a_bool(tmp_path):
    path = write(tmp_path, """\
      - id: demo-tf
        type: true_false
        section: Intro
        prompt: P
        explanation: E
        answer: maybe
    """)
    p = only(problems_of(path), "answer")
    assert p.question == "demo-tf" and "true or false" in p.message


def test_matching_key_not_among_the_options(tmp_path):
    # A matching question whose right items repeat: the key could not tell them apart.
    path = write(tmp_path, """\
      - id: demo-match
        type: matching
        section: Intro
        prompt: P
        explanation: E
        pairs:
          - {id: a, left: A, right: One}
          - {id: b, left: B, right: Two}
        distractors:
          - {id: a, text: Three}
    """)
    p = only(problems_of(path), "pairs")
    assert p.question == "demo-match" and "'a' is used twice" in p.message


def test_numeric_min_above_max_and_negative_tolerance(tmp_path):
    path = write(tmp_path, """\
      - id: demo-range
        type: numeric
        section: Intro
        prompt: P
        explanation: E
        min: 8
        max: 6
      - id: demo-tol
        type: numeric
        section: Intro
        prompt: P
        explanation: E
        answer: 40
        tolerance: -5
    """)
    problems = problems_of(path)
    p = only(problems, "min")
    assert p.question == "demo-range" and "above max" in p.message and p.line == 11
    p = only(problems, "tolerance")
    assert p.question == "demo-tol" and "negative" in p.message


def test_numeric_needs_a_key(tmp_path):
    path = write(tmp_path, """\
      - id: demo-nokey
        type: numeric
        section: Intro
        prompt: P
        explanation: E
    """)
    p = only(problems_of(path), "answer")
    assert p.question == "demo-nokey" and "min and max" in p.message


def test_ordering_with_fewer_than_two_items(tmp_path):
    path = write(tmp_path, """\
      - id: demo-order
        type: ordering
        section: Intro
        prompt: P
        explanation: E
        items:
          - {id: only, text: Only one}
    """)
    p = only(problems_of(path), "items")
    assert p.question == "demo-order" and "at least 2 items" in p.message


def test_duplicate_ids_within_a_file(tmp_path):
    path = write(tmp_path, GOOD_SINGLE + GOOD_SINGLE)
    p = only(problems_of(path), "id")
    assert p.question == "demo-one" and "used twice" in p.message


def test_duplicate_ids_across_files(tmp_path):
    write(tmp_path, GOOD_SINGLE, name="a.yaml")
    write(tmp_path, GOOD_SINGLE, name="b.yaml", header=HEADER.replace("quiz: demo", "quiz: other"))
    _, problems = check_course([tmp_path])
    p = only(problems, "id")
    assert p.file.endswith("b.yaml") and p.question == "demo-one" and "a.yaml" in p.message


def test_a_misspelt_field_is_an_error(tmp_path):
    body = GOOD_SINGLE.replace("explanation:", "explaination:")
    problems = problems_of(write(tmp_path, body))
    assert "check the spelling" in only(problems, "explaination").message
    assert only(problems, "explanation").message == "is required"


def test_a_key_written_twice_is_an_error(tmp_path):
    body = GOOD_SINGLE + "    prompt: Pick A.\n"
    p = only(problems_of(write(tmp_path, body)), "prompt")
    assert p.question == "demo-one" and "written twice" in p.message


def test_bank_level_fields(tmp_path):
    header = "quiz: demo\ntitle: ''\nmode: exam\npass_mark: 120\nquestions:\n"
    problems = problems_of(write(tmp_path, GOOD_SINGLE, header=header))
    assert only(problems, "lesson").message == "is required"
    assert "empty" in only(problems, "title").message
    assert "'practice' or 'assessment'" in only(problems, "mode").message
    assert "at most 100" in only(problems, "pass_mark").message
    assert all(p.question == "(bank)" for p in problems)


def test_every_error_of_a_file_is_collected(tmp_path):
    body = GOOD_SINGLE.replace("{id: b, text: B, correct: true}", "{id: b, text: B}") + """\
  - id: demo-order
    type: ordering
    section: Intro
    prompt: P
    explanation: ''
    items: [{id: x, text: X}]
"""
    problems = problems_of(write(tmp_path, body))
    assert {(p.question, p.field) for p in problems} >= {
        ("demo-one", "options"),
        ("demo-order", "explanation"),
        ("demo-order", "items"),
    }


def test_section_must_be_a_heading_of_the_lesson(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Demo\n\n## Intro\n\ntext")])
    notebooks = tmp_path / "nb"
    notebooks.mkdir()
    nbformat.write(nb, notebooks / "01_demo.ipynb")
    path = write(tmp_path, GOOD_SINGLE)
    assert load_bank(path, notebooks=notebooks)
    path.write_text(path.read_text().replace("section: Intro", "section: Outro"))
    p = only(problems_of(path, notebooks=notebooks), "section")
    assert p.question == "demo-one" and "'Outro'" in p.message and "'Intro'" in p.message


def test_missing_lesson_notebook(tmp_path):
    path = write(tmp_path, GOOD_SINGLE)
    p = only(problems_of(path, notebooks=tmp_path), "lesson")
    assert "01_demo.ipynb" in p.message and "not found" in p.message


def test_problem_format_is_file_line_id_field_message(tmp_path):
    body = GOOD_SINGLE.replace("{id: b, text: B, correct: true}", "{id: b, text: B}")
    p = only(problems_of(write(tmp_path, body)), "options")
    assert str(p) == f"{p.file}:{p.line}: demo-one: options: no option is marked correct: true"


def test_cli_validate_reports_each_problem_and_fails(tmp_path, capsys):
    body = GOOD_SINGLE.replace("{id: b, text: B, correct: true}", "{id: b, text: B}")
    path = write(tmp_path, body)
    assert cli(["validate", "--no-lessons", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{path}:") and ": demo-one: options: " in out[0]
    assert out[-1] == "1 error in 1 of 1 bank files"


def test_cli_validate_a_folder(tmp_path, capsys):
    write(tmp_path, GOOD_SINGLE, name="a.yaml")
    assert cli(["validate", "--no-lessons", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == "ok: 1 bank file, 1 question, no errors"


def test_cli_validate_a_missing_path(tmp_path, capsys):
    assert cli(["validate", str(tmp_path / "nope.yaml")]) == 1
    assert "no such file" in capsys.readouterr().err


def test_python_dash_m_course_validate_never_shows_a_traceback(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "bad.yaml"
    path.write_bytes(b"\xff\xfe not utf-8")
    result = subprocess.run([sys.executable, "-m", "course", "validate", str(path)], capture_output=True, text=True)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert "not UTF-8" in result.stdout


def test_the_course_banks_validate(capsys):
    """Every bank in quizzes/ is valid, sections included (what `course validate` checks in CI)."""
    assert cli(["validate"]) == 0, capsys.readouterr().out


def assessment(tmp_path: Path, draw: str, *, pass_mark: str = "pass_mark: 80\n", quiz: str = "exam") -> Path:
    """The demo practice bank (two questions, one critical) plus an assessment drawing from it."""
    write(tmp_path, GOOD_SINGLE + GOOD_SINGLE.replace("demo-one", "demo-two").replace("    section: Intro\n", "    section: Intro\n    critical: true\n"), name="demo.yaml")
    path = tmp_path / "exam.yaml"
    path.write_text(f"quiz: {quiz}\ntitle: Exam\nlesson: 09_exam.ipynb\nmode: assessment\n{pass_mark}draw:\n" + draw, encoding="utf-8")
    return path


def draw_problems(tmp_path: Path, draw: str, **kwargs) -> list[bank_module.Problem]:
    assessment(tmp_path, draw, **kwargs)
    _, problems = check_course([tmp_path])
    return [p for p in problems if p.file.endswith("exam.yaml")]


def test_a_sound_draw_loads(tmp_path):
    assessment(tmp_path, "  banks: [demo]\n  count: 2\n  min_per_bank: 1\n  min_critical: 1\n")
    exam = load_course(tmp_path).bank("exam")
    assert exam.draw.min_critical == 1 and exam.pass_mark == 80


@pytest.mark.parametrize(
    ("draw", "extra", "field", "words"),
    [
        ("  banks: [demo]\n  count: 1\n", {"pass_mark": ""}, "pass_mark", "needs a pass mark"),
        ("  banks: [demo, exam]\n  count: 1\n", {}, "draw.banks", "cannot draw from itself"),
        ("  banks: [demo]\n  count: 1\n  min_per_bank: 2\n", {}, "draw.min_per_bank", "more than count"),
        ("  banks: [demo]\n  count: 2\n  min_per_bank: 2\n  min_critical: 3\n", {}, "draw.min_critical", "more than count"),
        ("  banks: [demo]\n  count: 3\n  min_per_bank: 3\n", {}, "draw.min_per_bank", "holds only 2"),
        ("  banks: [demo]\n  count: 2\n  min_critical: 2\n", {}, "draw.min_critical", "hold only 1"),
        ("  banks: [demo]\n  count: 1\n  per_bank: 1\n", {}, "draw.per_bank", "not a known field"),
        ("  banks: [histroy]\n  count: 1\n", {}, "draw.banks", "no quiz 'histroy'"),
    ],
)
def test_draw_mistakes_are_named(tmp_path, draw, extra, field, words):
    p = only(draw_problems(tmp_path, draw, **extra), field)
    assert words in p.message, str(p)


def test_min_critical_puts_critical_questions_in_every_draw(tmp_path):
    from course.assessment import draw

    assessment(tmp_path, "  banks: [demo]\n  count: 1\n  min_critical: 1\n")
    course = load_course(tmp_path)
    for learner in ("Ann", "Bob", "Cy", "Di", "Ed", "Flo", "Gus", "Hal"):
        assert [q.id for q in draw(course, course.bank("exam"), learner)] == ["demo-two"]


# --- keys that cannot grade (issue 12) ------------------------------------------------------------


@pytest.mark.parametrize(
    "key, field, message",
    [
        ("answer: .nan", "answer", "must be an ordinary number, not .nan: no typed number could ever equal it, so nobody could answer right"),
        ("answer: .inf", "answer", "must be an ordinary number, not .inf: no typed number could ever equal it, so nobody could answer right"),
        ('answer: "nan"', "answer", "must be an ordinary number, not .nan: no typed number could ever equal it, so nobody could answer right"),
        ("answer: 40\n        tolerance: .inf", "tolerance", "must be an ordinary number, not .inf: every number would count as right"),
        ("answer: 40\n        tolerance: .nan", "tolerance", "must be an ordinary number, not .nan: no number would ever count as right"),
        ("min: .nan\n        max: 8", "min", "must be an ordinary number, not .nan: a range needs ordinary numbers at both ends"),
        ("min: 6\n        max: .inf", "max", "must be an ordinary number, not .inf: a range needs ordinary numbers at both ends"),
        ("min: -.inf\n        max: 8", "min", "must be an ordinary number, not -.inf: a range needs ordinary numbers at both ends"),
        ("answer: true", "answer", "must be a number (got true)"),
        ("answer: null", "answer", "is required (or give min and max for a range)"),
    ],
)
def test_a_numeric_key_that_cannot_grade_is_refused_at_load(tmp_path, capsys, key, field, message):
    path = write(tmp_path, f"""\
      - id: demo-num
        type: numeric
        section: Intro
        prompt: How many?
        explanation: E
        {key}
    """)
    (p,) = problems_of(path)
    assert (p.question, p.field, p.message) == ("demo-num", field, message)
    assert p.line == 11 + (field in ("tolerance", "max"))
    assert cli(["validate", "--no-lessons", str(path)]) == 1
    assert capsys.readouterr().out.splitlines() == [f"{path}:{p.line}: demo-num: {field}: {message}", "1 error in 1 of 1 bank files"]


def test_the_numeric_model_itself_refuses_a_key_that_cannot_grade():
    """The one rule (bank.numeric_key_problems) also guards a question built in code."""
    from pydantic import ValidationError

    common = dict(type="numeric", id="n", section="S", prompt="P", explanation="E")
    for key in ({"answer": float("nan")}, {"answer": 3, "tolerance": float("inf")}, {"min": float("nan"), "max": 3}, {"min": 8, "max": 6}, {}):
        with pytest.raises(ValidationError):
            bank_module.Numeric(**common, **key)
    assert bank_module.Numeric(**common, answer=40, tolerance=5).tolerance == 5


@pytest.mark.parametrize("field, value", [("points", ".inf"), ("points", ".nan"), ("points", "-.inf")])
def test_points_must_be_an_ordinary_number(tmp_path, field, value):
    p = only(problems_of(write(tmp_path, GOOD_SINGLE.replace("    section: Intro\n", f"    section: Intro\n    {field}: {value}\n"))), field)
    assert p.message == f"must be an ordinary number, not {value}"


def test_an_assessment_pass_mark_must_be_an_ordinary_number(tmp_path):
    header = HEADER.replace("mode: practice", "mode: assessment\npass_mark: .nan")
    p = only(problems_of(write(tmp_path, GOOD_SINGLE, header=header)), "pass_mark")
    assert p.message == "must be an ordinary number, not .nan" and p.line == 5


def test_a_select_all_question_whose_every_option_is_correct_is_refused(tmp_path, capsys):
    path = write(tmp_path, """\
      - id: demo-all
        type: multiple_choice
        section: Intro
        prompt: Tick all that apply.
        explanation: E
        options:
          - {id: a, text: A, correct: true}
          - {id: b, text: B, correct: true}
          - {id: c, text: C, correct: true}
    """)
    (p,) = problems_of(path)
    assert str(p) == (
        f"{p.file}:12: demo-all: options: every option is marked correct: true, so ticking them all earns "
        "full marks without reading the question; add at least one option that is wrong"
    )
    assert cli(["validate", "--no-lessons", str(path)]) == 1


def test_correct_is_true_or_false_never_a_quoted_word(tmp_path):
    """`correct: "yes"` would count as right to the model and as not marked to the checks."""
    body = GOOD_SINGLE.replace("{id: a, text: A, feedback: not A}", "{id: a, text: A, correct: 'yes'}")
    p = only(problems_of(write(tmp_path, body)), "options[0].correct")
    assert p.message == "must be true or false (got 'yes')"


def test_an_id_that_is_itself_the_mistake_keeps_the_problem_format(tmp_path, capsys):
    path = write(tmp_path, GOOD_SINGLE.replace("id: demo-one", "id: 'demo: one'"))
    assert cli(["validate", "--no-lessons", str(path)]) == 1
    first = capsys.readouterr().out.splitlines()[0]
    assert first == f"{path}:6: question 1: id: 'demo: one' may use only letters, digits, '-', '_' and '.'"
