"""Drawing an assessment's questions from the course's banks: different for each learner, the same every time for that learner.

An assessment's ``draw`` is its blueprint (``docs/writing-questions.md``): how many questions,
how many of each topic at least and at most, exactly how many safety-critical ones, how many
written scenarios a trainer scores, and per role the changes to the topics. A learner's draw
comes from the questions of the sections their role needs (every question without a role) and
always meets the blueprint when :func:`blueprint_problems` finds nothing: each question picked is
kept only if the rest of the blueprint can still be filled (:func:`_fillable`, a small flow).
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from course.bank import BANK_LEVEL, Bank, Blueprint, Course, Problem, Question, _display, _line_of, _parse_yaml
from course.roles import ROLES

NO_TOPIC = ""
"""The topic of a question that names none (no quota: it fills the count)."""


def draw(course: Course, bank: Bank, learner: str, *, sitting: int = 0, role: str | None = None) -> list[Question]:
    """The questions of ``bank`` for ``learner``: its own, then those drawn per ``bank.draw``.

    The draw is seeded by the quiz id, the learner and the sitting number (0 for the first
    attempt, 1 for a retake a trainer allowed, ...), so reopening the notebook shows the same
    questions and a retake gets a fresh draw. It follows the blueprint of ``role`` (the base one
    when None) over the questions of the sections that role needs: ``count`` questions that can be
    graded at once, in a shuffled order (at least ``min_per_bank`` from each bank, each topic
    between its min and max, exactly ``min_critical`` safety-critical ones), then ``written``
    free-text scenarios for a trainer to score. Where the banks cannot fill the blueprint (``course
    validate`` says so) it draws as close to it as it can.
    """
    questions = list(bank.questions)
    if bank.draw is None:
        return questions
    seed = int.from_bytes(hashlib.sha256(f"{bank.quiz}\0{learner}\0{sitting}".encode()).digest()[:8], "big")
    rng = random.Random(seed)
    plan = bank.draw.blueprint(role)
    pools = {name: course.bank(name).for_role(role) for name in bank.draw.banks}
    gradable = [(name, q) for name in bank.draw.banks for q in pools[name] if q.gradable]
    chosen = _pick(gradable, plan, rng)
    rng.shuffle(chosen)
    written = [q for name in bank.draw.banks for q in pools[name] if not q.gradable]
    own = {q.id for q in questions}
    written = [q for q in written if q.id not in own]
    chosen.extend(rng.sample(written, min(plan.written, len(written))))
    return questions + chosen


# --- following the blueprint ---------------------------------------------------------------------


def topic_of(q: Question) -> str:
    return q.topic or NO_TOPIC


def _pick(pool: Sequence[tuple[str, Question]], plan: Blueprint, rng: random.Random) -> list[Question]:
    """``plan.count`` questions of ``pool`` (bank, question) that meet the plan, drawn at random.

    First each bank is topped up to ``min_per_bank``, then the rest come from the whole pool; a
    question is taken only when the blueprint can still be filled with it, so the draw never runs
    into a dead end when the pool can fill the blueprint at all.
    """
    left = _Counts.of(q for _, q in pool)
    have = _Counts()
    chosen: list[Question] = []
    if not _fillable(have, left, plan):
        return _near(pool, plan, rng)
    seen: set[str] = set()

    def consider(candidates: list[Question], wanted: int) -> None:
        for q in candidates:
            if wanted <= 0 or len(chosen) >= plan.count:
                return
            if q.id in seen:
                continue
            seen.add(q.id)
            left.take(q)
            have.add(q)
            if _fillable(have, left, plan):
                chosen.append(q)
                wanted -= 1
            else:
                have.remove(q)  # no way to meet the blueprint with it: left out for good

    if plan.min_per_bank:
        by_bank: dict[str, list[Question]] = {}
        for name, q in pool:
            by_bank.setdefault(name, []).append(q)
        for name, items in by_bank.items():
            order = list(items)
            rng.shuffle(order)
            consider(order, plan.min_per_bank)
    order = [q for _, q in pool]
    rng.shuffle(order)
    consider(order, plan.count)
    return chosen


def _near(pool: Sequence[tuple[str, Question]], plan: Blueprint, rng: random.Random) -> list[Question]:
    """A draw as near the blueprint as banks that cannot fill it allow (``course validate`` says
    why): ``min_critical`` critical questions if there are, ``min_per_bank`` from each bank if
    there are, each topic's min if there are, the rest at random."""
    chosen: list[Question] = []
    taken: set[str] = set()

    def take(candidates: list[Question], n: int) -> None:
        candidates = [q for q in candidates if q.id not in taken]
        for q in rng.sample(candidates, min(max(0, n), len(candidates), plan.count - len(chosen))):
            chosen.append(q)
            taken.add(q.id)

    take([q for _, q in pool if q.critical], plan.min_critical)
    for name in dict.fromkeys(name for name, _ in pool):
        take([q for n, q in pool if n == name], plan.min_per_bank - sum(1 for n, q in pool if n == name and q.id in taken))
    for topic, quota in plan.topics.items():
        take([q for _, q in pool if topic_of(q) == topic], quota.min - sum(1 for q in chosen if topic_of(q) == topic))
    take([q for _, q in pool], plan.count)
    return chosen


