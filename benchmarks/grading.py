"""Grades per second on a mixed bank: every gradable question of the course, right and wrong answers.

Run: .venv/bin/python benchmarks/grading.py [--json]
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
import statistics
import time

from course.bank import MultipleChoice, Matching, Numeric, Ordering, SingleChoice, TrueFalse, load_course
from course.grading import grade

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _figures import Figure, emit  # noqa: E402

TARGET_PER_SECOND = 10_000  # re-grading a clinic's history must take seconds, not minutes


def responses(q, rng: random.Random):
    """A right and a wrong (or partly right) response for ``q``."""
    if isinstance(q, SingleChoice):
        return [next(o.id for o in q.options if o.correct), rng.choice(q.options).id]
    if isinstance(q, MultipleChoice):
        return [[o.id for o in q.options if o.correct], [o.id for o in q.options[:2]]]
    if isinstance(q, TrueFalse):
        return [q.answer, not q.answer]
    if isinstance(q, Numeric):
        value = q.answer if q.answer is not None else q.min
        return [f" {value:g} {q.unit or ''}".rstrip(), "1 970"]  # "1,970" reads two ways: asked again, not graded
    if isinstance(q, Ordering):
        ids = [i.id for i in q.items]
        return [ids, list(reversed(ids))]
    if isinstance(q, Matching):
        ids = [p.id for p in q.pairs]
        return [{i: i for i in ids}, {i: ids[(n + 1) % len(ids)] for n, i in enumerate(ids)}]
    return ["A written answer for the trainer."]


def main(rounds: int = 7, per_round: int = 20_000) -> None:
    rng = random.Random(1)
    course = load_course()
    work = [(q, r) for b in course.banks.values() for q in b.questions for r in responses(q, rng)]
    kinds = sorted({q.type for q, _ in work})
    rates = []
    for _ in range(rounds):
        batch = [work[i % len(work)] for i in range(per_round)]
        start = time.perf_counter()
        for q, r in batch:
            grade(q, r)
        rates.append(per_round / (time.perf_counter() - start))
    emit(
        [
            Figure(f"grades/s, {len(kinds)} types, {len(work)} cases (median)", statistics.median(rates), "1/s", TARGET_PER_SECOND, higher_is_better=True),
            Figure("grades/s (worst round)", min(rates), "1/s"),
        ],
        "Grading",
    )


if __name__ == "__main__":
    main()
