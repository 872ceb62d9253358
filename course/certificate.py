"""A one-page PDF certificate for a learner who passed the final assessment.

:func:`certificate` checks the learner's latest final-assessment sitting (scored as the progress
view scores it, :func:`course.progress.final_result`) and writes the PDF only for a pass; otherwise
it raises :class:`NotEligible` with a message a trainer can show as it is, and writes nothing.

Names in any script: fpdf2's built-in fonts are Latin-1 only, so the certificate uses a TrueType
font found on the computer (:data:`FONT_CANDIDATES`, then the DejaVu Sans that matplotlib ships),
the first that has every character to be written. When no font has them all, the missing letters
are transliterated (``ğ`` → ``g``) and the certificate says so in a note; nothing is bundled.

fpdf2 is imported only when a certificate is written (lesson kernels never load it).

Verifiable: :func:`issue` keeps each certificate in the records with a verification code
(:mod:`course.verify`) and the end of the pass's validity (:mod:`course.recert`), and prints both
on the PDF with a QR code (drawn with segno) of the verification page's address
(``COURSE_VERIFY_URL``) and the code. Anyone can check a certificate from the records with
``course verify CODE`` or on that page; the PDF itself proves nothing.
"""

from __future__ import annotations

import logging
import math
import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING

from course import __version__
from course.files import destination, replace_file
from course.progress import FinalResult, final_result
from course.records import CertificateRecord

if TYPE_CHECKING:
    from course.bank import Course
    from course.store import ResultsStore

log = logging.getLogger(__name__)

__all__ = ["COURSE_TITLE", "FONT_CANDIDATES", "NotEligible", "certificate", "eligibility", "issue", "target"]

COURSE_TITLE = "Ketamine therapy: staff training course"
"""The course's name as printed on certificates (and in xAPI exports)."""

DISCLAIMER = (
    "This certificate records the completion of a training course. It is not a clinical "
    "qualification and does not authorise the holder to prescribe, give or monitor ketamine "
    "treatment: that depends on professional registration and the clinic's own protocols."
)

FONT_CANDIDATES: tuple[tuple[str, str | None], ...] = (
    # (regular, bold): Debian/Ubuntu, Fedora, Arch, then other common families, macOS, Windows.
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf", "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/dejavu/DejaVuSans.ttf", "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/TTF/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf", "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf"),
    ("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf", "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf"),
    ("/usr/share/fonts/truetype/freefont/FreeSans.ttf", "/usr/share/fonts/truetype/freefont/FreeSansBold.ttf"),
    ("/System/Library/Fonts/Supplemental/Arial Unicode.ttf", None),
    ("/Library/Fonts/Arial Unicode.ttf", None),
    ("/System/Library/Fonts/Supplemental/Arial.ttf", "/System/Library/Fonts/Supplemental/Arial Bold.ttf"),
    ("C:/Windows/Fonts/arial.ttf", "C:/Windows/Fonts/arialbd.ttf"),
)
"""TrueType fonts tried in order; the DejaVu Sans inside matplotlib (a course dependency) comes last."""

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December")
_TRANSLITERATE = {
    "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L",
    "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th", "ı": "i", "ŋ": "ng", "Ŋ": "Ng",
    "‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "...",
}


class NotEligible(Exception):
    """The learner cannot have a certificate; ``reason`` says why, in a trainer's words."""

    def __init__(self, reason: str, result: FinalResult | None = None):
        super().__init__(reason)
        self.reason = reason
        self.result = result
        """The latest final-assessment sitting, if there is one."""


