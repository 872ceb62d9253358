"""What Moodle XML and GIFT share: the course's questions as plain data, the course's own fields
that Moodle has no place for, ids for questions made elsewhere, and the bank YAML written out."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import yaml

__all__ = ["Converted", "MoodleError", "FORMATS", "bank_yaml", "export_bank", "import_file", "import_text"]

FORMATS = ("moodle-xml", "gift")

META_FIELDS = ("id", "section", "points", "critical", "source", "topic", "kind", "fact", "unit", "unit_aliases", "max_length")
"""The course's fields Moodle has no place for (carried in tags or a comment)."""


class MoodleError(ValueError):
    """A file that is not Moodle XML or GIFT the course can read; the message says where and why."""


@dataclass
class Converted:
    """A conversion's result: the bank (as its YAML data) or the exported text, and what was lost."""

    data: Any
    lost: list[str] = field(default_factory=list)
    """One line per question and thing that could not be carried: ``question-id: what``."""


# --- the course's questions as plain data -----------------------------------------------------------


def question_data(q: Any) -> dict[str, Any]:
    """A bank question (course.bank model) as the data its YAML holds, without defaults."""
    data = q.model_dump(mode="json", exclude_defaults=True)
    data["type"] = q.type
    order = ["id", "type", "section", "prompt"]
    return {k: data[k] for k in order if k in data} | {k: v for k, v in data.items() if k not in order}


def meta_of(q: dict[str, Any]) -> dict[str, Any]:
    """The course's own fields of a question and the ids of its parts: what Moodle cannot hold."""
    meta = {k: q[k] for k in META_FIELDS if k in q}
    ids: dict[str, list[str]] = {}
    for part in ("options", "items", "pairs", "distractors"):
        if q.get(part):
            ids[part] = [p["id"] for p in q[part]]
    if ids:
        meta["ids"] = ids
    if q.get("type") == "numeric" and "min" in q:
        meta["range"] = [q["min"], q["max"]]  # written as its midpoint ± half its width
    return meta


def apply_meta(q: dict[str, Any], meta: dict[str, Any], lost: list[str]) -> dict[str, Any]:
    """Put carried course fields back on an imported question (ids of parts only when they still fit)."""
    for k in META_FIELDS:
        if k in meta and k != "id":
            q[k] = meta[k]
    if q.get("type") == "numeric" and isinstance(meta.get("range"), list) and len(meta["range"]) == 2:
        low, high = meta["range"]
        if abs((low + high) / 2 - q.get("answer", 0)) < 1e-9 and abs((high - low) / 2 - q.get("tolerance", 0)) < 1e-9:
            q.pop("answer", None)
            q.pop("tolerance", None)
            q["min"], q["max"] = low, high
    for part, ids in (meta.get("ids") or {}).items():
        if part in q and isinstance(ids, list) and len(ids) == len(q[part]) and len(set(ids)) == len(ids):
            for item, given in zip(q[part], ids):
                item["id"] = str(given)
        elif part in q:
            lost.append(f"{q['id']}: the course's {part} ids no longer match the question (new ids given)")
    return q


_IDENT = re.compile(r"[^A-Za-z0-9_.-]+")


def ident(text: str, taken: set[str], fallback: str = "q") -> str:
    """A question id from a Moodle question's name (letters, digits, ``_.-``), unique in ``taken``."""
    base = _IDENT.sub("-", text.strip()).strip("-.").lower()[:60] or fallback
    found, n = base, 2
    while found in taken:
        found, n = f"{base}-{n}", n + 1
    taken.add(found)
    return found


def part_ids(count: int, kind: str) -> list[str]:
    """Ids for the parts of a question made elsewhere: options a, b, c...; items i1...; pairs p1..."""
    if kind == "options" and count <= 26:
        return [chr(ord("a") + n) for n in range(count)]
    prefix = {"options": "o", "items": "i", "pairs": "p", "distractors": "d"}[kind]
    return [f"{prefix}{n + 1}" for n in range(count)]


