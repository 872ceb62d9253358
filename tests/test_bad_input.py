"""Bad input from a trainer in a hurry and a hostile learner (issue 12): every case ends in a clear
message and a non-zero exit, with nothing written and nothing stored; hostile text reaches a
spreadsheet or a terminal harmlessly.

Each test runs the ``course`` command in-process, as a trainer would type it, on a real SQLite
store in a scratch data folder (never the project's var/).
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sys
from pathlib import Path

import pytest

import seed
from course import identity, report
from course.bank import load_course
from course.cli import main
from course.store import Attempt, ResultsStore

ROOT = Path(__file__).resolve().parent.parent
FORMULAS = ['=HYPERLINK("http://evil","x")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3+cmd|' /C calc'!A0"]
ESCAPES = "\x1b]0;owned\x07\x1b[2J\x1b[1;1H"
HOSTILE_ANSWER = f'=HYPERLINK("http://evil","x"){ESCAPES}Nothing to see here.'


@pytest.fixture(scope="module")
def course():
    return load_course(ROOT / "quizzes")


@pytest.fixture(scope="module")
def seeded_store(tmp_path_factory: pytest.TempPathFactory, course) -> Path:
    """The seeded history, once per module: a SQLite file each test gets a copy of."""
    folder = tmp_path_factory.mktemp("seeded")
    with ResultsStore(f"sqlite:///{folder / 'results.sqlite'}", outbox=folder / "outbox.jsonl") as store:
        seed.seed(store, course)
        with store.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return folder / "results.sqlite"


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seeded_store: Path) -> Path:
    """A scratch data folder whose SQLite store holds the seeded history; nothing from the environment."""
    folder = tmp_path / "var"
    folder.mkdir()
    shutil.copyfile(seeded_store, folder / "results.sqlite")
    monkeypatch.setenv("COURSE_DATA_DIR", str(folder))
    for name in ("COURSE_DB_URL", "COURSE_SERVICE_URL", "JUPYTERHUB_API_TOKEN", "COURSE_SERVICE_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return folder


def stored(folder: Path) -> tuple[int, int, int]:
    """(attempts, reviews, audit entries) in the data folder's store."""
    with ResultsStore(f"sqlite:///{folder / 'results.sqlite'}") as store:
        return len(store.attempts()), len(store.reviews()), len(store.audit())


