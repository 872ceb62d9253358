"""GIFT (docs.moodle.org, "GIFT format"), written and read here.

No GIFT parser on PyPI is maintained (pygiftparser's last release is from 2017, for Python 2-era
code, with no tests of escapes), and GIFT is small: questions separated by blank lines, an
optional ``::title::``, a ``[format]``, the answers between braces with ``= ~ # -> %w%`` marks,
``####`` for general feedback, ``//`` comments and backslash escapes of ``~ = # { } :``. The
reader follows Moodle's own (question/format/gift/format.php): a true/false ``{TRUE#a#b}`` shows
``a`` for a wrong answer and ``b`` for a right one; ``{}`` is an essay; ``{#x:t}`` and ``{#a..b}``
are numerical.
"""

from __future__ import annotations

import json
import re
from typing import Any

from course.moodle.common import MoodleError, apply_meta, ident, meta_json, meta_of, number, part_ids

_SPECIAL = "~=#{}:"
_META = "// course: "


# --- writing -------------------------------------------------------------------------------------------


def escape(text: str) -> str:
    """Text as GIFT writes it: ``~ = # { } :`` and backslashes escaped, new lines as ``\\n``."""
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch in _SPECIAL:
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        else:
            out.append(ch)
    return "".join(out)


def _weight(value: float) -> str:
    return f"{value:.5f}".rstrip("0").rstrip(".")


def write(title: str, questions: list[dict[str, Any]], lost: list[str]) -> str:
    blocks = [f"// {title}: exported from the course (GIFT)\n$CATEGORY: $course$/top/{title}"]
    for q in questions:
        block = _written(q, lost)
        if block is not None:
            blocks.append(block)
    return "\n\n".join(blocks) + "\n"


def _written(q: dict[str, Any], lost: list[str]) -> str | None:
    kind = q["type"]
    if kind == "ordering":
        lost.append(f"{q['id']}: GIFT has no ordering question (Moodle's ordering type is XML only); not exported, use --format moodle-xml")
        return None
    head = f"{_META}{meta_json(meta_of(q))}\n::{escape(q['id'])}::[markdown]{escape(q['prompt'])}"
    general = f"\n####{escape(q['explanation'])}"
    if kind in ("single_choice", "multiple_choice"):
        right = sum(1 for o in q["options"] if o.get("correct"))
        lines = []
        for o in q["options"]:
            feedback = f"#{escape(o['feedback'])}" if o.get("feedback") else ""
            if kind == "single_choice":
                mark = "=" if o.get("correct") else "~"
            else:
                mark = f"~%{_weight((100.0 if o.get('correct') else -100.0) / max(1, right))}%"
            lines.append(f"\t{mark}{escape(o['text'])}{feedback}")
        body = "\n".join(lines)
    elif kind == "true_false":
        body = "TRUE" if q["answer"] else "FALSE"
        if q.get("feedback"):
            body += f"#{escape(q['feedback'])}"  # Moodle: the first feedback is for a wrong answer
    elif kind == "numeric":
        if "answer" in q:
            body = f"#{number(q['answer'])}:{number(q.get('tolerance', 0))}"
        else:
            body = f"#{number(q['min'])}..{number(q['max'])}"
        if q.get("unit"):
            lost.append(f"{q['id']}: GIFT numerical questions have no units: the unit {q['unit']!r} is kept in the course comment only")
    elif kind == "matching":
        arrow = "\\->"  # (an escaped arrow: see the note below)
        lines = [f"\t={escape(p['left']).replace('->', arrow)} -> {escape(p['right'])}" for p in q["pairs"]]
        if any("->" in p["left"] for p in q["pairs"]):
            lost.append(f"{q['id']}: GIFT has no escape for '->' in a matching item's left side: this course reads it back, Moodle would split the item there")
        lines += [f"\t= -> {escape(d['text'])}" for d in q.get("distractors", [])]  # an extra right-hand item: no left side
        body = "\n".join(lines)
    else:  # free text: an essay
        body = ""
        if "max_length" in q:
            lost.append(f"{q['id']}: Moodle's essay has no length limit; the limit of {q['max_length']} characters is kept in the course comment only")
    if q.get("critical"):
        lost.append(f"{q['id']}: safety-critical: Moodle has no such flag (kept in the course comment); a Moodle quiz will not require this question right to pass")
    return f"{head}{{\n{body}{general}\n}}" if body else f"{head}{{{general}\n}}"


# --- reading -------------------------------------------------------------------------------------------


