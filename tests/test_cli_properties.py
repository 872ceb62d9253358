"""Property: random arguments to every ``course`` subcommand never end in a traceback.

Arguments are drawn from each subcommand's own options (read from the parser, so a new option is
tried too), with values a trainer might type or mistype: real learners, quizzes and answer keys,
names that are not there, hostile text, dates and not-dates, folders, files, paths under a file,
database URLs that are not URLs or name no database. ``course`` runs in-process
(:func:`course.cli.main`) with its output captured: no exception may escape, the exit status is an
int, and a failure says something on stderr. Everything it may write goes to a scratch folder:
the data folder, --db (a scratch SQLite file), --out, and a copy of one lesson notebook.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import seed
from course import config
from course.bank import load_course
from course.cli import build_parser, main
from course.store import ResultsStore

ROOT = Path(__file__).resolve().parent.parent
PARSER = build_parser()
SUBCOMMANDS: dict[str, argparse.ArgumentParser] = next(a for a in PARSER._actions if isinstance(a, argparse._SubParsersAction)).choices


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A seeded scratch data folder, the environment pointing only at it, and values to try."""
    folder = tmp_path_factory.mktemp("cli")
    notebooks = folder / "notebooks"
    notebooks.mkdir()
    shutil.copy(ROOT / "notebooks" / "00_welcome.ipynb", notebooks)  # `course lessons` may rewrite it
    (folder / "a-file").write_text("a file, not a folder")
    (folder / "out").mkdir()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("COURSE_DATA_DIR", str(folder / "var"))
        env.setenv("COURSE_NOTEBOOKS_DIR", str(notebooks))
        for name in ("COURSE_DB_URL", "COURSE_SERVICE_URL", "COURSE_SERVICE_TOKEN", "JUPYTERHUB_API_TOKEN", "JUPYTERHUB_SERVICE_URL", "JUPYTERHUB_API_URL", "COURSE_QUIZZES_DIR"):
            env.delenv(name, raising=False)
        env.chdir(folder)
        with ResultsStore() as store:
            seed.seed(store, load_course(ROOT / "quizzes"))
            attempts = store.attempts()
        written = next(a.key for a in attempts if a.question_type == "free_text")
        yield {"folder": str(folder), "db": config.database_url(), "key": attempts[0].key, "written": written}


def values(scratch: dict[str, str]) -> dict[str, st.SearchStrategy[str]]:
    folder = scratch["folder"]
    anything = st.text(max_size=12)
    names = st.sampled_from([seed.ANN] * 4 + [seed.BOB, seed.CARLA, seed.EVE, "Nobody Here", "", " ", '=HYPERLINK("x")', "\x1b]0;x\x07", "a" * 300, "-x"])
    return {
        "learner": names,
        "cohort": st.sampled_from([seed.NURSES, "nope", "", "=1+1"]),
        "role": st.sampled_from(["nurse", "front_desk", "Front desk", "doctor", "", "=1+1"]),
        "quiz": st.sampled_from(["final_assessment", "history", "welcome", "nope", "", "../etc"]),
        "since": st.sampled_from(["2026-11-01", "2099-01-01", "2020-01-01T10:00", "yesterday", "", "2026-13-40"]),
        "until": st.sampled_from(["2030-01-01", "2020-01-01", "soon"]),
        "db": st.sampled_from([scratch["db"]] * 6 + ["not a url", "", "mysql://x/y", f"sqlite:///{folder}/missing/x.sqlite", f"sqlite:///{folder}/a-file", "sqlite://"]),
        "service": st.sampled_from(["http://127.0.0.1:9", "ftp://x", "not a url", ""]),
        "out": st.sampled_from([f"{folder}/out/x.pdf", f"{folder}/out/x.csv", f"{folder}/out", f"{folder}/out/", f"{folder}/a-file", f"{folder}/a-file/x.csv", f"{folder}/missing/x.csv", "", "/proc/x.csv", "/proc/x.pdf", "certs"]),
        "key": st.sampled_from([scratch["key"], scratch["written"], "nope", "", "' OR 1=1 --"]),
        "score": st.sampled_from(["1", "0", "-1", "99", "nan", "inf", "1e400", "one"]),
        "paths": st.sampled_from([str(ROOT / "quizzes" / "02_history.yaml"), f"{folder}/a-file", f"{folder}/missing.yaml", f"{folder}/out", "/proc/self/mem", ""]),
        "homepage": st.sampled_from(["https://clinic.example/course", "not an iri", ""]),
        "any": anything,
    }


@st.composite
def arguments(draw: st.DrawFn, scratch: dict[str, str]) -> list[str]:
    pool = values(scratch)
    name = draw(st.sampled_from(sorted(SUBCOMMANDS)))
    argv = [name]
    for action in SUBCOMMANDS[name]._actions:
        required = action.required or not action.option_strings
        if isinstance(action, argparse._HelpAction) or not draw(st.sampled_from([True] * (9 if required else 1) + [False] * (1 if required else 2))):
            continue
        dest = action.dest.replace("_", "-")
        if action.choices:
            value = draw(st.one_of(st.sampled_from(list(action.choices)), st.sampled_from(list(action.choices)), pool["any"]))
        else:
            kind = dest if dest in pool else (action.metavar or "").lower()
            value = draw(pool[kind] if kind in pool else pool["any"])
        if not action.option_strings:  # a positional
            argv.append(value)
        elif action.nargs == 0:  # a flag
            argv.append(action.option_strings[0])
        else:
            argv += [action.option_strings[0], value]
    if draw(st.sampled_from([False] * 5 + [True])):  # now and then something it does not take
        argv.insert(draw(st.integers(1, len(argv))), draw(st.sampled_from(["--nope", "extra", "-", "--db"])))
    return argv


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_random_arguments_never_end_in_a_traceback(scratch: dict[str, str], data: st.DataObject) -> None:
    var_results = ROOT / "var" / "results.sqlite"
    before = var_results.stat().st_mtime_ns if var_results.exists() else None
    argv = data.draw(arguments(scratch), label="argv")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)  # an exception escaping here is the traceback a trainer would see
    assert isinstance(status, int), argv
    assert "Traceback" not in err.getvalue() + out.getvalue(), argv
    if status != 0:
        assert err.getvalue().strip() or out.getvalue().strip(), f"{argv}: a failure that says nothing"
    assert (var_results.stat().st_mtime_ns if var_results.exists() else None) == before  # the project's var/ untouched


def test_every_subcommand_is_tried() -> None:
    assert set(SUBCOMMANDS) == {"validate", "lessons", "sync", "report", "export", "review", "certificate", "cohort", "role", "retake", "waive", "audit", "serve", "due", "verify", "revoke", "import", "export-bank"}
