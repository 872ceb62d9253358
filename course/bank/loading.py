"""Loading banks: one bank file checked and loaded (:func:`check_bank`, :func:`load_bank`), the
bank files of a folder (:func:`bank_files`), the course's banks checked together
(:func:`check_course`: ids across files, assessments' draws) and loaded as a :class:`Course`
(:func:`load_course`)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from pydantic import ValidationError

from course import config
from course.bank.lessons import LESSON_LEVEL, lesson_headings, section_roles
from course.bank.models import _IDENT_PATTERN, QUESTION_TYPES, Bank, Question, _Header, _question_adapter
from course.bank.problems import BANK_LEVEL, BankError, Problem, _display, _field_name
from course.bank.rules import _NUMERIC_KEY, _rule_problems
from course.bank.wording import _message
from course.bank.yaml_positions import _duplicate_keys, _find_line, _line_of, _parse_yaml, _yaml_error


# --- loading ----------------------------------------------------------------------------------


def check_bank(path: Path, *, notebooks: Path | None = None, roles_from: Path | None = None) -> tuple[Bank | None, list[Problem]]:
    """Load one bank file; return the bank (None if it has problems) and every problem found.

    When ``notebooks`` is given, the bank's lesson must exist there, every question's
    ``section`` must be a ``##`` heading of that lesson, and the lesson's section roles
    (:func:`section_roles`) must be sound. Without it, the section roles are read, leniently, from
    the lesson in ``roles_from`` when it is there (else every section is for every role).
    """
    import yaml

    path = Path(path)
    name = _display(path)
    problems: list[Problem] = []

    def problem(question: str, field: str, message: str, line: int | None = None) -> None:
        problems.append(Problem(name, question, field, message, line))

    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except OSError as exc:
        problem(BANK_LEVEL, "file", f"cannot be read ({exc.strerror or exc})")
        return None, problems
    except UnicodeDecodeError:
        problem(BANK_LEVEL, "file", "is not UTF-8 text")
        return None, problems

    try:
        root, data = _parse_yaml(text)
    except yaml.MarkedYAMLError as exc:
        line, message = _yaml_error(exc, text)
        problem(BANK_LEVEL, "yaml", message, line)
        return None, problems
    except yaml.YAMLError as exc:
        problem(BANK_LEVEL, "yaml", f"invalid YAML: {exc}")
        return None, problems

    if not isinstance(data, dict):
        problem(BANK_LEVEL, "file", "must be a mapping with quiz, title, lesson, mode and questions", 1)
        return None, problems

    for trail, key, line in _duplicate_keys(root):
        qid = BANK_LEVEL
        if len(trail) >= 2 and trail[0] == "questions" and isinstance(trail[1], int):
            qdata = (data.get("questions") or [None] * (trail[1] + 1))[trail[1]]
            qid = _question_label(qdata, trail[1])
            trail = trail[2:]
        problem(qid, _field_name(trail + (key,)), "is written twice in the same place (the second would silently win)", line)

    header: _Header | None = None
    try:
        header = _Header.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            if loc and loc[0] == "questions" and len(loc) > 1:
                continue  # questions are validated one by one below
            problem(BANK_LEVEL, _field_name(loc), _message(err), _line_of(root, loc))

    raw_questions = data.get("questions")
    if not isinstance(raw_questions, list):
        raw_questions = []
    if header and header.mode == "assessment" and header.pass_mark is None:
        problem(BANK_LEVEL, "pass_mark", "an assessment needs a pass mark (percent, e.g. 80)", _line_of(root, ("mode",)))
    if header and header.draw is not None:
        d = header.draw
        if header.quiz in d.banks:
            problem(BANK_LEVEL, "draw.banks", "an assessment cannot draw from itself", _line_of(root, ("draw", "banks")))
        if d.min_per_bank * len(set(d.banks)) > d.count:
            problem(BANK_LEVEL, "draw.min_per_bank", f"{d.min_per_bank} from each of {len(set(d.banks))} banks is more than count ({d.count})", _line_of(root, ("draw", "min_per_bank")))
        if d.min_critical > d.count:
            problem(BANK_LEVEL, "draw.min_critical", f"{d.min_critical} critical questions is more than count ({d.count})", _line_of(root, ("draw", "min_critical")))
    if header and not raw_questions and header.draw is None:
        problem(BANK_LEVEL, "questions", "a bank needs at least one question (or a draw)", _line_of(root, ("questions",)))

    questions: list[Question] = []
    headings: list[str] | None = None
    roles_by_section: dict[str, tuple[str, ...]] = {}
    lesson = data.get("lesson")
    if notebooks is None and roles_from is not None and isinstance(lesson, str) and lesson.strip():
        try:
            roles_by_section, _ = section_roles(Path(roles_from) / lesson.strip(), strict=False)
        except (OSError, ValueError, AttributeError):
            roles_by_section = {}  # no lesson here (a trainer's copy of the banks): every role
    if notebooks is not None and isinstance(lesson, str) and lesson.strip():
        notebook = Path(notebooks) / lesson.strip()
        if notebook.is_file():
            headings = lesson_headings(notebook)
            try:
                roles_by_section, found = section_roles(notebook)
                problems.extend(found)
            except (ValueError, AttributeError) as exc:
                problem(LESSON_LEVEL, "metadata", f"{_display(notebook)} cannot be read as a notebook ({exc})")
        else:
            problem(BANK_LEVEL, "lesson", f"notebook {lesson!r} not found in {_display(Path(notebooks))}", _line_of(root, ("lesson",)))

    seen_ids: dict[str, int] = {}
    for index, qdata in enumerate(raw_questions):
        label = _question_label(qdata, index)
        base = ("questions", index)
        if label in seen_ids:
            problem(label, "id", f"is used twice in this bank (also question {seen_ids[label] + 1})", _line_of(root, base + ("id",)))
        seen_ids.setdefault(label, index)
        rules_broken: list[tuple[tuple[Any, ...], str]] = []
        if isinstance(qdata, dict):
            rules_broken = _rule_problems(qdata)
            for loc, message in rules_broken:
                problem(label, _field_name(loc), message, _line_of(root, base + loc))
            section = qdata.get("section")
            if headings is not None and isinstance(section, str) and section.strip() and section.strip() not in headings:
                shown = "; ".join(repr(h) for h in headings) or "none"
                problem(label, "section", f"{section.strip()!r} is not a '##' heading of {lesson} (its headings: {shown})", _line_of(root, base + ("section",)))
        try:
            questions.append(_question_adapter().validate_python(qdata))
        except ValidationError as exc:
            for err in exc.errors():
                loc = tuple(err["loc"])
                if err["type"] == _NUMERIC_KEY:
                    if rules_broken:
                        continue  # reported field by field by numeric_key_problems above
                    loc = ("answer",)
                if loc and loc[0] in QUESTION_TYPES:
                    loc = loc[1:]
                if not loc and err["type"].startswith("union_tag"):
                    loc = ("type",)
                problem(label, _field_name(loc), _message(err), _line_of(root, base + loc))

    problems.sort(key=lambda p: p.line or 0)
    if problems or header is None:
        return None, problems
    bank = Bank(
        quiz=header.quiz,
        title=header.title,
        lesson=header.lesson,
        mode=header.mode,
        pass_mark=header.pass_mark,
        questions=tuple(questions),
        draw=header.draw,
        path=path,
        version=hashlib.sha256(raw).hexdigest()[:16],
        section_roles=roles_by_section,
    )
    return bank, problems


def _question_label(qdata: Any, index: int) -> str:
    """The question's id when it is a valid one, else "question N" (a problem line stays
    ``file:line: id: field: message`` even when the id itself is the mistake, e.g. ``a: b``)."""
    if isinstance(qdata, dict) and isinstance(qdata.get("id"), (str, int)) and not isinstance(qdata.get("id"), bool):
        text = str(qdata["id"]).strip()
        if re.fullmatch(_IDENT_PATTERN, text):
            return text
    return f"question {index + 1}"


def load_bank(path: Path | str, *, notebooks: Path | None = None, roles_from: Path | None = None) -> Bank:
    """Load one bank file, or raise :class:`BankError` naming every problem."""
    bank, problems = check_bank(Path(path), notebooks=notebooks, roles_from=roles_from)
    if problems or bank is None:
        raise BankError(problems)
    return bank


@dataclass(frozen=True)
class Course:
    """Every bank of the course, by quiz id."""

    banks: dict[str, Bank]

    def bank(self, quiz: str) -> Bank:
        """The bank with this quiz id; KeyError with the known ids if there is none."""
        try:
            return self.banks[quiz]
        except KeyError:
            raise KeyError(f"no quiz {quiz!r}; the course has: {', '.join(sorted(self.banks))}") from None

    def question(self, question_id: str) -> tuple[Bank, Question]:
        """The bank and the question for a question id."""
        for bank in self.banks.values():
            for q in bank.questions:
                if q.id == question_id:
                    return bank, q
        raise KeyError(question_id)

    @property
    def version(self) -> str:
        """A hash of every bank's version: changes whenever any bank changes."""
        joined = ",".join(f"{k}={b.version}" for k, b in sorted(self.banks.items()))
        return hashlib.sha256(joined.encode()).hexdigest()[:16]


