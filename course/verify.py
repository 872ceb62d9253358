"""Verification codes: a certificate is checked against the records, never against the PDF.

Each certificate the course issues gets a code of 140 random bits (:func:`new_code`), written as
28 characters of Crockford's base32 in seven groups of four (``7F3K-Q9ZD-...``): no I, L, O or U,
so it can be read aloud and typed; when typed, case, spaces and dashes do not matter and O, I and
L are read as 0, 1 and 1. The code, who it is for, the course version, when the final assessment
was passed and until when the pass is valid are kept in the results database (``certificates``);
a trainer's revocation, with its reason, in ``revocations``.

:func:`verify` answers a code from the records alone: valid, expired, revoked (with the reason) or
no such certificate; anyone holding the code (the public page) learns only :data:`PUBLIC_FIELDS`.
A PDF whose name or dates were edited still carries a code whose record says otherwise;
:func:`check_pdf` compares a PDF's text with the record (``course verify CODE --pdf``).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from course.records import CertificateRecord

if TYPE_CHECKING:
    from course.store import ResultsStore

__all__ = ["ALPHABET", "PUBLIC_FIELDS", "Verification", "new_code", "normalise", "verify", "check_pdf", "verify_link"]

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base32: digits and capitals without I, L, O and U."""
_LENGTH = 28  # 140 bits
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    """A new verification code: 140 bits from the operating system's random source, grouped for reading."""
    number = secrets.randbits(5 * _LENGTH)
    chars = "".join(ALPHABET[(number >> (5 * i)) & 31] for i in range(_LENGTH))
    return _grouped(chars)


def _grouped(chars: str) -> str:
    return "-".join(chars[i : i + 4] for i in range(0, len(chars), 4))


def normalise(code: str) -> str:
    """The code in its written form; ValueError if it cannot be one (wrong length or characters)."""
    plain = re.sub(r"[\s\-]", "", str(code)).upper().translate(_READ_AS)
    if len(plain) != _LENGTH or any(c not in ALPHABET for c in plain):
        shown = str(code) if len(str(code)) <= 40 else str(code)[:39] + "…"
        raise ValueError(f"{shown!r} is not a certificate code (28 letters and digits, in groups of four: XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX)")
    return _grouped(plain)


@dataclass(frozen=True)
class Verification:
    """What the records say about a code."""

    code: str
    state: str
    """``valid``, ``expired``, ``revoked`` or ``unknown`` (no such certificate)."""
    record: CertificateRecord | None

    @property
    def valid(self) -> bool:
        return self.state == "valid"

    def lines(self, *, public: bool = False) -> list[tuple[str, str]]:
        """The answer as (label, value) pairs, for a terminal or a page.

        ``public``: what anyone holding the code is told (the verification page): no staff names
        and no reason for a revocation, only its date (see :data:`PUBLIC_FIELDS`).
        """
        from course.certificate import _long_date, _local_date

        r = self.record
        if r is None:
            return [("Code", self.code), ("Result", "no such certificate: this code was never issued by this course")]
        revoked = f"revoked on {_long_date(_local_date(r.revoked_at))}" if r.revoked_at else "revoked"
        result = {
            "valid": "valid",
            "expired": f"expired on {_long_date(_local_date(r.valid_until))}" if r.valid_until else "expired",
            "revoked": revoked if public else f"{revoked} by {r.revoked_by} ({r.revoked_reason})",
        }[self.state]
        issued = _long_date(_local_date(r.issued_at))
        return [
            ("Code", r.code),
            ("Result", result),
            ("Name", r.learner),
            ("Passed", _long_date(_local_date(r.passed_at))),
            ("Valid until", _long_date(_local_date(r.valid_until)) if r.valid_until else "does not expire"),
            ("Course version", r.course_version),
            ("Issued", issued if public else f"{issued} by {r.issued_by}"),
        ]


def verify(store: ResultsStore, code: str, *, now: datetime | None = None) -> Verification:
    """What the records say about ``code`` at ``now`` (default: the present). ValueError for text that cannot be a code."""
    code = normalise(code)
    now = now or datetime.now(timezone.utc)
    record = store.certificate(code)
    if record is None:
        return Verification(code, "unknown", None)
    if record.revoked_at is not None:
        return Verification(code, "revoked", record)
    if record.valid_until is not None and now >= record.valid_until:
        return Verification(code, "expired", record)
    return Verification(code, "valid", record)


def check_pdf(path: Path | str, verification: Verification) -> list[str]:
    """How a certificate PDF differs from the record of the code it carries (empty: it agrees).

    Needs pypdf (the course's test extra). OSError or ValueError for a file that is not a readable PDF.
    """
    from course.certificate import _long_date, _local_date

    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError:
        raise ValueError("reading a PDF needs pypdf (pip install pypdf); without --pdf the code is checked against the records") from None
    try:
        reader = PdfReader(str(path))
        text = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
    except PdfReadError as error:
        raise ValueError(f"{path}: not a readable PDF ({error})") from None
    r = verification.record
    if r is None:
        return ["the code is not in the records"]
    problems = []
    if r.code not in text:
        problems.append(f"the PDF does not carry the code {r.code}")
    if " ".join(r.learner.split()) not in text:
        problems.append(f"the name on the PDF is not {r.learner!r}, the name the records hold for this code")
    passed = f"passed on {_long_date(_local_date(r.passed_at))}"
    if passed not in text:
        problems.append(f"the PDF does not say 'Final assessment {passed}' as the records do")
    if r.valid_until is not None and f"Valid until {_long_date(_local_date(r.valid_until))}" not in text:
        problems.append(f"the PDF does not say 'Valid until {_long_date(_local_date(r.valid_until))}' as the records do")
    return problems


