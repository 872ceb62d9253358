"""The course service on a real JupyterHub: learners answer from their own kernels, which hold no key
and choose no identity; trainers act through the service and every action is in the audit trail.

The deployment (tests/hub/conftest.py) is real: JupyterHub and its proxy, learners' servers and
kernels running as their own OS users, the course service run by the hub (``python -m course
serve``) with the only copy of the banks and the only database password, PostgreSQL requiring it.
"""

from __future__ import annotations

import base64
import json
import textwrap
from typing import Any

import pytest
import psycopg

from course.bank import load_course
from course.progress import final_result
from course.store import ResultsStore

from .deployment import ROOT, HubProcess
from .keys import fingerprints

ANN, BOB = "kc-ann", "kc-bob"
TRAINER = "kc-tess"
FINAL = "final_assessment"


def printed(result: Any) -> Any:
    """The JSON a kernel's code printed last."""
    assert result.ok, result
    return json.loads(result.stdout.strip().splitlines()[-1])


def store_of(hub: HubProcess) -> ResultsStore:
    """The results database, opened as the service opens it (the test runs as root, beside the service)."""
    return ResultsStore(hub.deployment.service_db_url, outbox=hub.deployment.root / "test-outbox.jsonl")


def course_of(hub: HubProcess):
    return load_course(hub.deployment.quizzes)


# Kernel code: a ServiceClient from the kernel's own environment, as the quiz widgets make it.
CLIENT = "from course.client import ServiceClient\nclient = ServiceClient.from_environment()\n"
# Kernel code: course(*args) runs the `course` command line in the kernel's server (a trainer's
# terminal there) and returns its exit code, stdout and stderr.
COMMAND = textwrap.dedent(
    """
    import json, os, subprocess, sys
    def course(*args):
        done = subprocess.run([sys.executable, "-m", "course", *args], capture_output=True, text=True)
        return {"code": done.returncode, "out": done.stdout, "err": done.stderr}
    """
)


def test_a_learner_answers_from_their_kernel_and_the_answer_is_theirs_whatever_the_kernel_says(hub: HubProcess) -> None:
    code = textwrap.dedent(
        """
        import json, os, pathlib
        os.environ["JUPYTERHUB_USER"] = "kc-bob"                      # a cell pretends to be someone else
        os.environ["COURSE_LEARNER"] = "kc-bob"
        folder = pathlib.Path.home() / "var"; folder.mkdir(exist_ok=True)
        (folder / "learner.json").write_text(json.dumps({"name": "kc-bob"}))
        os.environ["COURSE_DATA_DIR"] = str(folder)
        from course import widgets
        quiz = widgets.quiz_widget("welcome").children[0]             # the widget the lesson shows
        view = quiz.view("welcome-practice-retry")
        view.input.value = True
        view.submit.click()
        print(json.dumps({"learner": quiz.learner, "feedback": view.feedback.value, "errors": [str(e) for e in widgets.callback_errors]}))
        """
    )
    outcome = printed(hub.run_in_kernel(ANN, code))
    assert outcome["learner"] == ANN and outcome["errors"] == []
    assert "Right." in outcome["feedback"] and "Why:" in outcome["feedback"]
    with store_of(hub) as store:
        stored = [a for a in store.attempts(quiz="welcome") if a.question == "welcome-practice-retry"]
    assert [(a.learner, a.response, a.correct) for a in stored] == [(ANN, True, True)]