def eligibility(course: Course, store: ResultsStore, learner: str) -> FinalResult:
    """The learner's passing final-assessment sitting, or :class:`NotEligible` saying why not."""
    try:
        result = final_result(course, store, learner)
    except LookupError as exc:
        raise NotEligible(f"{exc} No certificate can be issued.") from None
    if result is None:
        raise NotEligible(f"{learner} has not taken the final assessment yet.")
    if result.irregular:
        raise NotEligible(f"The record of {learner}'s final assessment needs a trainer's check: {result.irregular}. No certificate is issued until it is resolved.", result)
    if result.passed:
        return result
    if result.awaiting_review:
        waiting = len(result.pending)
        raise NotEligible(
            f"{learner}'s final assessment is awaiting a trainer's review: {waiting} written answer{'s' if waiting != 1 else ''} "
            f"({', '.join(result.pending)}) still wait{'s' if waiting == 1 else ''} for a score (course review); "
            "a certificate needs a pass once it is scored.",
            result,
        )
    score = f"{learner} scored {_percent(result.percent)}% on the final assessment"
    below = result.percent + 1e-9 < result.pass_mark
    if below:
        score += f" (pass mark {_percent(result.pass_mark)}%)"
    missed = len(result.critical_missed)
    if missed:
        plural = "s" if missed != 1 else ""
        score += f"{' and' if below else ' but'} missed {missed} safety-critical question{plural} ({', '.join(result.critical_missed)})"
    if result.pending:
        waiting = len(result.pending)
        score += f"; {waiting} written answer{'s' if waiting != 1 else ''} still wait{'s' if waiting == 1 else ''} for a trainer's score"
    need = "a pass" if below or not missed else "a pass with every safety-critical question right"
    raise NotEligible(f"{score}; a certificate needs {need}.", result)


def issue(course: Course, store: ResultsStore, learner: str, out: Path | str, *, by: str, now: datetime | None = None) -> tuple[Path, CertificateRecord]:
    """Issue the learner's certificate: a new verification code kept in the records (with who,
    the course version, when passed and until when valid; audited as ``by``), then the PDF
    carrying the code and its QR code. Raises :class:`NotEligible` (nothing kept or written) for
    a learner who has not passed, or whose pass has expired (:mod:`course.recert`)."""
    from datetime import timezone

    from course import config
    from course.recert import policy
    from course.verify import new_code

    out = target(out, learner)
    result = eligibility(course, store, learner)
    now = now or datetime.now(timezone.utc)
    valid_until = policy(store).valid_until(result.date)
    if valid_until is not None and now >= valid_until:
        raise NotEligible(f"{learner}'s pass of {_long_date(_local_date(result.date))} expired on {_long_date(_local_date(valid_until))}; a new certificate needs a new pass (recertification: the final assessment again).", result)
    record = CertificateRecord(
        code=new_code(), learner=learner, quiz=result.quiz, submission=result.submission, percent=result.percent,
        course_version=course.version, passed_at=result.date, valid_until=valid_until, issued_at=now, issued_by=by,
    )  # fmt: skip
    store.add_certificate(record)
    path = certificate(course, store, learner, out, issued=now, code=record.code, valid_until=valid_until, verify_url=config.verify_url())
    return path, record


def certificate(
    course: Course, store: ResultsStore, learner: str, out: Path | str, *, issued: date | datetime | None = None,
    code: str | None = None, valid_until: datetime | None = None, verify_url: str | None = None,
) -> Path:  # fmt: skip
    """Write the learner's certificate as a one-page PDF and return its path.

    ``out`` is the PDF's path (ending in ``.pdf``, in a folder that exists), or an existing folder
    to write ``certificate-<name>.pdf`` in (:func:`target`; a bad one raises
    :class:`course.files.BadDestination` before anything else).
    ``issued`` is the issue date (default: today); dates are shown in this computer's time zone.
    ``code`` (kept in the records by :func:`issue`) is printed with a QR code of
    :func:`course.verify.verify_link` (``verify_url``: the verification page), and ``valid_until``
    as the end of the pass's validity. Raises :class:`NotEligible` (and writes nothing) unless the
    learner's latest sitting of the final assessment is a pass.
    """
    out = target(out, learner)
    result = eligibility(course, store, learner)
    issued_on = _local_date(issued) if issued is not None else datetime.now().astimezone().date()
    lines = _Lines(
        name=learner,
        score=f"with a score of {_percent(result.percent)}% (pass mark {_percent(result.pass_mark)}%)",
        sat=f"Final assessment passed on {_long_date(_local_date(result.date))}",
        issued=f"Certificate issued on {_long_date(issued_on)}",
        version=f"Course version {course.version} - course software {__version__}",
        record=f"Record: {result.quiz}, sitting {result.sitting}, submission {result.submission}",
        valid=f"Valid until {_long_date(_local_date(valid_until))}" if valid_until is not None else "",
        code=f"Verification code {code}" if code else "",
    )
    from course.verify import verify_link

    data = _render(lines, learner, qr=verify_link(code, verify_url) if code else None)
    return replace_file(out, data)