@dataclass
class _Counts:
    """Questions counted by (topic, critical)."""

    counts: Counter[tuple[str, bool]]

    def __init__(self) -> None:
        self.counts = Counter()

    @classmethod
    def of(cls, questions: Iterable[Question]) -> _Counts:
        found = cls()
        for q in questions:
            found.add(q)
        return found

    def add(self, q: Question) -> None:
        self.counts[(topic_of(q), q.critical)] += 1

    def remove(self, q: Question) -> None:
        self.counts[(topic_of(q), q.critical)] -= 1

    def take(self, q: Question) -> None:
        self.remove(q)

    def topic(self, topic: str) -> int:
        return self.counts[(topic, True)] + self.counts[(topic, False)]

    def critical(self) -> int:
        return sum(n for (_, critical), n in self.counts.items() if critical)

    def total(self) -> int:
        return sum(self.counts.values())


def _fillable(have: _Counts, left: _Counts, plan: Blueprint) -> bool:
    """Whether questions still ``left`` can complete ``have`` to a draw that meets ``plan``
    (the count, every topic's min and max, exactly ``min_critical`` critical questions).

    Still to draw: P critical and Q other questions. A topic i (a_i critical and b_i other left)
    takes f_i in [low_i, high_i]; with the f_i fixed, the critical ones can number anything
    between sum(max(0, f_i - b_i)) and sum(min(a_i, f_i)), so the draw can be completed if and only
    if some f with sum(f) = P + Q has sum(max(0, f_i - b_i)) <= P and sum(max(0, f_i - a_i)) <= Q.
    Starting from f = low, each further question in a topic costs nothing (below both a_i and
    b_i), one of the two sums (between them) or both (above both); taking the free ones first,
    then the ones that cost one sum, then those that cost both is best, which leaves one range to
    check.
    """
    P = plan.min_critical - have.critical()
    Q = (plan.count - plan.min_critical) - (have.total() - have.critical())
    if P < 0 or Q < 0:
        return False
    topics = {t for t, _ in left.counts} | {t for t, _ in have.counts} | set(plan.topics)
    G0 = H0 = free = single_g = single_h = both = floor = 0
    for topic in topics:
        a, b = max(0, left.counts[(topic, True)]), max(0, left.counts[(topic, False)])
        quota = plan.topics.get(topic)
        got = have.topic(topic)
        low = max(0, (quota.min if quota else 0) - got)
        high = min((quota.max - got) if quota and quota.max is not None else a + b, a + b)
        if low > high:
            return False
        floor += low
        G0 += max(0, low - b)
        H0 += max(0, low - a)
        free += max(0, min(a, b, high) - low)
        single = max(0, min(max(a, b), high) - max(low, min(a, b)))
        if b < a:
            single_g += single
        else:
            single_h += single
        both += max(0, high - max(low, a, b))
    rest = P + Q - floor
    if rest < 0 or G0 > P or H0 > Q:
        return False
    rest -= min(rest, free)
    if rest > single_g + single_h + both:
        return False
    d = max(0, rest - single_g - single_h)
    lo = max(0, rest - d - single_h, rest - (Q - H0))
    hi = min(single_g, rest - d, P - G0 - d)
    return lo <= hi