def test_a_kernel_never_holds_a_key(hub: HubProcess) -> None:
    """Every lesson's quiz and a sitting of the final assessment opened in a learner's kernel: no
    explanation or option feedback of any question (what comes back only with a grade) is in
    the kernel's memory, no bank object either; and no readable file on the machine holds them."""
    course = course_of(hub)
    with store_of(hub) as store:
        store.waive(BOB, FINAL, by=TRAINER, reason="hub test: open the assessment")
    sources = [ROOT.parent / "shared" / "source" / name for name in ("article.txt", "clinical-facts.md")]
    needles = sorted(fingerprints(course, hub.deployment.notebooks, sources).values())
    assert len(needles) == sum(len(b.questions) for b in course.banks.values())
    practice = [b.quiz for b in course.banks.values() if b.mode == "practice"]
    code = textwrap.dedent(
        f"""
        import gc, json, subprocess, sys
        from course import widgets
        shown = [widgets.quiz_widget(quiz).children[0] for quiz in {practice!r}]
        final = widgets.quiz_widget({FINAL!r}).children[0]
        import base64
        needles = json.loads(base64.b64decode({base64.b64encode(json.dumps(needles).encode()).decode()!r}))  # (not as text in this cell's source)
        in_memory = set()
        for obj in gc.get_objects():  # every container, and the strings it holds (but the needles themselves)
            for ref in (obj, *gc.get_referents(obj)):
                if isinstance(ref, str) and len(ref) >= 30 and ref not in needles:
                    in_memory.update(n for n in needles if n in ref)
        banks = [type(o).__name__ for o in gc.get_objects() if type(o).__module__ in ("course.bank.models", "course.bank.loading") and type(o).__name__ in ("SingleChoice", "MultipleChoice", "TrueFalse", "Numeric", "Ordering", "Matching", "Bank", "Course")]
        import os, tempfile
        # where a deployment, what it installs and its users write: its own folder, the temp
        # folders, home folders, /srv, /opt, /root, mounts, /var's writable parts, and the checkout.
        # Not the rest of the host: a CI runner's own folders (which hold a copy of the
        # submission, banks included) are not the deployment's and no learner is given them.
        checkout = {str(ROOT)!r}
        places = [{str(hub.deployment.root)!r}, tempfile.gettempdir(), "/tmp", "/var/tmp", "/dev/shm", "/home", "/srv", "/opt", "/root", "/mnt", "/media",
                  "/var/mail", "/var/spool", "/var/opt", "/var/local", "/var/www", "/var/backups", checkout]
        roots = sorted({{p for p in places if os.path.isdir(p)}})
        found = subprocess.run(["grep", "-rlsF", "--binary-files=text", "-f", "-", *roots], input="\\n".join(needles), capture_output=True, text=True)
        # a key is a bank's text in a file that holds explanations (a bank, a copy or a dump of
        # its questions) -- not a source document whose sentence an explanation paraphrases
        files = [p for p in found.stdout.splitlines() if subprocess.run(["grep", "-qsi", "explanation", p]).returncode == 0]
        print(json.dumps({{
            "questions": sum(len(q.views) for q in shown), "final": type(final).__name__, "final_questions": len(getattr(final, "views", [])),
            "in_memory": sorted(in_memory), "bank_objects": banks, "files": files,
        }}))
        """
    )
    outcome = printed(hub.run_in_kernel(BOB, code, timeout=300))
    assert outcome["questions"] == sum(len(b.questions) for b in course.banks.values() if b.mode == "practice")
    assert outcome["final"] == "AssessmentQuiz" and outcome["final_questions"] == 21  # 20 and the written scenario (issue 11)
    assert outcome["in_memory"] == [] and outcome["bank_objects"] == []
    assert outcome["files"] == [], f"readable files holding keys: {outcome['files'][:10]}"


def test_a_forged_sitting_another_learners_results_and_another_identity_are_refused(hub: HubProcess) -> None:
    course = course_of(hub)
    with store_of(hub) as store:
        store.waive(ANN, FINAL, by=TRAINER, reason="hub test: open the assessment")
    code = CLIENT + textwrap.dedent(
        f"""
        import json, uuid
        from course.client import ServiceError
        out = {{}}
        view = client.sitting({FINAL!r})
        out["opened"] = view.state
        wrong = {{}}
        for q in view.questions:   # every answer wrong: the first option, 0, the order shown, ...
            wrong[q.id] = {{"single_choice": q.options[0].id if q.options else None, "true_false": False, "multiple_choice": [q.options[0].id] if q.options else [],
                           "numeric": "123456", "ordering": [c.id for c in q.items], "matching": {{l.id: q.rights[0].id for l in q.lefts}}, "free_text": "I do not know."}}[q.type]
        failed = client.submit({FINAL!r}, view.sitting, wrong)
        out["first"] = failed.score.passed
        def status(method, path, body=None):
            code, _, data = client._http.request(method, path, body)
            return code, json.loads(data or b"null")
        # a second, passing sitting without a retake: the same closed sitting comes back
        out["reopen"] = client.sitting({FINAL!r}).sitting == view.sitting
        out["again"] = status("POST", f"quizzes/{FINAL}/sittings/{{view.sitting}}/submit", {{"responses": {{}}}})[1]["score"]["passed"]
        out["made_up"] = status("POST", f"quizzes/{FINAL}/sittings/{{uuid.uuid4().hex}}/submit", {{"responses": {{}}}})[0]
        # another learner's results, and another identity
        out["report"] = status("GET", "report/learners")[0]
        out["audit"] = status("GET", "audit")[0]
        out["as_bob"] = status("POST", "quizzes/welcome/answers", {{"question": "welcome-practice-retry", "response": True, "key": "k1", "learner": "{BOB}"}})[0]
        out["retake_self"] = status("POST", "retakes", {{"learner": "{ANN}"}})[0]
        out["progress_names"] = sorted({{r["quiz"] for r in status("GET", "progress")[1]}})
        print(json.dumps(out))
        """
    )
    out = printed(hub.run_in_kernel(ANN, code))
    assert out["opened"] == "open" and out["first"] is False
    assert out["reopen"] is True and out["again"] is False  # the stored, failed result: not replaced
    assert out["made_up"] == 409  # not a sitting of hers: refused, nothing stored
    assert out["report"] == 403 and out["audit"] == 403 and out["retake_self"] == 403
    assert out["as_bob"] == 403
    with store_of(hub) as store:
        result = final_result(course, store, ANN)
        sittings = store.sittings(ANN, FINAL)
        bob_answers = [a for a in store.attempts(learner=BOB) if a.key == "k1"]
    assert result is not None and result.passed is False and len(sittings) == 1 and result.irregular is None
    assert bob_answers == []