def target(out: Path | str, learner: str) -> Path:
    """The PDF file a certificate for ``learner`` is written to: ``out`` when it is a file name
    ending in ``.pdf`` in a folder that exists, else ``certificate-<name>.pdf`` in the folder
    ``out``, which must exist. :class:`course.files.BadDestination` otherwise (nothing written)."""
    return destination(out, folder_file=f"certificate-{_slug(learner)}.pdf", suffix=".pdf")


# --- drawing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Lines:
    name: str
    score: str
    sat: str
    issued: str
    version: str
    record: str
    valid: str = ""
    code: str = ""

    def all(self) -> list[str]:
        return [COURSE_TITLE, DISCLAIMER, "Certificate of training", "This is to certify that",
                "has passed the final assessment", "of the course", self.name, self.score, self.sat,
                self.issued, self.version, self.record, self.valid, self.code, _VERIFY_HINT]


_VERIFY_HINT = "Check it with the clinic: course verify CODE, or scan the QR code"
_QR_SIZE = 34.0  # mm


def _render(lines: _Lines, learner: str, qr: str | None = None) -> bytes:
    from fpdf import FPDF  # trainers only: a lesson kernel never gets here

    needed = set("".join(lines.all()))
    font = _choose_font(needed)
    pdf = FPDF(orientation="landscape", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(20, 15, 20)
    pdf.set_title(f"{COURSE_TITLE}: certificate")
    pdf.set_subject(f"Certificate for {learner}")
    pdf.set_creator(f"course {__version__} (fpdf2)")
    pdf.add_page()
    if font is None:
        family, covered = "helvetica", None  # Latin-1 only
    else:
        family = "CertificateSans"
        pdf.add_font(family, "", font.regular)
        pdf.add_font(family, "B", font.bold or font.regular)
        covered = font.codepoints

    transliterated = False

    def fit(text: str) -> str:
        nonlocal transliterated
        shown = _shown(text, covered)
        transliterated = transliterated or shown != text
        return shown

    width = pdf.w - pdf.l_margin - pdf.r_margin

    def line(text: str, y: float, size: float, style: str = "", grey: int = 0, shrink: bool = False) -> None:
        text = fit(text)
        pdf.set_font(family, style, size)
        while shrink and size > 10 and pdf.get_string_width(text) > width:
            size -= 1
            pdf.set_font(family, style, size)
        pdf.set_text_color(grey)
        pdf.set_xy(pdf.l_margin, y)
        pdf.cell(width, size * 0.5, text, align="C")

    pdf.set_draw_color(40, 70, 110)
    pdf.set_line_width(1.2)
    pdf.rect(8, 8, pdf.w - 16, pdf.h - 16)
    pdf.set_line_width(0.3)
    pdf.rect(11, 11, pdf.w - 22, pdf.h - 22)

    line("Certificate of training", 24, 14, grey=90)
    line(COURSE_TITLE, 36, 24, "B", shrink=True)
    line("This is to certify that", 62, 14, grey=60)
    line(lines.name, 76, 30, "B", shrink=True)
    line("has passed the final assessment", 97, 16)
    line(lines.score, 109, 14)
    line(lines.sat, 124, 12, grey=40)
    if lines.valid:
        line(lines.valid, 131, 12, "B", grey=20)
    line(lines.issued, 138, 12, grey=40)
    line(lines.version, 148, 10, grey=90)
    line(lines.record, 154, 8, grey=120)
    if lines.code:
        line(lines.code, 161, 11, "B", grey=20)
        line(_VERIFY_HINT, 167, 8, grey=90)

    pdf.set_font(family, "", 9)
    pdf.set_text_color(70)
    inset = _QR_SIZE + 8 if qr else 15  # the disclaimer stays clear of the QR code, centred
    pdf.set_xy(pdf.l_margin + inset, 175)
    pdf.multi_cell(width - 2 * inset, 4.5, fit(DISCLAIMER), align="C")
    if qr:
        _draw_qr(pdf, qr, x=pdf.w - 14 - _QR_SIZE - 2, y=pdf.h - 14 - _QR_SIZE - 2, size=_QR_SIZE)
    if transliterated:
        log.warning("no font on this computer has every letter of %r; some are shown without accents", learner)
        pdf.set_font(family, "", 7)
        pdf.set_xy(pdf.l_margin, pdf.h - 20)
        pdf.cell(width, 4, "Note: some letters are shown without their accents, because no font on the computer that made this certificate has them.", align="C")
    assert pdf.page_no() == 1
    return bytes(pdf.output())


def _draw_qr(pdf: object, data: str, *, x: float, y: float, size: float) -> None:
    """A QR code (error correction M, segno) drawn as filled squares: sharp at any zoom, no image."""
    import segno

    code = segno.make_qr(data, error="m")
    rows = list(code.matrix_iter(scale=1, border=2))
    module = size / len(rows)
    pdf.set_fill_color(255)  # type: ignore[attr-defined]
    pdf.rect(x, y, size, size, style="F")  # type: ignore[attr-defined]
    pdf.set_fill_color(0)  # type: ignore[attr-defined]
    for r, row in enumerate(rows):
        c = 0
        while c < len(row):  # one rectangle per run of dark modules
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            pdf.rect(x + start * module, y + r * module, (c - start) * module, module, style="F")  # type: ignore[attr-defined]


@dataclass(frozen=True)
class _Font:
    regular: str
    bold: str | None
    codepoints: frozenset[int]


def _font_files() -> list[tuple[str, str | None]]:
    """Candidate (regular, bold) TrueType files that exist, in order of preference."""
    found = [(r, b if b and os.path.isfile(b) else None) for r, b in FONT_CANDIDATES if os.path.isfile(r)]
    spec = find_spec("matplotlib")
    if spec and spec.submodule_search_locations:
        ttf = Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"
        regular, bold = ttf / "DejaVuSans.ttf", ttf / "DejaVuSans-Bold.ttf"
        if regular.is_file():
            found.append((str(regular), str(bold) if bold.is_file() else None))
    return found


@lru_cache(maxsize=None)
def _codepoints(path: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont  # an fpdf2 dependency

    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap() or ())


def _choose_font(needed: set[str]) -> _Font | None:
    """The first candidate font with every needed character, else the one with the most; None if none is usable."""
    wanted = {ord(c) for c in needed if not c.isspace()}
    best: _Font | None = None
    for regular, bold in _font_files():
        try:
            points = _codepoints(regular)
        except Exception:  # noqa: BLE001 - an unreadable font file is skipped, not fatal
            log.info("font %s cannot be read; trying the next", regular, exc_info=True)
            continue
        if bold is not None:
            try:
                points = points & _codepoints(bold)
            except Exception:  # noqa: BLE001
                bold = None
        font = _Font(regular, bold, points)
        if wanted <= points:
            return font
        if best is None or len(wanted & points) > len(wanted & best.codepoints):
            best = font
    return best


def _shown(text: str, covered: frozenset[int] | None) -> str:
    """``text`` with every character the font lacks transliterated (``covered`` None: Latin-1 core font)."""

    def has(c: str) -> bool:
        return c.isspace() or (ord(c) < 256 if covered is None else ord(c) in covered)

    out = []
    for c in text:
        if has(c):
            out.append(c)
            continue
        plain = _TRANSLITERATE.get(c) or "".join(d for d in unicodedata.normalize("NFKD", c) if not unicodedata.combining(d))
        out.append(plain if plain and all(has(d) for d in plain) else "?")
    return "".join(out)


# --- words and dates --------------------------------------------------------------------------


def _percent(value: float) -> str:
    """A percent for people: ``80``, ``86.6`` (never rounded up, so a fail never reads as the pass mark)."""
    shown = math.floor(value * 10 + 1e-6) / 10
    return f"{shown:.1f}".removesuffix(".0")


def _local_date(moment: date | datetime) -> date:
    """The calendar date here (this computer's time zone); a naive datetime is taken as local."""
    if isinstance(moment, datetime):
        return moment.astimezone().date() if moment.tzinfo else moment.date()
    return moment


def _long_date(day: date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _slug(name: str) -> str:
    plain = "".join(_TRANSLITERATE.get(c, c) for c in name)
    plain = unicodedata.normalize("NFKD", plain).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", plain).strip("-").lower() or "learner"