def verify_link(code: str, base: str | None) -> str:
    """What the certificate's QR code holds: the verification page's address with the code, or the code alone."""
    if not base:
        return code
    return f"{base.rstrip('/')}?code={code}"


PUBLIC_FIELDS = ("code", "learner", "quiz", "course_version", "passed_at", "valid_until", "issued_at", "revoked_at")
"""What anyone holding a certificate's code may learn of its record (the public page and
``api/verify/<code>``): whose it is, for what, when passed, until when valid, whether revoked. Not
who issued or revoked it, why, the score or the sitting: those are for trainers (``course verify``)."""


def verification_to_json(v: Verification, *, public: bool = False) -> dict[str, object]:
    """A verification as JSON: the full record for a trainer, only :data:`PUBLIC_FIELDS` if ``public``."""
    r = v.record
    record = None
    if r is not None:
        record = {
            "code": r.code, "learner": r.learner, "quiz": r.quiz, "submission": r.submission, "percent": r.percent,
            "course_version": r.course_version, "passed_at": r.passed_at.isoformat(),
            "valid_until": None if r.valid_until is None else r.valid_until.isoformat(),
            "issued_at": r.issued_at.isoformat(), "issued_by": r.issued_by,
            "revoked_at": None if r.revoked_at is None else r.revoked_at.isoformat(), "revoked_by": r.revoked_by, "revoked_reason": r.revoked_reason,
        }  # fmt: skip
        if public:
            record = {name: record[name] for name in PUBLIC_FIELDS}
    return {"code": v.code, "state": v.state, "valid": v.valid, "certificate": record}


def verification_from_json(data: dict[str, object]) -> Verification:
    """The inverse of :func:`verification_to_json`; ValueError for anything else."""
    try:
        raw = data["certificate"]
        record = None
        if raw is not None:
            when = {k: None if raw[k] is None else datetime.fromisoformat(raw[k]) for k in ("passed_at", "valid_until", "issued_at", "revoked_at")}  # type: ignore[index]
            record = CertificateRecord(**{**raw, **when})  # type: ignore[arg-type]
        return Verification(str(data["code"]), str(data["state"]), record)
    except (KeyError, TypeError) as error:
        raise ValueError(f"not a verification: {error}") from error


_PAGE_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f4f6f9;color:#1d2733}
main{max-width:40rem;margin:0 auto;padding:1.25rem}
h1{font-size:1.35rem;margin:.2rem 0 1rem}
form{display:flex;flex-wrap:wrap;gap:.5rem;margin-bottom:1.25rem}
label{width:100%;font-weight:600}
input{flex:1 1 16rem;min-width:0;font:inherit;font-family:ui-monospace,monospace;padding:.55rem;border:1px solid #8a96a3;border-radius:.3rem}
button{font:inherit;padding:.55rem 1.1rem;border:0;border-radius:.3rem;background:#28466e;color:#fff}
.answer{border-radius:.4rem;padding:1rem;border:2px solid}
.valid{background:#e8f5ec;border-color:#2e7d4f}.invalid{background:#fdecea;border-color:#b3261e}
.verdict{font-size:1.15rem;font-weight:700;margin:0 0 .6rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem .9rem;margin:0}
dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}
p.note{font-size:.85rem;color:#4a5663}
@media (max-width:30rem){dl{grid-template-columns:1fr}dd{margin-bottom:.4rem}}
"""


def page(code: str, answer: Verification | None, problem: str | None = None) -> str:
    """The verification page: a form for a code and, when one was given, what the records say (all text escaped)."""
    from html import escape

    from course.certificate import COURSE_TITLE

    body = ""
    if problem:
        body = f'<div class="answer invalid" role="alert"><p class="verdict">Not a certificate code</p><p>{escape(problem)}</p></div>'
    elif answer is not None:
        valid = answer.valid
        verdict = "Valid certificate" if valid else {"unknown": "No such certificate", "revoked": "Revoked: not valid", "expired": "Expired: not valid"}[answer.state]
        rows = "".join(f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>" for label, value in answer.lines(public=True))
        body = f'<div class="answer {"valid" if valid else "invalid"}" role="status"><p class="verdict">{escape(verdict)}</p><dl>{rows}</dl></div>'
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">'
        f'<meta name="robots" content="noindex"><title>Verify a certificate: {escape(COURSE_TITLE)}</title><style>{_PAGE_STYLE}</style></head>'
        f'<body><main><h1>Verify a certificate</h1><p>{escape(COURSE_TITLE)}</p>'
        '<form method="get" action=""><label for="code">Verification code (on the certificate, under the name and dates)</label>'
        f'<input id="code" name="code" value="{escape(code)}" autocomplete="off" spellcheck="false" placeholder="XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX" maxlength="80">'
        '<button type="submit">Verify</button></form>'
        f"{body}"
        '<p class="note">The answer comes from the clinic\'s training records, not from the certificate: a certificate whose '
        "name or dates differ from what is shown here has been altered.</p></main></body></html>"
    )