def test_the_trainer_sees_both_learners_scores_a_written_answer_and_allows_a_retake_all_audited(hub: HubProcess) -> None:
    # Bob writes an answer for the trainer, through his own kernel
    printed(hub.run_in_kernel(BOB, CLIENT + textwrap.dedent(
        """
        import json
        done = client.answer("welcome", "welcome-hopes", "To answer patients honestly.", key="hopes-1")
        print(json.dumps({"pending": done.grade.pending}))
        """
    )))  # fmt: skip
    with store_of(hub) as store:
        store.ensure_learner(ANN)
        written = next(a for a in store.attempts(learner=BOB) if a.question == "welcome-hopes")
    # the trainer, from a terminal in their own server: the course command goes through the service
    code = COMMAND + textwrap.dedent(
        f"""
        print(json.dumps({{
            "report": course("report", "--format", "json"),
            "review": course("review", "{written.key}", "--score", "1", "--comment", "Honest and clear."),
            "retake": course("retake", "{ANN}"),
            "impostor": course("retake", "{BOB}", "--trainer", "Someone Else"),
            "audit": course("audit", "--format", "json"),
            "csv": course("export", "--format", "csv", "--out", os.path.expanduser("~/answers.csv")),
            "xapi": course("export", "--format", "xapi", "--out", os.path.expanduser("~/lrs.json")),
        }}))
        """
    )
    out = printed(hub.run_in_kernel(TRAINER, code))
    assert out["report"]["code"] == 0, out["report"]
    names = {row["learner"] for row in json.loads(out["report"]["out"])}
    assert {ANN, BOB} <= names
    assert out["review"]["code"] == 0 and f"(by {TRAINER})" in out["review"]["out"], out["review"]
    assert out["retake"]["code"] == 0 and f"allowed by {TRAINER}" in out["retake"]["out"], out["retake"]
    assert out["impostor"]["code"] == 1 and f"you act as '{TRAINER}'" in out["impostor"]["err"]
    assert out["csv"]["code"] == 0 and "answer" in out["csv"]["out"], out["csv"]  # through the service: the trainer has no database
    assert out["xapi"]["code"] == 0 and "xAPI statement" in out["xapi"]["out"], out["xapi"]
    trail = json.loads(out["audit"]["out"])
    mine = [(e["actor"], e["action"], e["learner"]) for e in trail if e["action"] in ("review", "retake")]
    assert (TRAINER, "review", BOB) in mine and (TRAINER, "retake", ANN) in mine
    with store_of(hub) as store:
        assert store.reviews(written.key)[-1].reviewer == TRAINER
        assert store.retakes_allowed(ANN, FINAL) >= 1
    # and a learner's kernel cannot do the same
    refused = hub.run_in_kernel(ANN, 'import subprocess, sys\nr = subprocess.run([sys.executable, "-m", "course", "retake", "kc-ann"], capture_output=True, text=True)\nprint(r.returncode, r.stderr.strip())')
    assert refused.stdout.startswith("1 ") and "Only trainers" in refused.stdout