def files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def run(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    status = main(list(arguments))
    said = capsys.readouterr()
    return status, said.out, said.err


# --- the command line: one line, non-zero, nothing written ----------------------------------------


def test_a_certificate_under_a_file_is_refused_and_nothing_written(data, tmp_path, capsys):
    (tmp_path / "afile").write_text("a file")
    before, records = files(tmp_path), stored(data)
    status, out, err = run(capsys, "certificate", seed.ANN, "--out", str(tmp_path / "afile" / "ann.pdf"), "--trainer", "Tess")
    assert (status, out) == (1, "")
    assert err == f"course certificate: --out {tmp_path / 'afile' / 'ann.pdf'}: {tmp_path / 'afile'} is a file, not a folder\n"
    assert files(tmp_path) == before and stored(data) == records  # no file, no "certificate issued" in the audit trail


@pytest.mark.parametrize("out", ["certs", "certs/"])
def test_a_certificate_into_a_folder_that_does_not_exist_is_refused(data, tmp_path, capsys, monkeypatch, out):
    """`--out certs` wrote a PDF file named certs; now it names a folder, which must exist."""
    monkeypatch.chdir(tmp_path)
    before, records = files(tmp_path), stored(data)
    status, _, err = run(capsys, "certificate", seed.ANN, "--out", out, "--trainer", "Tess")
    assert status == 1
    assert err == f"course certificate: --out {out}: no such folder (create it first, or give a file name ending in .pdf)\n"
    assert files(tmp_path) == before and stored(data) == records
    (tmp_path / "certs").mkdir()
    status, out_text, _ = run(capsys, "certificate", seed.ANN, "--out", out, "--trainer", "Tess")
    assert status == 0 and re.fullmatch(r"wrote certs/certificate-ann-nurse\.pdf \(verification code [0-9A-Z-]{34}, valid until \d{4}-\d\d-\d\d\)\n", out_text)
    assert (tmp_path / "certs" / "certificate-ann-nurse.pdf").read_bytes().startswith(b"%PDF")


def test_a_certificate_over_a_file_that_is_not_a_pdf_is_refused(data, tmp_path, capsys):
    notes = tmp_path / "notes"
    notes.write_text("keep me")
    status, _, err = run(capsys, "certificate", seed.ANN, "--out", str(notes))
    assert status == 1 and err == f"course certificate: --out {notes}: is a file, not a folder (give a folder, or a file name ending in .pdf)\n"
    assert notes.read_text() == "keep me"


@pytest.mark.parametrize("format_", ["csv", "xapi"])
def test_an_export_to_a_folder_is_refused(data, tmp_path, capsys, format_):
    before = files(tmp_path)
    status, out, err = run(capsys, "export", "--format", format_, "--out", str(tmp_path))
    assert (status, out) == (1, "")
    assert err == f"course export: --out {tmp_path}: is a folder; give the name of a file to write in it\n"
    assert files(tmp_path) == before


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc takes no new files on Linux only")
@pytest.mark.parametrize("format_", ["csv", "xapi"])
def test_an_export_to_a_place_that_cannot_be_written_says_why(data, capsys, format_):
    """A folder that exists but takes no files (as root too): the error of the write itself, naming the file."""
    status, out, err = run(capsys, "export", "--format", format_, "--out", f"/proc/answers.{format_}")
    assert (status, out) == (1, "")
    assert err == f"course export: /proc/answers.{format_}: no such file or folder\n"
    assert not Path(f"/proc/answers.{format_}").exists()


def test_an_export_with_an_empty_out_is_refused(data, capsys):
    status, _, err = run(capsys, "export", "--format", "csv", "--out", "")
    assert status == 1 and err == "course export: --out '': an empty path; give a file name\n"


def test_a_database_url_that_is_not_one_says_so(data, capsys):
    status, out, err = run(capsys, "report", "--db", "not a url")
    assert (status, out) == (1, "")
    assert err == (
        "course report: The results database URL is not a database URL: 'not a url' "
        "(e.g. sqlite:///var/results.sqlite or postgresql+psycopg://user@host/db).\n"
    )


def test_a_sqlite_file_that_is_not_there_is_refused_not_created(data, tmp_path, capsys):
    """A typo in --db made a new, empty database and reported nothing, as if it were the records."""
    typo = tmp_path / "resluts.sqlite"
    for command in (["report"], ["review"], ["audit"], ["export", "--format", "csv", "--out", str(tmp_path / "a.csv")], ["cohort", seed.EVE, "x"]):
        status, out, err = run(capsys, *command, "--db", f"sqlite:///{typo}")
        assert (status, out) == (1, ""), command
        assert err == f"course {command[0]}: {typo}: no results database there (nothing has been stored yet; check --db or COURSE_DB_URL)\n"
    assert not typo.exists() and not (tmp_path / "a.csv").exists()


@pytest.mark.parametrize(
    "filters, said",
    [
        (["--quiz", "nope"], "there is no quiz 'nope'; the quizzes are: final_assessment, history, mechanism, side_effects_and_safety, talking_with_patients, treatment_protocol, welcome, what_is_ketamine_therapy"),
        (["--learner", "Nobody Here"], "there is no learner named 'Nobody Here'"),
        (["--cohort", "2026-11 nursse"], "there is no learner in cohort '2026-11 nursse'"),
        (["--cohort", seed.NURSES, "--learner", seed.EVE], f"no learner named {seed.EVE!r} in cohort {seed.NURSES!r}"),
        (["--since", "2099-01-01"], "no answers were given since 2099-01-01"),
        (["--since", "2020-01-01", "--until", "2020-02-01"], "no answers were given from 2020-01-01 until 2020-02-01"),
    ],
)
@pytest.mark.parametrize("table", ["learners", "questions", "review"])
def test_a_report_whose_filters_match_nothing_says_so(data, capsys, filters, said, table):
    """It printed every learner as 'not taken' and exited 0, so a typo looked like data."""
    status, out, err = run(capsys, "report", "--table", table, "--format", "csv", *filters)
    assert (status, out, err) == (1, "", f"course report: {said}\n")


def test_filters_that_match_a_learner_without_answers_are_data(data, capsys):
    status, out, _ = run(capsys, "report", "--learner", seed.EVE)
    assert status == 0 and seed.EVE in out and "not taken" in out


@pytest.mark.parametrize(
    "filters, said",
    [
        (["--quiz", "nope"], "there is no quiz 'nope'"),
        (["--learner", "Nobody Here"], "there is no learner named 'Nobody Here'"),
        (["--since", "2099-01-01"], "no answers were given since 2099-01-01"),
        (["--learner", seed.EVE], f"no answers match --learner {seed.EVE!r}; nothing written"),
    ],
)
def test_an_export_whose_filters_match_nothing_writes_nothing(data, tmp_path, capsys, filters, said):
    out = tmp_path / "answers.csv"
    status, printed, err = run(capsys, "export", "--format", "csv", "--out", str(out), *filters)
    assert status == 1 and printed == "" and err.startswith(f"course export: {said}")
    assert not out.exists()
    status, _, err = run(capsys, "export", "--format", "xapi", "--out", str(tmp_path / "lrs.json"), "--since", "2099-01-01")
    assert status == 1 and err == "course export: no answers were given since 2099-01-01; nothing written\n"
    assert not (tmp_path / "lrs.json").exists()


def test_review_and_audit_filters_that_match_nothing(data, capsys):
    assert run(capsys, "review", "--learner", "Nobody Here") == (1, "", "course review: there is no learner named 'Nobody Here'\n")
    assert run(capsys, "audit", "--learner", "Nobody Here") == (1, "", "course audit: there is no learner named 'Nobody Here'\n")
    status, out, _ = run(capsys, "audit", "--learner", seed.EVE)  # a learner nobody acted on yet: data
    assert (status, out) == (0, f"no trainer actions recorded for {seed.EVE}\n")


def test_a_review_of_an_answer_that_is_not_written_is_refused(data, capsys):
    with ResultsStore() as store:
        numeric = next(a for a in store.attempts() if a.question_type == "numeric")
    records = stored(data)
    status, out, err = run(capsys, "review", numeric.key, "--score", "1", "--reviewer", "Tess Trainer")
    assert (status, out) == (1, "")
    assert err == f"course review: Answer {numeric.key!r} is a numeric answer, scored by its key; only written (free-text) answers are reviewed.\n"
    assert stored(data) == records


# --- hostile text: spreadsheets and terminals -----------------------------------------------------


@pytest.mark.parametrize("name", FORMULAS)
def test_the_welcome_lesson_refuses_a_name_that_starts_like_a_formula(tmp_path, monkeypatch, name):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    with pytest.raises(identity.InvalidName) as refused:
        identity.remember(name)
    assert str(refused.value) == f"Please start your name with a letter (not “{name[0]}”)."
    assert list(tmp_path.iterdir()) == []  # nothing remembered


@pytest.fixture
def hostile(data, course) -> list[str]:
    """Learners whose names look like formulas (stored before the name rule, or by another way in),
    each with a written answer holding a formula and terminal escapes, and a review comment like one."""
    free = next(q for b in course.banks.values() if b.mode == "practice" for q in b.questions if q.type == "free_text")
    quiz = next(b.quiz for b in course.banks.values() if free in b.questions)
    bank = course.bank(quiz)
    with ResultsStore() as store:
        for name in FORMULAS:
            store.record(Attempt(learner=name, quiz=quiz, question=free.id, question_type="free_text", bank_version=bank.version,
                                 mode="practice", response=HOSTILE_ANSWER, score=None, max_score=free.points, correct=None, key=f"k{len(name)}"))  # fmt: skip
        store.add_review(f"k{len(FORMULAS[-1])}", score=1.0, reviewer="Tess", comment="=1+1 see cmd")
    return FORMULAS


def cells(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_exports_never_start_a_cell_like_a_formula(hostile, tmp_path, capsys):
    assert main(["export", "--format", "csv", "--out", str(tmp_path / "answers.csv")]) == 0
    rows = cells((tmp_path / "answers.csv").read_text(encoding="utf-8-sig"))
    learners = {r["learner"] for r in rows}
    assert {"'" + name for name in hostile} <= learners
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for cell in r.values())
    assert "'=1+1 see cmd" in {r["review_comment"] for r in rows}

    capsys.readouterr()
    for table, named in (("learners", hostile), ("review", hostile[:-1]), ("progress", hostile)):  # the last one's answer is reviewed
        assert main(["report", "--table", table, "--format", "csv"]) == 0
        rows = cells(capsys.readouterr().out)
        assert rows and not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for cell in r.values() if cell)
        assert {"'" + name for name in named} <= {r["learner"] for r in rows}
    assert main(["report", "--table", "review", "--format", "csv", "--learner", hostile[0]]) == 0  # the answer itself, as text
    (row,) = cells(capsys.readouterr().out)
    assert row["answer"] == "'" + HOSTILE_ANSWER


