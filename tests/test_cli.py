"""The ``course`` command line, run as a trainer would: real databases, real files, its output."""

from __future__ import annotations

from pathlib import Path

import pytest

from course.cli import main
from course.store import Attempt, ResultsStore, SaveOutcome


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
    parser_commands = ["validate", "sync"]
    for command in parser_commands:
        with pytest.raises(SystemExit) as exit_:
            main([command, "--help"])
        assert exit_.value.code == 0
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