def test_a_learner_gives_their_role_once_and_a_trainer_changes_it_through_the_service(hub: HubProcess) -> None:
    """Issue 11: the learner endpoint (api/role) and a trainer's `course role` through the service, audited."""
    out = printed(hub.run_in_kernel(BOB, CLIENT + textwrap.dedent(
        """
        import json
        from course.client import ServiceError
        given = client.set_role("front_desk")
        try:
            client.set_role("nurse")
            refused = ""
        except ServiceError as error:
            refused = str(error)
        print(json.dumps({"given": given, "after": client.role(), "refused": refused}))
        """
    )))  # fmt: skip
    assert (out["given"], out["after"]) == ("front_desk", "front_desk")
    assert "ask your trainer to change it" in out["refused"]
    code = COMMAND + textwrap.dedent(
        f"""
        print(json.dumps({{"role": course("role", "{BOB}", "nurse"), "impostor": course("role", "{BOB}", "clinician", "--trainer", "Someone Else")}}))
        """
    )
    out = printed(hub.run_in_kernel(TRAINER, code))
    assert out["role"]["code"] == 0 and out["role"]["out"].strip() == f"{BOB}: role Nurse", out["role"]
    assert out["impostor"]["code"] == 1 and f"you act as '{TRAINER}'" in out["impostor"]["err"]
    with store_of(hub) as store:
        assert store.role(BOB) == "nurse"
        assert [(e.actor, e.after) for e in store.audit(learner=BOB, action="role")][-2:] == [(BOB, {"role": "front_desk"}), (TRAINER, {"role": "nurse"})]
    refused = hub.run_in_kernel(ANN, 'import subprocess, sys\nr = subprocess.run([sys.executable, "-m", "course", "role", "kc-bob", "clinician"], capture_output=True, text=True)\nprint(r.returncode, r.stderr.strip())')
    assert refused.stdout.startswith("1 ") and "Only trainers" in refused.stdout