def _blocks(text: str) -> list[tuple[int, list[str]]]:
    """The file's questions and commands: runs of non-blank lines (with their first line number)."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 1
    depth = 0
    for number_, line in enumerate(text.splitlines(), 1):
        if not line.strip() and depth == 0:
            if current:
                blocks.append((start, current))
            current = []
            continue
        if not current:
            start = number_
        current.append(line)
        depth += _depth_change(line)
    if current:
        blocks.append((start, current))
    return blocks


def _depth_change(line: str) -> int:
    if line.lstrip().startswith("//"):
        return 0
    change, escaped = 0, False
    for ch in line:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "{":
            change += 1
        elif ch == "}":
            change -= 1
    return change


def unescape(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append("\n" if nxt == "n" else nxt)
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _split(text: str, marks: str) -> list[tuple[str, str]]:
    """``text`` cut before each unescaped mark character: (mark, the raw text after it)."""
    parts: list[tuple[str, str]] = []
    mark, current, i = "", [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            current.append(text[i : i + 2])
            i += 2
            continue
        if ch in marks:
            if current or mark:
                parts.append((mark, "".join(current)))
            mark, current = ch, []
        else:
            current.append(ch)
        i += 1
    if current or mark:
        parts.append((mark, "".join(current)))
    return parts


def _find(text: str, target: str, start: int = 0) -> int:
    """The first unescaped ``target`` at or after ``start``, or -1."""
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(target, i):
            return i
        i += 1
    return -1


def _rfind(text: str, target: str) -> int:
    found, i = -1, 0
    while True:
        at = _find(text, target, i)
        if at < 0:
            return found
        found, i = at, at + 1


def read(text: str, name: str, lost: list[str]) -> tuple[str | None, list[dict[str, Any]]]:
    category: str | None = None
    section = "Imported from Moodle"
    taken: set[str] = set()
    out: list[dict[str, Any]] = []
    for line_number, lines in _blocks(text):
        meta: dict[str, Any] = {}
        body = []
        for line in lines:
            stripped = line.strip()
            if stripped.startswith(_META.strip()):
                try:
                    meta = json.loads(stripped[len(_META.strip()) :].strip())
                except ValueError:
                    lost.append(f"{name}:{line_number}: a course comment that is not JSON was ignored")
            elif stripped.startswith("//"):
                continue
            else:
                body.append(line)
        source = "\n".join(body).strip()
        if not source:
            continue
        if source.startswith("$CATEGORY:"):
            path = source[len("$CATEGORY:") :].strip()
            leaf = path.rstrip("/").rsplit("/", 1)[-1].strip()
            if leaf and leaf != "top":
                category = category or leaf
                section = leaf
            continue
        q = _question(source, name, line_number, section, meta, taken, lost)
        if q is not None:
            out.append(apply_meta(q, meta, lost))
    return category, out


def _question(source: str, name: str, line: int, section: str, meta: dict[str, Any], taken: set[str], lost: list[str]) -> dict[str, Any] | None:
    title = ""
    if source.startswith("::"):
        end = _find(source, "::", 2)
        if end < 0:
            raise MoodleError(f"{name}:{line}: a question title opened with :: is not closed")
        title, source = unescape(source[2:end]).strip(), source[end + 2 :].lstrip()
    fmt = "moodle"
    match = re.match(r"\[(html|moodle|plain|markdown)\]", source)
    if match:
        fmt, source = match.group(1), source[match.end() :]
    opening = _find(source, "{")
    closing = _find(source, "}", opening + 1) if opening >= 0 else -1
    if opening < 0 or closing < 0:
        raise MoodleError(f"{name}:{line}: no answers between {{ and }} (every GIFT question has them)")
    before, answers, after = source[:opening], source[opening + 1 : closing], source[closing + 1 :]
    prompt = unescape(before).strip()
    if after.strip():  # the missing-word form: the answers stand for a blank in the sentence
        prompt = f"{prompt} _____ {unescape(after).strip()}"
    where = meta.get("id") or title or prompt[:40]
    qid = str(meta["id"]) if meta.get("id") and str(meta["id"]) not in taken else ident(title or prompt[:40], taken)
    taken.add(qid)
    if fmt == "html" and "<" in prompt:
        from course.moodle.common import html_to_text

        prompt = html_to_text(prompt, "html", qid, lost)
    q: dict[str, Any] = {"id": qid, "type": "", "section": section, "prompt": prompt}
    split = _rfind(answers, "####")
    explanation = ""
    if split >= 0:
        explanation, answers = unescape(answers[split + 4 :]).strip(), answers[:split]
    if not explanation:
        explanation = "(No explanation in Moodle: write what the right answer is and why.)"
        lost.append(f"{qid}: no general feedback (####) in GIFT; the explanation must be written")
    q["explanation"] = explanation
    answers = answers.strip()
    if not answers:
        q["type"] = "free_text"
        return q
    if answers.startswith("#"):
        return _numeric(answers[1:], q, lost)
    head = answers.split("#", 1)[0].strip().upper()
    if head in ("T", "TRUE", "F", "FALSE"):
        q["type"], q["answer"] = "true_false", head.startswith("T")
        parts = [unescape(p).strip() for p in _split_plain(answers, "#")[1:]]
        if parts and parts[0]:
            q["feedback"] = parts[0]
        if len(parts) > 1 and parts[1]:
            lost.append(f"{qid}: the feedback for the right answer is not carried (the course shows its explanation)")
        return q
    tokens = [(mark, raw) for mark, raw in _split(answers, "=~") if mark]
    if not tokens:
        lost.append(f"{where}: answers the course cannot read ({answers[:40]!r}); not imported")
        return None
    if all(mark == "=" for mark, _ in tokens) and all(_find(raw, "->") >= 0 for _, raw in tokens):
        pairs = []
        for _, raw in tokens:
            at = _find(raw, "->")
            pairs.append((unescape(raw[:at]).strip(), unescape(raw[at + 2 :]).strip()))
        q["type"] = "matching"
        q["pairs"] = [{"id": pid, "left": left, "right": right} for pid, (left, right) in zip(part_ids(len(pairs), "pairs"), pairs) if left]
        extras = [right for left, right in pairs if not left]
        if extras:
            q["distractors"] = [{"id": did, "text": text} for did, text in zip(part_ids(len(extras), "distractors"), extras)]
        return q
    if not any(mark == "~" for mark, _ in tokens):
        lost.append(f"{where}: a GIFT short-answer question (only = answers) has no course form; not imported")
        return None
    options, weights = [], []
    for (mark, raw), oid in zip(tokens, part_ids(len(tokens), "options")):
        weight = 100.0 if mark == "=" else 0.0
        wmatch = re.match(r"\s*%(-?\d+(?:\.\d+)?)%", raw)
        if wmatch:
            weight, raw = float(wmatch.group(1)), raw[wmatch.end() :]
        text_part, feedback = raw, ""
        if _find(raw, "#") >= 0:
            at = _find(raw, "#")
            text_part, feedback = raw[:at], raw[at + 1 :]
        option: dict[str, Any] = {"id": oid, "text": unescape(text_part).strip()}
        if weight > 0:
            option["correct"] = True
        if unescape(feedback).strip():
            option["feedback"] = unescape(feedback).strip()
        options.append(option)
        weights.append(weight)
    positive = [w for w in weights if w > 0]
    multiple = any(mark == "~" and w > 0 for (mark, _), w in zip(tokens, weights)) or len(positive) > 1
    if multiple:
        q["type"] = "multiple_choice"
        if len({round(w, 3) for w in positive}) > 1 or any(w < 0 and abs(abs(w) - 100 / max(1, len(positive))) > 0.01 for w in weights):
            lost.append(f"{qid}: GIFT's answer weights are not carried: the course gives right minus wrong over the right options")
    else:
        q["type"] = "single_choice"
    q["options"] = options
    return q


def _split_plain(text: str, mark: str) -> list[str]:
    parts, current, i = [], [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            current.append(text[i : i + 2])
            i += 2
            continue
        if text[i] == mark:
            parts.append("".join(current))
            current = []
        else:
            current.append(text[i])
        i += 1
    parts.append("".join(current))
    return parts


def _numeric(body: str, q: dict[str, Any], lost: list[str]) -> dict[str, Any] | None:
    body = body.strip()
    if body.startswith("="):  # the multiple-answer form: #=1822:0 =%50%1822:2
        first = [raw for mark, raw in _split(body, "=") if mark][0]
        if len([1 for mark, _ in _split(body, "=") if mark]) > 1:
            lost.append(f"{q['id']}: GIFT's other numerical answers (partial credit) are not carried: only the first")
        body = re.sub(r"^\s*%\d+(?:\.\d+)?%", "", first)
    at = _find(body, "#")
    if at >= 0:
        if unescape(body[at + 1 :]).strip():
            lost.append(f"{q['id']}: the answer's feedback is not carried (the course shows its explanation)")
        body = body[:at]
    body = unescape(body).strip()
    q["type"] = "numeric"
    try:
        if ".." in body:
            low, high = (float(x) for x in body.split("..", 1))
            q["min"], q["max"] = low, high
        elif ":" in body:
            value, tolerance = (float(x) for x in body.split(":", 1))
            q["answer"] = value
            if tolerance:
                q["tolerance"] = abs(tolerance)
        else:
            q["answer"] = float(body)
    except ValueError:
        lost.append(f"{q['id']}: the numerical answer {body!r} is not a number; not imported")
        return None
    return q
