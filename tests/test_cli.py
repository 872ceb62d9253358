"""The ``course`` command line, run as a trainer would: real databases, real files, its output."""

from __future__ import annotations

from pathlib import Path

import pytest

import json

import pandas as pd
from pypdf import PdfReader

import seed
from course.bank import load_course
from course.cli import main
from course.store import Attempt, ResultsStore, SaveOutcome

ROOT = Path(__file__).resolve().parent.parent


def answer(question: str) -> Attempt:
    return Attempt(
        learner="Ann Nurse", quiz="history", question=question, question_type="true_false",
        bank_version="v1", mode="practice", response=True, score=1.0, max_score=1.0, correct=True,
    )  # fmt: skip


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("COURSE_DB_URL", raising=False)
    return tmp_path


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    from course.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    assert set(commands) == {"validate", "lessons", "sync", "report", "export", "review", "certificate", "cohort", "role", "retake", "waive", "audit", "serve", "due", "verify", "revoke", "import", "export-bank"}
    for command in commands:
        assert main([command, "--help"]) == 0  # argparse's exit becomes main's exit status
        assert f"usage: course {command}" in capsys.readouterr().out


def test_sync_sends_the_outbox_once(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = data / "blocked"
    blocker.write_text("a file where the database folder should be")
    url = f"sqlite:///{blocker / 'results.sqlite'}"
    with ResultsStore(url) as offline:
        assert [offline.record(answer(f"q{n}")) for n in range(3)] == [SaveOutcome.QUEUED] * 3

    assert main(["sync", "--db", url]) == 1
    assert "3 answer(s) are still waiting" in capsys.readouterr().err

    blocker.unlink()
    assert main(["sync", "--db", url]) == 0
    assert "sent 3 answers; 0 still waiting" in capsys.readouterr().out
    assert main(["sync", "--db", url]) == 0
    assert "nothing to send" in capsys.readouterr().out
    with ResultsStore(url) as store:
        assert sorted(a.question for a in store.attempts()) == ["q0", "q1", "q2"]


@pytest.fixture
def seeded(data: Path) -> Path:
    """The seeded history in the data folder's SQLite store."""
    with ResultsStore() as store:
        seed.seed(store, load_course(ROOT / "quizzes"))
    return data


def test_report_prints_every_learner(seeded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report"]) == 0
    out = capsys.readouterr().out
    names = (seed.ANN, seed.BOB, seed.CARLA, seed.DEV, seed.EVE)
    lines = {name: line for line in out.splitlines()[1:] for name in names if line.strip().startswith(name)}
    assert set(lines) == set(names) and len(out.splitlines()) == 1 + len(names)
    assert "passed" in lines[seed.ANN] and "failed" in lines[seed.CARLA] and "not taken" in lines[seed.EVE]


def test_report_as_csv_and_json_with_filters(seeded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import io

    assert main(["report", "--format", "csv", "--cohort", seed.NURSES]) == 0
    frame = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert sorted(frame["learner"]) == [seed.ANN, seed.CARLA]
    assert dict(zip(frame["learner"], frame["assessment_status"])) == {seed.ANN: "passed", seed.CARLA: "failed"}
    assert main(["report", "--table", "cohorts", "--format", "json"]) == 0
    cohorts = {row["cohort"]: row for row in json.loads(capsys.readouterr().out)}
    assert cohorts[seed.NURSES]["learners"] == 2 and cohorts[seed.NURSES]["passed"] == 1
    assert main(["report", "--since", "2099-01-01", "--format", "json", "--table", "questions"]) == 1  # dates that match nothing
    said = capsys.readouterr()
    assert said.out == "" and said.err == "course report: no answers were given since 2099-01-01\n"


def test_review_lists_then_scores_an_answer(seeded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", "--learner", seed.BOB]) == 0
    listing = capsys.readouterr().out
    keys = [line.split()[1] for line in listing.splitlines() if line.startswith("--- ")]
    assert keys and seed.FREE_TEXT_ANSWER in listing
    assert main(["review", keys[0], "--score", "1"]) == 1
    assert "--reviewer" in capsys.readouterr().err
    assert main(["review", keys[0], "--score", "1", "--reviewer", "Tess Trainer", "--comment", "Clear."]) == 0
    assert "saved: Bob Front-Desk" in capsys.readouterr().out
    assert main(["review", keys[1] if len(keys) > 1 else keys[0], "--score", "99", "--reviewer", "Tess"]) == 1
    assert "between 0 and" in capsys.readouterr().err
    with ResultsStore() as store:
        assert [(r.attempt_key, r.score, r.reviewer) for r in store.reviews()] == [(keys[0], 1.0, "Tess Trainer")]


def test_certificate_for_a_pass_and_a_refusal(seeded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ann.pdf"
    assert main(["certificate", seed.ANN, "--out", str(out)]) == 0
    text = PdfReader(out).pages[0].extract_text()
    assert seed.ANN in text and "100" in text
    refused = tmp_path / "carla.pdf"
    assert main(["certificate", seed.CARLA, "--out", str(refused)]) == 1
    assert "safety-critical" in capsys.readouterr().err and not refused.exists()
    assert main(["certificate", seed.EVE, "--out", str(refused)]) == 1
    assert "has not taken the final assessment" in capsys.readouterr().err


def test_export_csv_and_xapi(seeded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--format", "csv", "--out", str(tmp_path / "answers.csv")]) == 0
    frame = pd.read_csv(tmp_path / "answers.csv", encoding="utf-8-sig")
    with ResultsStore() as store:
        assert len(frame) == len(store.attempts())
    assert set(frame["learner"]) == {seed.ANN, seed.BOB, seed.CARLA, seed.DEV}
    assert main(["export", "--format", "xapi", "--out", str(tmp_path / "lrs.json")]) == 0
    statements = json.loads((tmp_path / "lrs.json").read_text(encoding="utf-8"))
    assert sum(s["verb"]["display"]["en-US"] == "answered" for s in statements) == len(frame)
    assert main(["export", "--format", "csv", "--out", str(tmp_path / "no" / "such.csv")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_cohort_and_retake(seeded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cohort", seed.EVE, "2026-12 nurses"]) == 0
    assert main(["retake", seed.CARLA, "--trainer", "Tess Trainer"]) == 0
    with ResultsStore() as store:
        assert {p.name: p.cohort for p in store.learners()}[seed.EVE] == "2026-12 nurses"
        assert store.retakes_allowed(seed.CARLA, "final_assessment") == 1
    capsys.readouterr()
    assert main(["retake", "Nobody", "--trainer", "Tess"]) == 1
    assert "no learner named 'Nobody'" in capsys.readouterr().err
    assert main(["retake", seed.CARLA, "--trainer", "Tess", "--quiz", "history"]) == 1
    assert "practice quiz" in capsys.readouterr().err
    assert main(["cohort", "Nobody", "x"]) == 1
    assert "no learner named" in capsys.readouterr().err


def test_waive_and_the_audit_trail(seeded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["waive", seed.EVE, "--reason", "Trained at her last clinic", "--trainer", "Tess Trainer"]) == 0
    assert "before finishing its lessons (waived by Tess Trainer" in capsys.readouterr().out
    assert main(["waive", seed.EVE, "--reason", "x"]) == 1
    assert "give --trainer" in capsys.readouterr().err
    assert main(["retake", seed.CARLA]) == 1  # who allows it must be named: it goes in the audit trail
    assert main(["retake", seed.CARLA, "--trainer", "Tina Lead"]) == 0
    capsys.readouterr()
    assert main(["audit"]) == 0
    out = capsys.readouterr().out
    assert "Tess Trainer  waiver  Eve New" in out and "Tina Lead  retake  Carla Clinician" in out and "2 actions" in out
    assert main(["audit", "--learner", seed.CARLA, "--format", "json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    assert (entry["actor"], entry["action"], entry["before"], entry["after"]) == ("Tina Lead", "retake", {"retakes": 0}, {"retakes": 1})


def test_a_review_of_an_answer_scored_by_its_key_is_refused(seeded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with ResultsStore() as store:
        choice = next(a for a in store.attempts() if a.question_type == "single_choice")
    assert main(["review", choice.key, "--score", "1", "--reviewer", "Tess Trainer"]) == 1
    assert "scored by its key; only written (free-text) answers are reviewed" in capsys.readouterr().err
    with ResultsStore() as store:
        assert store.reviews(choice.key) == [] and store.audit() == []


def test_the_audit_trail_shows_a_learners_control_characters_harmlessly(seeded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with ResultsStore() as store:
        store.ensure_learner("Eve\x1b]0;owned\x07")
    assert main(["cohort", "Eve\x1b]0;owned\x07", "x", "--trainer", "Tess"]) == 0
    capsys.readouterr()
    assert main(["audit"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "Eve\\x1b]0;owned\\x07" in out


def test_mistakes_end_in_a_message_not_a_traceback(data: Path) -> None:
    import subprocess
    import sys

    blocked = data / "blocked"
    blocked.write_text("not a folder")
    for arguments in (
        ["report", "--since", "yesterday"],
        ["report", "--db", f"sqlite:///{blocked / 'results.sqlite'}"],
        ["certificate", "Ann", "--out", str(data / "x.pdf"), "--db", "mysql://nobody@nowhere/x"],
    ):
        result = subprocess.run([sys.executable, "-m", "course", *arguments], capture_output=True, text=True)
        assert result.returncode in (1, 2), arguments
        assert "Traceback" not in result.stderr, result.stderr
        assert result.stderr.strip(), arguments