def test_the_service_has_the_database_password_and_the_kernel_does_not(hub: HubProcess) -> None:
    env = printed(hub.run_in_kernel(ANN, "import json, os\nprint(json.dumps({k: v for k, v in os.environ.items() if k.startswith(('COURSE_', 'JUPYTERHUB_'))}))"))
    assert "COURSE_DB_URL" not in env and "COURSE_QUIZZES_DIR" not in env
    assert env["COURSE_SERVICE_URL"] == hub.service_url
    password = hub.deployment.service_db_url.split(":")[2].split("@")[0]
    assert password and all(password not in value for value in env.values())
    with psycopg.connect(hub.deployment.service_db_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        assert conn.execute("select count(*) from attempts").fetchone()[0] >= 0


@pytest.mark.slow
def test_fifty_learners_at_once_every_answer_stored_once_even_when_the_service_is_killed(hub: HubProcess, tmp_path) -> None:
    """50 learners answer 20 questions each through the service at the same time; the service is
    SIGKILLed part-way and the hub starts it again. Answers given meanwhile wait in each learner's
    outbox and are resent with their keys: every answer is stored exactly once."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    from course.client import ServiceClient

    learners = [f"kc-load-{n:02d}" for n in range(50)]
    created = hub.api("POST", "/users", json={"usernames": learners})
    assert created.status_code in (201, 409), created.text
    tokens = {name: hub.token_for(name, scopes=["access:services!service=course"], note="load test") for name in learners}
    per_learner = 20
    queued = {name: 0 for name in learners}

    def learner(name: str) -> None:
        client = ServiceClient(hub.service_url, tokens[name], outbox_path=tmp_path / f"{name}.jsonl", timeout=10)
        for n in range(per_learner):
            done = client.answer("welcome", "welcome-practice-retry", n % 2 == 0, key=f"{name}-{n}")
            queued[name] += done.queued
            time.sleep(0.05)
        deadline = time.monotonic() + 120
        while client.outbox.exists() and client.outbox.read_text().strip():  # the service is back: send what waits
            client.flush()
            if time.monotonic() > deadline:
                raise AssertionError(f"{name}: the outbox was not sent within 120 s")
            time.sleep(0.5)

    def stored() -> int:
        with store_of(hub) as store:
            with store.engine.connect() as conn:
                from sqlalchemy import text

                return conn.execute(text("select count(*) from attempts where learner like 'kc-load-%'")).scalar_one()

    with ThreadPoolExecutor(len(learners)) as pool:
        futures = [pool.submit(learner, name) for name in learners]
        while stored() < 300:
            time.sleep(0.1)
        old = hub.kill_service()
        restarted_after = hub.wait_for_service_restart(old, timeout=60)
        for future in futures:
            future.result()
    print(f"service restarted {restarted_after:.1f} s after SIGKILL; {sum(queued.values())} answers waited in outboxes")
    assert sum(queued.values()) > 0  # the kill did land mid-run
    with store_of(hub) as store:
        answers = [a for a in store.attempts(quiz="welcome") if a.learner.startswith("kc-load-")]
    assert len(answers) == len(learners) * per_learner
    assert len({a.key for a in answers}) == len(answers)
    counts = {name: sum(1 for a in answers if a.learner == name) for name in learners}
    assert set(counts.values()) == {per_learner}


@pytest.mark.browser
def test_a_learner_answers_in_chromium_in_their_hub_server_and_sees_feedback(hub: HubProcess, hub_browser) -> None:
    from playwright.sync_api import expect

    from .pages import server_page

    with server_page(hub_browser, hub, BOB, "voila/render/00_welcome.ipynb") as page:
        question = page.locator(".quiz-q-welcome-practice-retry")
        expect(question.locator("button.quiz-submit")).to_be_enabled(timeout=60_000)
        question.get_by_role("radio", name="False").check()
        question.locator("button.quiz-submit").click()
        expect(question.locator(".quiz-feedback")).to_contain_text("Not right", timeout=20_000)
        expect(question.locator(".quiz-feedback")).to_contain_text("Why:")
        expect(page.locator(".jp-InputArea-editor:visible, .cm-editor:visible")).to_have_count(0)  # no code on the learner's page
        assert "show_quiz(" not in page.inner_text("body")
    with store_of(hub) as store:
        mine = [a for a in store.attempts(learner=BOB) if a.question == "welcome-practice-retry"]
    assert mine and mine[-1].response is False and mine[-1].correct is False


def test_the_trainer_dashboard_in_the_trainers_own_server_works_through_the_service_and_a_learners_does_not(hub: HubProcess) -> None:
    with store_of(hub) as store:
        for name in (ANN, BOB):
            store.ensure_learner(name)
    code = textwrap.dedent(
        """
        import json
        from course import widgets
        from course.dashboard import Dashboard
        board = Dashboard()
        out = {"status": board.status.value, "reviewer": [board.reviewer.value, board.reviewer.disabled], "errors": [str(e) for e in widgets.callback_errors]}
        if not board.unavailable:
            out["learners"] = sorted(board.result.learner_summary["learner"])
            out["audit"] = board.audit.children[0].value
            who, cohort, set_cohort = board.learners.children[0].children
            who.value = "kc-bob"; cohort.value = "2026-12 front desk"; set_cohort.click()
            out["message"] = board.learners.children[-1].value  # the message line, last
        print(json.dumps(out))
        """
    )
    trainer = printed(hub.run_in_kernel(TRAINER, code))
    assert trainer["errors"] == [] and trainer["reviewer"] == [TRAINER, True]
    assert {ANN, BOB} <= set(trainer["learners"])
    assert "2026-12 front desk" in trainer["message"]
    with store_of(hub) as store:
        assert {p.name: p.cohort for p in store.learners()}[BOB] == "2026-12 front desk"
        assert store.audit(learner=BOB, action="cohort")[-1].actor == TRAINER
    learner = printed(hub.run_in_kernel(ANN, code))
    assert learner["errors"] == [] and "learners" not in learner
    assert "The dashboard cannot be shown" in learner["status"] and "Only trainers" in learner["status"]


def test_certificates_due_dates_and_revocation_through_the_service_and_the_public_verification_page(hub: HubProcess) -> None:
    """Issue 14 on the hub: the trainer issues, verifies and revokes a certificate and sets a due date
    and how long a pass is valid, each through the service and audited under the hub's name; a
    learner's kernel can do none of it; the verification page answers anyone, with no hub login."""
    import requests
    import seed  # tests/seed.py: answers through the learner's own path

    learner, cohort = "Cara Certified", "2027-01 nurses"
    course = course_of(hub)
    with store_of(hub) as store:
        store.ensure_learner(learner, cohort)
        seed._practice(store, course, learner, [b.quiz for b in course.banks.values() if b.mode == "practice"])
        seed._final(store, course, learner, miss_critical=False)
    code = COMMAND + textwrap.dedent(
        f"""
        import re
        os.makedirs(os.path.expanduser("~/certificates"), exist_ok=True)
        out = {{"certificate": course("certificate", {learner!r}, "--out", os.path.expanduser("~/certificates"))}}
        found = re.search(r"verification code ([0-9A-Z-]+)", out["certificate"]["out"])
        out["code"] = found.group(1) if found else None
        out["pdf"] = sorted(os.listdir(os.path.expanduser("~/certificates"))) if os.path.isdir(os.path.expanduser("~/certificates")) else []
        out["verify"] = course("verify", out["code"] or "none")
        out["due"] = course("due", "--set", "2027-01-31", "--cohort", {cohort!r}, "--quiz", "final_assessment")
        out["valid_for"] = course("due", "--valid-for", "24")
        out["listed"] = course("due", "--all", "--format", "csv")
        out["revoke"] = course("revoke", out["code"] or "none", "--reason", "issued by mistake (hub test)")
        out["verify_after"] = course("verify", out["code"] or "none")
        print(json.dumps(out))
        """
    )
    out = printed(hub.run_in_kernel(TRAINER, code, timeout=120))
    assert out["certificate"]["code"] == 0 and out["code"], out["certificate"]
    assert len(out["pdf"]) == 1 and out["pdf"][0].endswith(".pdf"), out["pdf"]
    assert out["verify"]["code"] == 0 and learner in out["verify"]["out"], out["verify"]
    assert out["due"]["code"] == 0 and out["valid_for"]["code"] == 0, (out["due"], out["valid_for"])
    assert any(line.startswith(learner) and "current" in line for line in out["listed"]["out"].splitlines()), out["listed"]
    assert out["revoke"]["code"] == 0, out["revoke"]
    assert out["verify_after"]["code"] != 0 and "revoked" in out["verify_after"]["out"] + out["verify_after"]["err"], out["verify_after"]
    # the trainer's course verify reads the whole record through the service: by whom and why
    assert f"by {TRAINER} (issued by mistake (hub test))" in out["verify_after"]["out"], out["verify_after"]
    with store_of(hub) as store:
        mine = {(e.actor, e.action) for e in store.audit() if e.action in ("certificate", "due_date", "setting", "revocation")}
        assert {(TRAINER, "certificate"), (TRAINER, "due_date"), (TRAINER, "setting"), (TRAINER, "revocation")} <= mine, mine
        before = len(store.audit())
    # a learner's kernel: the same commands are refused, nothing changes
    learners_try = COMMAND + textwrap.dedent(
        f"""
        print(json.dumps({{
            "certificate": course("certificate", {learner!r}, "--out", os.path.expanduser("~/mine.pdf")),
            "due": course("due", "--set", "none", "--cohort", {cohort!r}, "--quiz", "final_assessment"),
            "valid_for": course("due", "--valid-for", "0"),
            "revoke": course("revoke", {out["code"]!r}, "--reason", "not mine to revoke"),
        }}))
        """
    )
    refused = printed(hub.run_in_kernel(BOB, learners_try, timeout=120))
    for what, result in refused.items():
        assert result["code"] == 1 and "Only trainers" in result["err"], (what, result)
    with store_of(hub) as store:
        assert len(store.audit()) == before
    # the public page a certificate's QR code opens: no hub login, what the records say
    page = requests.get(f"{hub.service_proxy_url}verify", params={"code": out["code"]}, timeout=30, allow_redirects=False)
    assert page.status_code == 200, (page.status_code, page.text[:300])
    assert learner in page.text and "revoked" in page.text.lower()
    api = requests.get(f"{hub.service_proxy_url}api/verify/{out['code']}", timeout=30, allow_redirects=False)
    assert api.status_code == 200, api.text[:300]
    assert (api.json()["state"], api.json()["valid"], api.json()["certificate"]["learner"]) == ("revoked", False, learner)
    # anyone with the code learns whose it is and that it was revoked, not who revoked it or why
    for text in (page.text, api.text):
        assert TRAINER not in text and "issued by mistake" not in text, text[:600]
    assert requests.get(f"{hub.service_proxy_url}api/certificates/{out['code']}", timeout=30, allow_redirects=False).status_code in (302, 403)