# --- what `course validate` checks ---------------------------------------------------------------


def tracks(bank: Bank) -> list[str | None]:
    """The roles whose draws ``course validate`` checks: each role, and None (no role given)."""
    return [*ROLES, None]


def blueprint_problems(banks: Mapping[str, Bank], bank: Bank) -> list[Problem]:
    """Why the banks cannot fill ``bank``'s blueprint, role by role (empty when they can).

    Each problem names the field of the blueprint to change (the role's own when the role
    changed it) and the role's pool: a topic's min above its max, mins that add up to more than
    the count, a topic or the critical questions or the written scenarios a role's questions
    cannot fill, maxes that leave the count unfilled, or no way to meet them all at once.
    """
    assert bank.draw is not None
    draw_ = bank.draw
    name = _display(bank.path)
    try:
        root, _ = _parse_yaml(bank.path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        root = None
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()

    def report(field: str, message: str, where: tuple[str, ...]) -> None:
        if (field, message) in seen:
            return
        seen.add((field, message))
        problems.append(Problem(name, BANK_LEVEL, field, message, _line_of(root, where)))

    for role in draw_.roles:
        if role not in ROLES:
            report(f"draw.roles.{role}", f"{role!r} is not a role; the roles are: {', '.join(ROLES)}", ("draw", "roles", role))
    for role in tracks(bank):
        plan = draw_.blueprint(role)
        track = f"the {ROLES[role]} track" if role else "a learner without a role"

        def field_of(part: str) -> tuple[str, tuple[str, ...]]:
            if role and part in plan.overridden:
                return f"draw.roles.{role}.{part}", ("draw", "roles", role, *part.split("."))
            return f"draw.{part}", ("draw", *part.split("."))

        pool = [q for source in draw_.banks if source in banks for q in banks[source].for_role(role)]
        gradable = [q for q in pool if q.gradable]
        broken = False
        for topic, quota in plan.topics.items():
            field, where = field_of(f"topics.{topic}")
            held = sum(1 for q in gradable if topic_of(q) == topic)
            if quota.max is not None and quota.min > quota.max:
                report(field + ".min", f"min ({quota.min}) is above max ({quota.max})", where + ("min",))
                broken = True
            elif held < quota.min:
                report(field + ".min", f"asks for {quota.min} {topic} questions but {track} holds only {held} that can be graded", where + ("min",))
                broken = True
        mins = sum(q.min for q in plan.topics.values())
        if mins > plan.count:
            report("draw.count", f"the topics' mins add up to {mins}, more than count ({plan.count}), for {track}", ("draw", "count"))
            broken = True
        if len(gradable) < plan.count:
            report("draw.count", f"asks for {plan.count} questions but {track} holds only {len(gradable)} that can be graded", ("draw", "count"))
            broken = True
        critical = sum(1 for q in gradable if q.critical)
        field, where = field_of("min_critical")
        if critical < plan.min_critical:
            report(field, f"asks for {plan.min_critical} critical questions but {track} holds only {critical} that can be graded", where)
            broken = True
        if plan.min_critical > plan.count:
            report(field, f"{plan.min_critical} critical questions is more than count ({plan.count})", where)
            broken = True
        written = sum(1 for q in pool if not q.gradable)
        if written < plan.written:
            report("draw.written", f"asks for {plan.written} written scenario{'s' * (plan.written != 1)} but {track} holds only {written} free-text question{'s' * (written != 1)}", ("draw", "written"))
            broken = True
        if broken:
            continue
        most = sum(min(held, quota.max) if (quota := plan.topics.get(topic)) and quota.max is not None else held for topic, held in Counter(topic_of(q) for q in gradable).items())
        if most < plan.count:
            report("draw.count", f"the topics' maxes leave at most {most} of {plan.count} questions to draw for {track}; raise a max or add questions", ("draw", "count"))
            continue
        if not _fillable(_Counts(), _Counts.of(gradable), plan):
            field, where = field_of("min_critical")
            report(field, f"{track} cannot meet every topic's min and max with exactly {plan.min_critical} critical question{'s' * (plan.min_critical != 1)} (the critical questions sit in the wrong topics, or too few of the others do)", where)
    return problems