class _Text(HTMLParser):
    SIMPLE = {"p", "br", "div", "span", "b", "strong", "i", "em"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.other: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.out.append("\n")
        elif tag in ("b", "strong"):
            self.out.append("**")
        elif tag in ("i", "em"):
            self.out.append("*")
        elif tag not in self.SIMPLE:
            self.other.add(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("p", "div"):
            self.out.append("\n\n")
        elif tag in ("b", "strong"):
            self.out.append("**")
        elif tag in ("i", "em"):
            self.out.append("*")

    def handle_data(self, data: str) -> None:
        self.out.append(data)


def html_to_text(text: str, fmt: str, where: str, lost: list[str]) -> str:
    """A Moodle text in the course's Markdown: HTML's paragraphs, line breaks, bold and italics kept,
    other markup named as lost (images, tables, links...)."""
    if fmt not in ("html", "moodle_auto_format") or "<" not in text:
        return text.strip() if fmt in ("markdown", "plain_text") else html.unescape(text).strip()
    parser = _Text()
    parser.feed(text)
    parser.close()
    if parser.other:
        lost.append(f"{where}: HTML markup shown as plain text ({', '.join(sorted(parser.other))})")
    joined = "".join(parser.out)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.strip() for line in joined.splitlines())).strip()


# --- the bank's YAML ------------------------------------------------------------------------------------


def bank_yaml(data: dict[str, Any]) -> str:
    """The bank as YAML, in the order authors write it (``course validate`` reads it back)."""

    class _Dumper(yaml.SafeDumper):
        pass

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    _Dumper.add_representer(str, text)
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False)


def export_bank(bank: Any, fmt: str) -> Converted:
    """The bank's questions as Moodle XML or GIFT text; ``lost``: what could not be written."""
    from course.moodle import gift, moodle_xml

    if fmt not in FORMATS:
        raise MoodleError(f"the format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    lost: list[str] = []
    if bank.draw is not None:
        lost.append(f"{bank.quiz}: the assessment's draw (which questions each learner gets) is not a question; Moodle's quiz settings hold it")
    if bank.pass_mark is not None:
        lost.append(f"{bank.quiz}: the pass mark ({bank.pass_mark:g}%) is a Moodle quiz setting, not part of the question bank")
    questions = [question_data(q) for q in bank.questions]
    writer = moodle_xml.write if fmt == "moodle-xml" else gift.write
    return Converted(writer(bank.title, questions, lost), lost)


def import_text(text: str, *, name: str = "the file", fmt: str | None = None, quiz: str, title: str | None = None, lesson: str, mode: str = "practice", pass_mark: float | None = None) -> Converted:
    """A Moodle XML or GIFT text (``fmt`` None: told apart by its first characters) as a course bank's data."""
    from course.moodle import gift, moodle_xml

    if fmt is None:
        fmt = "moodle-xml" if text.lstrip("\ufeff \t\r\n").startswith("<") else "gift"
    if fmt not in FORMATS:
        raise MoodleError(f"the format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    lost: list[str] = []
    reader = moodle_xml.read if fmt == "moodle-xml" else gift.read
    category, questions = reader(text, name, lost)
    if not questions:
        raise MoodleError(f"{name}: no question the course can use was found" + (f" ({'; '.join(lost)})" if lost else ""))
    data: dict[str, Any] = {"quiz": quiz, "title": title or category or quiz, "lesson": lesson, "mode": mode}
    if pass_mark is not None:
        data["pass_mark"] = pass_mark
    data["questions"] = questions
    return Converted(data, lost)


def import_file(path: Path | str, **kwargs: Any) -> Converted:
    """:func:`import_text` of a file (UTF-8); OSError if it cannot be read, MoodleError if it is not a bank."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise MoodleError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    fmt = kwargs.pop("fmt", None)
    if fmt is None and path.suffix.lower() == ".xml":
        fmt = "moodle-xml"
    elif fmt is None and path.suffix.lower() in (".gift", ".txt"):
        fmt = "gift"
    return import_text(text, name=str(path), fmt=fmt, **kwargs)


def meta_json(meta: dict[str, Any]) -> str:
    return json.dumps(meta, ensure_ascii=False, separators=(",", ":"))


def number(value: float) -> str:
    """A number as Moodle writes it: ``40``, ``0.5``, never an exponent."""
    value = float(value)
    if value.is_integer():
        return str(int(value))
    return f"{value:.10f}".rstrip("0").rstrip(".")