def test_to_csv_is_the_one_writer_and_leaves_numbers_and_plain_text_alone():
    import pandas as pd

    frame = pd.DataFrame({
        "learner": pd.Categorical(["Ann", "=cmd()", "Bob"]), "answer": ["-2", "\tTab", "plain"], "score": [-1.5, 0.0, 2.0],
        "at": pd.to_datetime(["2026-11-01T10:00Z"] * 3),
    })  # fmt: skip
    text = report.to_csv(frame).decode("utf-8-sig")
    assert text.splitlines() == [
        "learner,answer,score,at",
        "Ann,'-2,-1.5,2026-11-01T10:00:00+0000",
        "'=cmd(),'\tTab,0.0,2026-11-01T10:00:00+0000",
        "Bob,plain,2.0,2026-11-01T10:00:00+0000",
    ]
    assert list(frame["learner"]) == ["Ann", "=cmd()", "Bob"]  # the frame itself is unchanged
    writer = ROOT / "course" / "report" / "spreadsheet.py"  # the one writer
    assert "def csv_text(" in writer.read_text(encoding="utf-8")
    for path in (ROOT / "course").rglob("*.py"):  # every CSV the course writes goes through report.to_csv/csv_text
        source = path.read_text(encoding="utf-8")
        if path != writer:
            assert ".to_csv(" not in source.replace("report.to_csv(", ""), path
            assert not re.search(r"^\s*(import csv\b|from csv import)", source, re.MULTILINE), path


def test_terminal_escapes_in_a_written_answer_are_shown_not_run(hostile, capsys):
    for command in (["review"], ["review", "--model"], ["report", "--table", "review"], ["report", "--table", "review", "--format", "json"], ["report"]):
        assert main(command) == 0, command
        out = capsys.readouterr().out
        assert "\x1b" not in out and "\x07" not in out, command
    assert main(["review", "--learner", hostile[0]]) == 0
    out = capsys.readouterr().out
    assert "answer:   =HYPERLINK(\"http://evil\",\"x\")\\x1b]0;owned\\x07\\x1b[2J\\x1b[1;1HNothing to see here." in out
    assert main(["report", "--table", "review", "--format", "json", "--learner", hostile[0]]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["answer"] == HOSTILE_ANSWER  # JSON escapes: the same text, harmless on a terminal


def test_the_dashboard_export_uses_the_safe_writer(hostile, course):
    from course.dashboard import Dashboard

    board = Dashboard(course=course)
    try:
        path = board.export("learners")
    finally:
        board.store.close()
    rows = cells(path.read_text(encoding="utf-8-sig"))
    assert {"'" + name for name in hostile} <= {r["learner"] for r in rows}
