"""Moodle XML (docs.moodle.org, "Moodle XML format"): written with the standard library's
ElementTree, read with defusedxml (a file from elsewhere may carry entity expansion bombs or
external entities; defusedxml refuses them)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from course.moodle.common import META_FIELDS, MoodleError, apply_meta, html_to_text, ident, meta_of, number, part_ids

_TAG = "course-"
_STRING_META = {"id", "section", "source", "topic", "kind", "fact", "unit"}
UNSUPPORTED = {
    "shortanswer": "short answer", "multianswer": "embedded answers (Cloze)", "description": "description (no question)",
    "calculated": "calculated", "calculatedsimple": "simple calculated", "calculatedmulti": "calculated multichoice",
    "ddwtos": "drag and drop into text", "gapselect": "select missing words", "ddimageortext": "drag and drop onto image",
    "ddmarker": "drag and drop markers", "randomsamatch": "random short-answer matching", "random": "random",
}  # fmt: skip


# --- writing -------------------------------------------------------------------------------------------


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _text(parent: ET.Element, tag: str, text: str, fmt: str = "markdown") -> ET.Element:
    element = _sub(parent, tag, format=fmt)
    _sub(element, "text", text)
    return element


def _fraction(value: float) -> str:
    return f"{value:.7f}".rstrip("0").rstrip(".") if value not in (0, 100) else str(int(value))


def write(title: str, questions: list[dict[str, Any]], lost: list[str]) -> str:
    quiz = ET.Element("quiz")
    category = _sub(quiz, "question", type="category")
    _sub(_sub(category, "category"), "text", f"$course$/top/{title}")
    for q in questions:
        quiz.append(_question(q, lost))
    ET.indent(quiz, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, encoding="unicode") + "\n"


def _question(q: dict[str, Any], lost: list[str]) -> ET.Element:
    kind = q["type"]
    moodle = {"single_choice": "multichoice", "multiple_choice": "multichoice", "true_false": "truefalse", "numeric": "numerical",
              "ordering": "ordering", "matching": "matching", "free_text": "essay"}[kind]  # fmt: skip
    el = ET.Element("question", type=moodle)
    _sub(_sub(el, "name"), "text", q["id"])
    _text(el, "questiontext", q["prompt"])
    _text(el, "generalfeedback", q["explanation"])
    _sub(el, "defaultgrade", number(q.get("points", 1)))
    _sub(el, "penalty", "0")
    _sub(el, "hidden", "0")
    _sub(el, "idnumber", q["id"])
    if kind in ("single_choice", "multiple_choice"):
        options = q["options"]
        right = sum(1 for o in options if o.get("correct"))
        _sub(el, "single", "true" if kind == "single_choice" else "false")
        _sub(el, "shuffleanswers", "true")
        _sub(el, "answernumbering", "abc")
        for o in options:
            if kind == "single_choice":
                fraction = 100.0 if o.get("correct") else 0.0
            else:  # the course's credit: right minus wrong, over the right options
                fraction = (100.0 if o.get("correct") else -100.0) / max(1, right)
            answer = _sub(el, "answer", fraction=_fraction(fraction), format="markdown")
            _sub(answer, "text", o["text"])
            if o.get("feedback"):
                _text(answer, "feedback", o["feedback"])
    elif kind == "true_false":
        for value in (True, False):
            answer = _sub(el, "answer", fraction="100" if value == q["answer"] else "0", format="moodle_auto_format")
            _sub(answer, "text", "true" if value else "false")
            if value != q["answer"] and q.get("feedback"):  # the course's feedback is for the wrong answer
                _text(answer, "feedback", q["feedback"])
    elif kind == "numeric":
        if "answer" in q:
            middle, tolerance = q["answer"], q.get("tolerance", 0)
        else:
            middle, tolerance = (q["min"] + q["max"]) / 2, (q["max"] - q["min"]) / 2
        answer = _sub(el, "answer", fraction="100", format="moodle_auto_format")
        _sub(answer, "text", number(middle))
        _sub(answer, "tolerance", number(tolerance))
        if q.get("unit"):
            units = _sub(el, "units")
            for name in [q["unit"], *q.get("unit_aliases", [])]:
                unit = _sub(units, "unit")
                _sub(unit, "multiplier", "1")
                _sub(unit, "unit_name", name)
            _sub(el, "unitgradingtype", "0")
            _sub(el, "unitpenalty", "0")
            _sub(el, "showunits", "3")
            _sub(el, "unitsleft", "0")
    elif kind == "ordering":
        for tag, value in (("layouttype", "VERTICAL"), ("selecttype", "ALL"), ("selectcount", "0"), ("gradingtype", "ABSOLUTE_POSITION"), ("showgrading", "SHOW"), ("numberingstyle", "none")):
            _sub(el, tag, value)
        for position, item in enumerate(q["items"], 1):  # the plugin keeps each item's place in the right order as its fraction
            answer = _sub(el, "answer", fraction=f"{position}.0000000", format="moodle_auto_format")
            _sub(answer, "text", item["text"])
    elif kind == "matching":
        _sub(el, "shuffleanswers", "true")
        for pair in q["pairs"]:
            sub = _text(el, "subquestion", pair["left"])
            _sub(_sub(sub, "answer"), "text", pair["right"])
        for extra in q.get("distractors", []):
            sub = _text(el, "subquestion", "")
            _sub(_sub(sub, "answer"), "text", extra["text"])
    else:  # free text: an essay; the explanation is also the grader's information (the model answer)
        for tag, value in (("responseformat", "editor"), ("responserequired", "1"), ("responsefieldlines", "10"), ("attachments", "0"), ("attachmentsrequired", "0")):
            _sub(el, tag, value)
        _text(el, "graderinfo", q["explanation"])
        _sub(el, "responsetemplate", "", format="markdown")
        if "max_length" in q:
            lost.append(f"{q['id']}: Moodle's essay has no length limit; the limit of {q['max_length']} characters is kept in a tag only")
    if q.get("critical"):
        lost.append(f"{q['id']}: safety-critical: Moodle has no such flag (kept in a tag); a Moodle quiz will not require this question right to pass")
    if q.get("unit_aliases"):
        lost.append(f"{q['id']}: the unit's other spellings are extra Moodle units (multiplier 1)")
    tags = _sub(el, "tags")
    for key, value in meta_of(q).items():
        shown = value if key in _STRING_META else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        _sub(_sub(tags, "tag"), "text", f"{_TAG}{key}:{shown}")
    return el


# --- reading -------------------------------------------------------------------------------------------


def _parse(text: str, name: str) -> ET.Element:
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        return fromstring(text.encode("utf-8"), forbid_dtd=True)
    except ET.ParseError as error:
        line, column = error.position
        raise MoodleError(f"{name}:{line}:{column}: not well-formed XML ({str(error).split(':')[0]})") from None
    except DefusedXmlException as error:
        raise MoodleError(f"{name}: refused: the XML declares a DTD or entities ({type(error).__name__}); Moodle XML needs neither") from None


def _get(element: ET.Element, path: str, default: str = "") -> str:
    found = element.find(path)
    return (found.text or "") if found is not None and found.text is not None else default


def _formatted(element: ET.Element | None, where: str, lost: list[str]) -> str:
    if element is None:
        return ""
    if element.findall("file"):
        lost.append(f"{where}: embedded files (images) are not carried")
    return html_to_text(_get(element, "text"), element.get("format", "html"), where, lost)


def read(text: str, name: str, lost: list[str]) -> tuple[str | None, list[dict[str, Any]]]:
    root = _parse(text, name)
    if root.tag != "quiz":
        raise MoodleError(f"{name}: not Moodle XML (the root element is <{root.tag}>, not <quiz>)")
    category: str | None = None
    section = "Imported from Moodle"
    taken: set[str] = set()
    out: list[dict[str, Any]] = []
    for n, el in enumerate(root.findall("question"), 1):
        kind = el.get("type", "")
        if kind == "category":
            path = _get(el, "category/text").strip()
            leaf = path.rstrip("/").rsplit("/", 1)[-1].strip() if path else ""
            if leaf and leaf != "top":
                category = category or leaf
                section = leaf
            continue
        title = _get(el, "name/text").strip() or f"question {n}"
        meta = _meta(el)
        where = meta.get("id") or title
        if kind in UNSUPPORTED or kind not in ("multichoice", "truefalse", "numerical", "ordering", "matching", "essay"):
            lost.append(f"{where}: a Moodle {UNSUPPORTED.get(kind, kind or 'untyped')} question has no course form; not imported")
            continue
        qid = str(meta["id"]) if meta.get("id") and str(meta["id"]) not in taken else ident(_get(el, "idnumber") or title, taken)
        taken.add(qid)
        q: dict[str, Any] = {"id": qid, "type": "", "section": section}
        q["prompt"] = _formatted(el.find("questiontext"), qid, lost)
        explanation = _formatted(el.find("generalfeedback"), qid, lost)
        if kind == "essay" and not explanation:
            explanation = _formatted(el.find("graderinfo"), qid, lost)
        if not explanation:
            explanation = "(No explanation in Moodle: write what the right answer is and why.)"
            lost.append(f"{qid}: no general feedback in Moodle; the explanation must be written")
        q["explanation"] = explanation
        grade = _get(el, "defaultgrade", "1").strip() or "1"
        try:
            points = float(grade)
        except ValueError:
            raise MoodleError(f"{name}: question {where}: defaultgrade {grade!r} is not a number") from None
        if points != 1 and points > 0:
            q["points"] = points
        if el.findall("hint"):
            lost.append(f"{qid}: Moodle's hints are not carried (the course explains after each answer)")
        reader = {"multichoice": _choice, "truefalse": _true_false, "numerical": _numeric, "ordering": _ordering, "matching": _matching, "essay": _essay}[kind]
        if not reader(el, q, lost):
            continue
        out.append(apply_meta(q, meta, lost))
    return category, out


def _meta(el: ET.Element) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for tag in el.findall("tags/tag/text"):
        text = (tag.text or "").strip()
        if not text.startswith(_TAG) or ":" not in text:
            continue
        key, _, value = text[len(_TAG) :].partition(":")
        if key not in (*META_FIELDS, "ids", "range"):  # (points: also Moodle's defaultgrade)
            continue
        try:
            meta[key] = value if key in _STRING_META else json.loads(value)
        except ValueError:
            continue
    return meta


def _choice(el: ET.Element, q: dict[str, Any], lost: list[str]) -> bool:
    single = _get(el, "single", "true").strip().lower() in ("true", "1")
    answers = el.findall("answer")
    fractions = []
    for a in answers:
        try:
            fractions.append(float(a.get("fraction", "0")))
        except ValueError:
            fractions.append(0.0)
    options = []
    for oid, a, fraction in zip(part_ids(len(answers), "options"), answers, fractions):
        option: dict[str, Any] = {"id": oid, "text": _formatted(a, q["id"], lost)}
        if fraction > 0:
            option["correct"] = True
        feedback = _formatted(a.find("feedback"), q["id"], lost)
        if feedback:
            option["feedback"] = feedback
        options.append(option)
    right = [f for f in fractions if f > 0]
    if single:
        if any(0 < f < 100 for f in fractions):
            lost.append(f"{q['id']}: partial credit for an option (a fraction between 0 and 100%) is not carried: only the 100% option is right")
            for option, fraction in zip(options, fractions):
                if 0 < fraction < 100:
                    option.pop("correct", None)
        q["type"] = "single_choice"
    else:
        if len({round(f, 3) for f in right}) > 1 or any(f < 0 and abs(abs(f) - 100 / max(1, len(right))) > 0.01 for f in fractions):
            lost.append(f"{q['id']}: Moodle's option weights are not carried: the course gives right minus wrong over the right options")
        q["type"] = "multiple_choice"
    q["options"] = options
    return True


def _true_false(el: ET.Element, q: dict[str, Any], lost: list[str]) -> bool:
    answer, feedback = None, None
    for a in el.findall("answer"):
        value = _get(a, "text").strip().lower() == "true"
        right = float(a.get("fraction", "0") or 0) > 0
        text = _formatted(a.find("feedback"), q["id"], lost)
        if right:
            answer = value
            if text:
                lost.append(f"{q['id']}: the feedback for the right answer is not carried (the course shows its explanation)")
        elif text:
            feedback = text
    if answer is None:
        lost.append(f"{q['id']}: a true/false question with no right answer; not imported")
        return False
    q["type"], q["answer"] = "true_false", answer
    if feedback:
        q["feedback"] = feedback
    return True


def _numeric(el: ET.Element, q: dict[str, Any], lost: list[str]) -> bool:
    answers = [a for a in el.findall("answer") if float(a.get("fraction", "0") or 0) >= 100]
    if not answers:
        lost.append(f"{q['id']}: a numerical question without a 100% answer; not imported")
        return False
    if len(el.findall("answer")) > 1:
        lost.append(f"{q['id']}: Moodle's other answers (partial credit) are not carried: only the first 100% answer")
    a = answers[0]
    try:
        value = float(_get(a, "text").strip())
        tolerance = float(_get(a, "tolerance", "0").strip() or 0)
    except ValueError:
        lost.append(f"{q['id']}: the answer {_get(a, 'text')!r} is not a number; not imported")
        return False
    if _formatted(a.find("feedback"), q["id"], []):
        lost.append(f"{q['id']}: the answer's feedback is not carried (the course shows its explanation)")
    q["type"] = "numeric"
    q["answer"] = value
    if tolerance:
        q["tolerance"] = abs(tolerance)
    units = [(_get(u, "unit_name").strip(), _get(u, "multiplier", "1").strip()) for u in el.findall("units/unit")]
    same = [name for name, multiplier in units if name and _is_one(multiplier)]
    if len(same) < len(units):
        lost.append(f"{q['id']}: units with a multiplier other than 1 are not carried")
    if same:
        q["unit"] = same[0]
        if same[1:]:
            q["unit_aliases"] = same[1:]
    return True


def _is_one(text: str) -> bool:
    try:
        return float(text) == 1
    except ValueError:
        return False


def _ordering(el: ET.Element, q: dict[str, Any], lost: list[str]) -> bool:
    answers = el.findall("answer")
    places = []
    for a in answers:
        try:
            places.append(float(a.get("fraction", "0")))
        except ValueError:
            places.append(0.0)
    if len(set(places)) == len(places):  # each item's place in the right order (else: the order written)
        answers = [a for _, a in sorted(zip(places, answers), key=lambda pair: pair[0])]
    texts = [_formatted(a, q["id"], lost) for a in answers]
    if _get(el, "selecttype", "ALL").strip().upper() not in ("ALL", "0"):
        lost.append(f"{q['id']}: Moodle's 'select a subset of items' is not carried: every item is put in order")
    if _get(el, "gradingtype", "ABSOLUTE_POSITION").strip().upper() not in ("ABSOLUTE_POSITION", "0"):
        lost.append(f"{q['id']}: Moodle's grading type {_get(el, 'gradingtype').strip()} is not carried: the course marks the whole order")
    q["type"] = "ordering"
    q["items"] = [{"id": iid, "text": text} for iid, text in zip(part_ids(len(texts), "items"), texts)]
    return True


def _matching(el: ET.Element, q: dict[str, Any], lost: list[str]) -> bool:
    pairs, extras = [], []
    for sub in el.findall("subquestion"):
        left = _formatted(sub, q["id"], lost)
        right = html_to_text(_get(sub, "answer/text"), "plain_text", q["id"], lost)
        (pairs if left else extras).append((left, right))
    q["type"] = "matching"
    q["pairs"] = [{"id": pid, "left": left, "right": right} for pid, (left, right) in zip(part_ids(len(pairs), "pairs"), pairs)]
    if extras:
        q["distractors"] = [{"id": did, "text": right} for did, (_, right) in zip(part_ids(len(extras), "distractors"), extras)]
    return True


def _essay(el: ET.Element, q: dict[str, Any], lost: list[str]) -> bool:
    q["type"] = "free_text"
    if _get(el, "attachments", "0").strip() not in ("0", ""):
        lost.append(f"{q['id']}: file attachments to the answer are not carried")
    if _get(el, "responsetemplate").strip():
        lost.append(f"{q['id']}: the response template is not carried")
    return True
