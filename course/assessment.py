"""Drawing an assessment's questions from the course's banks: different for each learner, the same every time for that learner."""

from __future__ import annotations

import hashlib
import random

from course.bank import Bank, Course, Question


def draw(course: Course, bank: Bank, learner: str, *, sitting: int = 0) -> list[Question]:
    """The questions of ``bank`` for ``learner``: its own, then those drawn per ``bank.draw``.

    The draw is seeded by the quiz id, the learner and the sitting number (0 for the first
    attempt, 1 for a retake a trainer allowed, ...), so reopening the notebook shows the same
    questions and a retake gets a fresh draw. Only questions that can be graded automatically
    are drawn (no free text). At least ``min_per_bank`` come from each source bank; the rest
    are drawn from all of them together. With ``min_critical``, that many safety-critical
    questions are drawn first (from all source banks), and count toward ``min_per_bank``. The
    result is in a fixed, shuffled order.
    """
    questions = [q for q in bank.questions]
    if bank.draw is None:
        return questions
    seed = int.from_bytes(hashlib.sha256(f"{bank.quiz}\0{learner}\0{sitting}".encode()).digest()[:8], "big")
    rng = random.Random(seed)
    pools = {name: [q for q in course.bank(name).questions if q.gradable] for name in bank.draw.banks}
    chosen: list[Question] = []
    if bank.draw.min_critical:
        critical = [q for name in bank.draw.banks for q in pools[name] if q.critical]
        chosen.extend(rng.sample(critical, min(bank.draw.min_critical, len(critical))))
    for name in bank.draw.banks:
        have = {q.id for q in chosen}
        pool = [q for q in pools[name] if q.id not in have]
        already = sum(1 for q in pools[name] if q.id in have)
        chosen.extend(rng.sample(pool, min(max(0, bank.draw.min_per_bank - already), len(pool))))
    taken = {q.id for q in chosen}
    rest = [q for name in bank.draw.banks for q in pools[name] if q.id not in taken]
    need = max(0, bank.draw.count - len(chosen))
    chosen.extend(rng.sample(rest, min(need, len(rest))))
    rng.shuffle(chosen)
    return questions + chosen
