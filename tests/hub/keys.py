"""Fingerprints of the answer keys: text only the full banks hold, to search a kernel's memory and files for.

For every question, a run of words from its explanation (what a learner sees only with a grade)
that stands on one line of its bank file — so a plain search finds the file — and appears nowhere
a learner is meant to read: not in any lesson notebook, not in any prompt or choice, not in the
clinic's source documents (when they are at hand). Finding one in memory, or in a file that holds
explanations (a bank, or a copy or dump of its questions), means the keys leaked. (An explanation
may paraphrase a source document, so a phrase found in a document without explanations is not.)
"""

from __future__ import annotations

from pathlib import Path

from course.bank import Course

WORDS = 6


def public_text(course: Course, notebooks: Path, sources: list[Path]) -> str:
    """Everything a learner may legitimately read, as one string."""
    parts = [p.read_text(encoding="utf-8") for p in sorted(notebooks.glob("*.ipynb"))]
    parts += [p.read_text(encoding="utf-8") for p in sources if p.exists()]
    for bank in course.banks.values():
        for q in bank.questions:  # what a page shows before any answer: the prompt and the choices
            parts.append(q.prompt)
            parts += [o.text for o in getattr(q, "options", [])]
            parts += [i.text for i in getattr(q, "items", [])]
            parts += [t for p in getattr(q, "pairs", []) for t in (p.left, p.right)]
            parts += [d.text for d in getattr(q, "distractors", [])]
    return "\n".join(parts)


def fingerprints(course: Course, notebooks: Path, sources: list[Path]) -> dict[str, str]:
    """Question id -> a fingerprint of its key (questions whose explanation yields none are left out)."""
    public = public_text(course, notebooks, sources)
    found: dict[str, str] = {}
    for bank in course.banks.values():
        lines = bank.path.read_text(encoding="utf-8").splitlines()
        for q in bank.questions:
            words = q.explanation.split()
            for start in range(0, max(0, len(words) - WORDS) + 1):
                phrase = " ".join(words[start : start + WORDS])
                if len(phrase) >= 30 and phrase not in public and any(phrase in line for line in lines):
                    found[q.id] = phrase
                    break
    return found