def bank_files(paths: Iterable[Path]) -> list[Path]:
    """Expand folders into their ``*.yaml`` / ``*.yml`` files, sorted; keep files as they are."""
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            out.extend(sorted(x for x in p.iterdir() if x.suffix in (".yaml", ".yml") and x.is_file()))
        else:
            out.append(p)
    return out


def check_course(paths: Iterable[Path], *, notebooks: Path | None = None, roles_from: Path | None = None) -> tuple[dict[str, Bank], list[Problem]]:
    """Check several bank files together: each file, then ids shared across files and draws
    (the blueprint of an assessment, role by role: :func:`course.assessment.blueprint_problems`)."""
    banks: dict[str, Bank] = {}
    problems: list[Problem] = []
    owner: dict[str, str] = {}
    for path in bank_files(paths):
        bank, found = check_bank(path, notebooks=notebooks, roles_from=roles_from)
        problems.extend(found)
        if bank is None:
            continue
        name = _display(path)
        if bank.quiz in banks:
            problems.append(Problem(name, BANK_LEVEL, "quiz", f"quiz id {bank.quiz!r} is already used by {_display(banks[bank.quiz].path)}", _find_line(path, "quiz")))
            continue
        clash = False
        for q in bank.questions:
            if q.id in owner:
                problems.append(Problem(name, q.id, "id", f"is already used by a question in {owner[q.id]}; ids are unique across the course", _find_line(path, q.id)))
                clash = True
        if clash:
            continue
        for q in bank.questions:
            owner[q.id] = name
        banks[bank.quiz] = bank
    for bank in banks.values():
        if bank.draw:
            for source in bank.draw.banks:
                if source not in banks:
                    problems.append(Problem(_display(bank.path), BANK_LEVEL, "draw.banks", f"no quiz {source!r} to draw from (no bank has that quiz id, or its bank has errors of its own)", _find_line(bank.path, source)))
            if bank.draw and all(s in banks for s in bank.draw.banks):
                available = sum(1 for s in bank.draw.banks for q in banks[s].questions if q.gradable)
                if available < bank.draw.count:
                    problems.append(Problem(_display(bank.path), BANK_LEVEL, "draw.count", f"asks for {bank.draw.count} questions but the banks hold only {available} that can be graded", _find_line(bank.path, "count")))
                for source in bank.draw.banks:
                    gradable = sum(1 for q in banks[source].questions if q.gradable)
                    if gradable < bank.draw.min_per_bank:
                        problems.append(Problem(_display(bank.path), BANK_LEVEL, "draw.min_per_bank", f"asks for {bank.draw.min_per_bank} from {source!r}, which holds only {gradable} that can be graded", _find_line(bank.path, "min_per_bank")))
                critical = sum(1 for s in bank.draw.banks for q in banks[s].questions if q.gradable and q.critical)
                if critical < bank.draw.min_critical:
                    problems.append(Problem(_display(bank.path), BANK_LEVEL, "draw.min_critical", f"asks for {bank.draw.min_critical} critical questions but the banks hold only {critical} that can be graded", _find_line(bank.path, "min_critical")))
                if not any(p.file == _display(bank.path) for p in problems):
                    from course.assessment import blueprint_problems  # the draw's own rules, checked role by role

                    problems.extend(blueprint_problems(banks, bank))
    return banks, problems


def load_course(directory: Path | None = None, *, notebooks: Path | None = None, roles_from: Path | None = None) -> Course:
    """Load every bank in ``directory`` (default: ``quizzes/``), or raise :class:`BankError`.

    The sections' roles are read from the lessons in ``notebooks`` (checked) or ``roles_from``
    (default: the course's notebooks folder, read leniently: a lesson not there is for every role).
    """
    directory = Path(directory) if directory is not None else config.quizzes_dir()
    if notebooks is None and roles_from is None:
        roles_from = config.notebooks_dir()
    banks, problems = check_course([directory], notebooks=notebooks, roles_from=roles_from)
    if problems:
        raise BankError(problems)
    return Course(banks)
