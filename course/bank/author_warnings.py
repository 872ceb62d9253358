"""Authors' warnings (:func:`course_warnings`): not mistakes, but questions that teach less than
they could -- the right option longest too often (or never), an absolute word in a true/false
prompt, a fact critical in several questions, a critical question that names no fact."""

from __future__ import annotations

import re
from typing import Mapping

from course.bank.models import Bank, Question, SingleChoice, TrueFalse
from course.bank.problems import BANK_LEVEL, Problem, _display
from course.bank.yaml_positions import _find_line, _question_lines


# --- authors' warnings: not mistakes, but questions that teach less than they could ----------------

WARNING = "warning"
LONGEST_RIGHT_SHARE = 0.5
"""Warn when the right option is the longest in more than this share of a bank's single-choice questions."""
NEVER_LONGEST_MIN = 6
"""Warn when a bank has at least this many single-choice questions and the right option is never the
longest in any: by chance it would be in about one of every (number of options), and learners
learn to rule the longest out as surely as to pick it."""
ABSOLUTE_WORDS = ("always", "never", "all", "none", "every", "everyone", "only", "fully", "completely")
"""Words that give a true/false prompt away (such a statement is nearly always false)."""
_ABSOLUTE = re.compile(r"\b(" + "|".join(ABSOLUTE_WORDS) + r")\b", re.IGNORECASE)


def course_warnings(banks: Mapping[str, Bank]) -> list[Problem]:
    """What a course author should look at, though nothing is wrong (``course validate`` prints
    these as ``file:line: question-id: warning: ...`` and still succeeds):

    - the right option is the longest in more than :data:`LONGEST_RIGHT_SHARE` of a bank's
      single-choice questions (learners learn to pick the longest), or never the longest in a bank
      of :data:`NEVER_LONGEST_MIN` or more (learners learn to rule the longest out);
    - a true/false prompt uses an absolute word (:data:`ABSOLUTE_WORDS`);
    - the same ``fact`` is critical in more than one question (across banks): one fact drilled
      as pass-or-fail several times;
    - a critical question names no ``fact``.
    """
    out: list[Problem] = []
    critical_facts: dict[str, list[tuple[Bank, Question]]] = {}
    lines_of: dict[str, dict[str, int]] = {}  # each bank's question lines, its file read once
    for bank in sorted(banks.values(), key=lambda b: b.lesson):
        name = _display(bank.path)
        lines = lines_of[bank.quiz] = _question_lines(bank.path)
        singles = [q for q in bank.questions if isinstance(q, SingleChoice)]
        longest = [q for q in singles if _right_is_longest(q)]
        if len(singles) >= 2 and len(longest) > LONGEST_RIGHT_SHARE * len(singles):
            out.append(Problem(
                name, BANK_LEVEL, WARNING,
                f"the right option is the longest in {len(longest)} of {len(singles)} single-choice questions "
                f"({100 * len(longest) / len(singles):.0f}%, more than {100 * LONGEST_RIGHT_SHARE:.0f}%): learners can pick it by its length "
                f"({', '.join(q.id for q in longest)})",
                _find_line(bank.path, "questions:"),
            ))  # fmt: skip
        if len(singles) >= NEVER_LONGEST_MIN and not longest:
            by_chance = sum(1 / len(q.options) for q in singles)
            out.append(Problem(
                name, BANK_LEVEL, WARNING,
                f"the right option is never the longest in the {len(singles)} single-choice questions (by chance it would be in about "
                f"{by_chance:.0f}): learners can rule the longest option out; let the right one be the longest in some",
                _find_line(bank.path, "questions:"),
            ))  # fmt: skip
        for q in bank.questions:
            if isinstance(q, TrueFalse):
                words = sorted({m.group(1).lower() for m in _ABSOLUTE.finditer(q.prompt)})
                if words:
                    out.append(Problem(name, q.id, WARNING, f"the true/false prompt says {', '.join(repr(w) for w in words)}: an absolute word gives the answer away (such a statement is nearly always false)", lines.get(q.id)))
            if q.critical and q.fact is None:
                out.append(Problem(name, q.id, WARNING, "a critical question names no fact (fact: ...), so the course cannot check that each critical fact is asked once", lines.get(q.id)))
            if q.critical and q.fact is not None:
                critical_facts.setdefault(q.fact, []).append((bank, q))
    for fact, found in critical_facts.items():
        if len(found) < 2:
            continue
        for bank, q in found:
            others = ", ".join(f"{o.id} ({_display(b.path)})" for b, o in found if o.id != q.id)
            out.append(Problem(_display(bank.path), q.id, WARNING, f"fact {fact!r} is critical in {len(found)} questions (also {others}): a learner fails on the same fact more than once; keep one critical", lines_of[bank.quiz].get(q.id)))
    return out


def _right_is_longest(q: SingleChoice) -> bool:
    right = [o for o in q.options if o.correct]
    wrong = [o for o in q.options if not o.correct]
    return bool(right and wrong) and len(right[0].text) > max(len(o.text) for o in wrong)
