"""Verifiable certificates (course.verify): each certificate issued gets an unguessable code kept in
the records; `course verify CODE` answers from the records alone (valid, expired, revoked with the
reason, no such certificate); an edited PDF or a made-up code does not verify; `course revoke`;
the course service's public verification page and JSON.
"""

from __future__ import annotations

import json
import re
import threading
from datetime import datetime, timedelta, timezone

import pytest
from pypdf import PdfReader

from course import verify as V
from course.bank import load_course
from course.certificate import NotEligible, issue
from course.cli import main
from sample_banks import FINAL, RIGHT
from seed import sit

PASSED = datetime(2026, 3, 15, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def course(tmp_path):
    folder = tmp_path / "quizzes"
    folder.mkdir()
    (folder / "final.yaml").write_text(FINAL, encoding="utf-8")
    return load_course(folder)


@pytest.fixture
def records(store):
    """The results store (tests/conftest.py's ``store``) that the records are kept in."""
    return store


@pytest.fixture
def issued(course, records, tmp_path):
    sit(records, course, "Ann Nurse", "final", RIGHT, when=PASSED)
    path, record = issue(course, records, "Ann Nurse", tmp_path / "ann.pdf", by="Tess Trainer", now=PASSED + timedelta(days=1))
    return path, record


def test_codes_are_128_bits_or_more_readable_and_forgiving_to_type():
    codes = {V.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in list(codes)[:50]:
        assert re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{4}-){6}[0-9A-HJKMNP-TV-Z]{4}", code)
        assert V.normalise(code.lower().replace("-", " ")) == code
    assert 28 * 5 >= 128
    assert V.normalise("oooo-iiii-llll-0000-1111-2222-3333") == "0000-1111-1111-0000-1111-2222-3333"
    for bad in ("", "ABCD", "UUUU-UUUU-UUUU-UUUU-UUUU-UUUU-UUUU", "x" * 500, "ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-2345-6"):
        with pytest.raises(ValueError, match="is not a certificate code"):
            V.normalise(bad)


def test_a_certificate_verifies_from_the_records_without_the_pdf(course, records, issued):
    path, record = issued
    path.unlink()  # no PDF needed
    answer = V.verify(records, record.code.lower(), now=PASSED + timedelta(days=30))
    assert answer.valid and answer.record.learner == "Ann Nurse"
    assert (answer.record.passed_at, answer.record.valid_until) == (PASSED, datetime(2027, 3, 15, 9, 0, tzinfo=timezone.utc))
    assert answer.record.course_version == course.version and answer.record.issued_by == "Tess Trainer"
    lines = dict(answer.lines())
    assert lines["Result"] == "valid" and lines["Valid until"] == "15 March 2027" and lines["Name"] == "Ann Nurse"
    later = V.verify(records, record.code, now=datetime(2027, 3, 16, tzinfo=timezone.utc))
    assert later.state == "expired" and not later.valid and dict(later.lines())["Result"] == "expired on 15 March 2027"
    assert V.verify(records, V.new_code()).state == "unknown"
    entry = records.audit(action="certificate")[-1]
    assert entry.after["code"] == record.code and entry.actor == "Tess Trainer"


def test_the_pdf_carries_the_code_and_the_dates_and_agrees_with_the_records(records, issued):
    path, record = issued
    text = " ".join(PdfReader(path).pages[0].extract_text().split())
    assert f"Verification code {record.code}" in text and "Valid until 15 March 2027" in text
    assert "Final assessment passed on 15 March 2026" in text
    assert V.check_pdf(path, V.verify(records, record.code, now=PASSED + timedelta(days=2))) == []


def test_a_forged_pdf_with_a_real_code_does_not_verify(course, records, issued, tmp_path):
    """A PDF made for someone else (another name, other dates) that carries a real certificate's code."""
    from course.certificate import certificate

    path, record = issued
    sit(records, course, "Eve Forger", "final", RIGHT, when=datetime(2026, 9, 1, 9, 0, tzinfo=timezone.utc))
    forged = certificate(course, records, "Eve Forger", tmp_path / "forged.pdf", code=record.code, valid_until=datetime(2028, 9, 1, tzinfo=timezone.utc))
    answer = V.verify(records, record.code, now=PASSED + timedelta(days=2))
    assert answer.valid  # the code is real ...
    problems = V.check_pdf(forged, answer)  # ... but the PDF is not the one it was issued for
    assert any("name on the PDF is not 'Ann Nurse'" in p for p in problems)
    assert any("passed on 15 March 2026" in p for p in problems) and any("Valid until 15 March 2027" in p for p in problems)
    assert records.certificates("Eve Forger") == []  # nothing was issued to her


def test_revoked_certificates_say_why_and_are_kept(records, issued):
    _, record = issued
    revoked = records.revoke_certificate(record.code, reason="issued to the wrong person", by="Tess Trainer")
    assert (revoked.revoked_reason, revoked.revoked_by) == ("issued to the wrong person", "Tess Trainer")
    answer = V.verify(records, record.code, now=PASSED + timedelta(days=2))
    result = dict(answer.lines())["Result"]
    assert answer.state == "revoked" and result.startswith("revoked on ") and result.endswith(" by Tess Trainer (issued to the wrong person)")
    # anyone holding the code (the public page and api/verify) learns that it was revoked and when: not by whom or why
    public = dict(answer.lines(public=True))
    assert public["Result"] == result.removesuffix(" by Tess Trainer (issued to the wrong person)") and public["Name"] == "Ann Nurse"
    shown = json.dumps(V.verification_to_json(answer, public=True)) + V.page(record.code, answer)
    assert "Ann Nurse" in shown and "revoked on" in shown
    for private in ("Tess Trainer", "wrong person", record.submission, "percent", "issued_by"):
        assert private not in shown, private
    assert sorted(V.verification_to_json(answer, public=True)["certificate"]) == sorted(V.PUBLIC_FIELDS)
    assert V.verification_from_json(V.verification_to_json(answer)) == answer  # a trainer's: the whole record
    with pytest.raises(Exception, match="revoked already"):
        records.revoke_certificate(record.code, reason="again", by="Tess Trainer")
    assert [c.code for c in records.certificates("Ann Nurse")] == [record.code]
    (entry,) = records.audit(action="revocation")
    assert (entry.subject, entry.after) == (record.code, {"revoked": True, "reason": "issued to the wrong person"})


def test_an_expired_pass_gets_no_new_certificate(course, records, tmp_path):
    sit(records, course, "Ann Nurse", "final", RIGHT, when=PASSED)
    with pytest.raises(NotEligible, match="expired on 15 March 2027"):
        issue(course, records, "Ann Nurse", tmp_path / "late.pdf", by="T", now=datetime(2027, 4, 1, tzinfo=timezone.utc))
    assert not (tmp_path / "late.pdf").exists() and records.certificates() == []


# --- the command line ----------------------------------------------------------------------------


def test_course_verify_and_revoke(course, records, issued, tmp_path, capsys):
    path, record = issued
    db = ["--db", records.url]
    assert main(["verify", record.code, "--at", "2026-04-01", *db]) == 0
    out = capsys.readouterr().out
    assert "Result:         valid" in out and "Name:           Ann Nurse" in out and "Valid until:    15 March 2027" in out
    assert main(["verify", record.code, "--at", "2026-04-01", "--pdf", str(path), *db]) == 0
    assert "PDF:            agrees with the records" in capsys.readouterr().out

    made_up = V.new_code()
    assert main(["verify", made_up, *db]) == 1
    captured = capsys.readouterr()
    assert "no such certificate" in captured.out and f"course verify: {made_up}: not valid (no such certificate)" in captured.err
    assert main(["verify", "not-a-code", *db]) == 1
    assert capsys.readouterr().err.startswith("course verify: 'not-a-code' is not a certificate code")
    assert main(["verify", record.code, "--at", "2027-06-01", *db]) == 1
    assert "expired on 15 March 2027" in capsys.readouterr().out

    assert main(["revoke", record.code, "--reason", "", "--trainer", "Tess", *db]) == 1
    assert "--reason must say why" in capsys.readouterr().err
    assert main(["revoke", made_up, "--reason", "typo", "--trainer", "Tess", *db]) == 1
    assert "There is no certificate with code" in capsys.readouterr().err
    assert main(["revoke", record.code, "--reason", "record corrected", "--trainer", "Tess", *db]) == 0
    assert f"revoked {record.code} (Ann Nurse): record corrected (by Tess)" in capsys.readouterr().out
    assert main(["verify", record.code, "--at", "2026-04-01", *db]) == 1
    assert "by Tess (record corrected)" in capsys.readouterr().out


# --- the course service's public page ---------------------------------------------------------------


def run_in_own_thread(case_class: type) -> None:
    """Run a tornado test case in a thread of its own: its event loop must not meet another one
    running in the test's thread (the session's Chromium, driven by Playwright's sync API)."""
    errors: list[BaseException] = []

    def target() -> None:
        case = case_class()
        case.setUp()
        try:
            case.runTest()
        except BaseException as error:  # re-raised in the test's thread below
            errors.append(error)
        finally:
            case.tearDown()

    worker = threading.Thread(target=target, name="tornado-test")
    worker.start()
    worker.join(timeout=120)
    assert not worker.is_alive(), "the service test did not finish within 2 minutes"
    if errors:
        raise errors[0]


def test_the_service_answers_a_code_without_a_token(course, records, issued, tmp_path):
    from tornado.testing import AsyncHTTPTestCase

    from course.service.app import Service, ServiceSettings, make_app

    _, record = issued
    settings = ServiceSettings(
        url="http://127.0.0.1:10101", prefix="/services/course/", api_url="http://127.0.0.1:9/hub/api", api_token="x",
        db_url=records.url, quizzes=tmp_path / "quizzes", data_dir=tmp_path / "svc", secret=b"s",
    )  # fmt: skip
    service = Service(settings, store=records)
    results: dict[str, object] = {}

    class Case(AsyncHTTPTestCase):
        def get_app(self):
            return make_app(service)

        def runTest(self):
            ok = self.fetch(f"/services/course/api/verify/{record.code}")
            results["json"] = (ok.code, json.loads(ok.body), dict(ok.headers))
            results["bad"] = self.fetch("/services/course/api/verify/nope").code
            page = self.fetch(f"/services/course/verify?code={record.code}")
            results["page"] = (page.code, page.body.decode(), dict(page.headers))
            results["unknown"] = self.fetch(f"/services/course/verify?code={V.new_code()}").body.decode()
            results["hostile"] = self.fetch("/services/course/verify?code=%3Cscript%3Ealert(1)%3C/script%3E").body.decode()
            results["trainer_only"] = self.fetch("/services/course/api/revocations", method="POST", body="{}").code

    try:
        run_in_own_thread(Case)
    finally:
        service.pool.shutdown(wait=True)
    status, body, headers = results["json"]
    assert status == 200 and body["state"] == "valid" and body["certificate"]["learner"] == "Ann Nurse"
    assert headers["Cache-Control"] == "no-store" and headers["Referrer-Policy"] == "no-referrer"
    assert results["bad"] == 400
    status, html, headers = results["page"]
    assert status == 200 and "Valid certificate" in html and "Ann Nurse" in html and "15 March 2027" in html
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert "No such certificate" in results["unknown"]
    assert "<script>" not in results["hostile"] and "&lt;script&gt;" in results["hostile"]
    assert results["trainer_only"] == 403  # revoking needs a trainer's token


def test_the_services_trainer_endpoints_for_due_dates_settings_revocations_and_xapi(course, records, issued, tmp_path):
    """The handlers, with the hub's answer about the token stubbed (the hub itself runs in tests/hub)."""
    from tornado.testing import AsyncHTTPTestCase

    from course.service.app import Service, ServiceSettings, make_app

    _, record = issued
    records.ensure_learner("Ann Nurse", "nurses")
    settings = ServiceSettings(
        url="http://127.0.0.1:10101", prefix="/services/course/", api_url="http://127.0.0.1:9/hub/api", api_token="x",
        db_url=records.url, quizzes=tmp_path / "quizzes", data_dir=tmp_path / "svc", secret=b"s",
    )  # fmt: skip
    service = Service(settings, store=records)

    async def get_user(handler, sync=False):
        token = handler.request.headers.get("Authorization", "")
        name = {"token tess": "Tess Trainer", "token ann": "Ann Nurse"}.get(token)
        return None if name is None else {"kind": "user", "name": name, "scopes": ["access:services!service=course"]}

    async def trainers():
        return frozenset({"Tess Trainer"})

    service.hub_auth.get_user = get_user
    service.trainers = trainers
    results: dict[str, object] = {}

    class Case(AsyncHTTPTestCase):
        def get_app(self):
            return make_app(service)

        def call(self, method, path, body=None, who="tess"):
            response = self.fetch(f"/services/course/api/{path}", method=method, body=None if body is None else json.dumps(body), headers={"Authorization": f"token {who}"})
            return response.code, json.loads(response.body or b"null")

        def runTest(self):
            results["due"] = self.call("POST", "due-dates", {"cohort": "nurses", "quiz": "final", "due": "2026-12-31T23:59:00+00:00"})
            results["bad_due"] = self.call("POST", "due-dates", {"cohort": "nurses", "quiz": "final", "due": "soon"})
            results["setting"] = self.call("POST", "settings", {"name": "valid_months", "value": 24})
            results["bad_setting"] = self.call("POST", "settings", {"name": "valid_months", "value": -1})
            results["learner"] = self.call("POST", "settings", {"name": "valid_months", "value": 1}, who="ann")
            results["table"] = self.call("GET", "report/due")
            results["xapi"] = self.call("GET", "xapi?actor=hash")
            results["revoke"] = self.call("POST", "revocations", {"code": record.code, "reason": "wrong person"})
            results["record"] = self.call("GET", f"certificates/{record.code}")
            results["record_learner"] = self.call("GET", f"certificates/{record.code}", who="ann")
            results["public"] = self.call("GET", f"verify/{record.code}", who="nobody")
            page = self.fetch(f"/services/course/verify?code={record.code}")
            results["page"] = (page.code, page.body.decode())

    try:
        run_in_own_thread(Case)
    finally:
        service.pool.shutdown(wait=True)
    assert results["due"][0] == 200 and results["due"][1]["by"] == "Tess Trainer"
    assert [(d.cohort, d.quiz, d.set_by) for d in records.due_dates()] == [("nurses", "final", "Tess Trainer")]
    assert results["bad_due"][0] == 400
    assert results["setting"][0] == 200 and records.settings()["valid_months"] == 24
    assert results["bad_setting"][0] == 400 and "valid_months must be a whole number" in results["bad_setting"][1]["message"]
    assert results["learner"][0] == 403 and records.settings()["valid_months"] == 24
    status, table = results["table"]
    assert status == 200 and {row["learner"]: row["training_status"] for row in table["data"]} == {"Ann Nurse": "current"}
    status, statements = results["xapi"]
    assert status == 200 and statements and all("name" not in s["actor"] for s in statements)
    assert results["revoke"][0] == 200 and V.verify(records, record.code).state == "revoked"
    assert [e.actor for e in records.audit(action="revocation")] == ["Tess Trainer"]
    # a trainer reads the whole record (course verify); anyone with the code, only what is public
    status, full = results["record"]
    assert status == 200 and (full["certificate"]["revoked_by"], full["certificate"]["revoked_reason"]) == ("Tess Trainer", "wrong person")
    assert results["record_learner"][0] == 403
    status, public = results["public"]
    assert status == 200 and public["state"] == "revoked" and public["certificate"]["learner"] == "Ann Nurse"
    assert sorted(public["certificate"]) == sorted(V.PUBLIC_FIELDS) and "Tess" not in json.dumps(public)
    status, html = results["page"]
    assert status == 200 and "Ann Nurse" in html and "Revoked" in html and "Tess" not in html and "wrong person" not in html


def test_the_qr_code_on_the_pdf_opens_the_verification_page(course, records, tmp_path, monkeypatch):
    """Read back from a rendering of the page by poppler's pdftoppm and zbar's zbarimg (installed by
    apt-get when missing and running as root; else skipped with how to, failed when CI=true)."""
    import shutil
    import subprocess

    import ci
    import debian

    tools = lambda: shutil.which("pdftoppm") and shutil.which("zbarimg")
    if not tools():
        report = debian.install("poppler-utils", "zbar-tools")
        if not tools():
            message = f"pdftoppm and zbarimg are needed to read the QR code back ({report}): apt-get install poppler-utils zbar-tools"
            ci.unavailable(message, f"{message} (CI=true: every test must run)")
    monkeypatch.setenv("COURSE_VERIFY_URL", "https://hub.clinic.example/services/course/verify")
    sit(records, course, "Ann Nurse", "final", RIGHT, when=PASSED)
    path, record = issue(course, records, "Ann Nurse", tmp_path / "ann.pdf", by="T", now=PASSED + timedelta(days=1))
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(path), str(tmp_path / "page")], check=True)
    (image,) = tmp_path.glob("page*.png")
    read = subprocess.run(["zbarimg", "-q", "--raw", str(image)], capture_output=True, text=True, check=True).stdout.strip()
    assert read == f"https://hub.clinic.example/services/course/verify?code={record.code}"
