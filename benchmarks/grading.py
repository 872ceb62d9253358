"""Grades per second on a mixed bank: every gradable question of the course, right and wrong answers.

Run: .venv/bin/python benchmarks/grading.py
"""

from __future__ import annotations

import random
import statistics
import time

from course.bank import MultipleChoice, Matching, Numeric, Ordering, SingleChoice, TrueFalse, load_course
from course.grading import grade


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
        return [f" {value:g} {q.unit or ''}".rstrip(), "1,970"]
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
    print(f"{'benchmark':<34}{'figure':>16}")
    print(f"{'mixed bank (' + str(len(kinds)) + ' types, ' + str(len(work)) + ' cases)':<34}{'':>16}")
    print(f"{'grades per second (median)':<34}{statistics.median(rates):>16,.0f}")
    print(f"{'grades per second (worst round)':<34}{min(rates):>16,.0f}")


if __name__ == "__main__":
    main()
