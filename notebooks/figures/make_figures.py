"""Draw every lesson figure as a stored PNG: ``python notebooks/figures/make_figures.py`` (or ``make figures``).

Lessons show their figures as Markdown images (``![alt text](figures/<file>.png)``), so a figure is
seen without running anything: in a view that hides code, in the stored notebook on GitHub, in
static HTML. This module is the only place the figures are drawn.

- One function per figure, registered with ``@figure("<lesson stem>-<short name>")``; the image is
  written to ``notebooks/figures/<lesson stem>-<short name>.png``.
- Every number drawn comes from ``shared/source/article.txt`` or ``shared/source/clinical-facts.md``;
  the comments in each function say where (docs/lesson-conventions.md, "Figures").
- ``matplotlib.figure.Figure`` on an Agg canvas (``FigureCanvasAgg``), never pyplot: no global state
  is shared between figures (an rc setting a figure needs is given to ``@figure(rc=...)``), and
  importing this module (as the tests do) changes no matplotlib backend.
- The PNG is deterministic (no timestamp, no software version: the same code and the same
  matplotlib give the same bytes) and carries, in a text chunk, the SHA-256 of the source of the
  function that drew it together with ``save``'s (which sets the size and resolution of every
  image). tests/test_lessons.py compares that hash with today's source, so an image that no longer
  matches its code fails the tests without anything being redrawn.
"""

from __future__ import annotations

import hashlib
import inspect
import sys
from collections.abc import Callable
from pathlib import Path

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg  # the Agg canvas, given to each Figure in save()
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

HERE = Path(__file__).resolve().parent
HASH_KEY = "Source-SHA256"  # the PNG text chunk holding source_hash() of the drawing function
FUNCTION_KEY = "Source"  # the PNG text chunk naming the function, for a person reading the file

Draw = Callable[[], Figure]
FIGURES: dict[str, Draw] = {}  # file name -> the function that draws it, in lesson order
RC: dict[str, dict] = {}  # file name -> rc settings in force while it is drawn and saved


def figure(name: str, rc: dict | None = None) -> Callable[[Draw], Draw]:
    """Register a drawing function for ``notebooks/figures/<name>.png``."""

    def register(draw: Draw) -> Draw:
        file = f"{name}.png"
        assert file not in FIGURES, f"two figures are called {file}"
        FIGURES[file] = draw
        RC[file] = dict(rc or {})
        return draw

    return register


def source_hash(draw: Draw) -> str:
    """SHA-256 of the source of ``draw`` (decorator included) and of ``save``: what the image depends on."""
    text = inspect.getsource(draw) + "\n" + inspect.getsource(save)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def save(fig: Figure, path: Path, draw: Draw) -> None:
    """Write ``fig`` as a PNG with no timestamp or version, carrying the hash of ``draw``'s source.

    150 dpi on the lessons' 9-inch figures gives images about 1,300 px wide: sharp in a 1280 px
    window and on high-density screens, and scaled down to the column on a 375 px phone.
    """
    FigureCanvasAgg(fig)
    metadata = {
        "Software": None,  # matplotlib's default names its version: leave it out
        FUNCTION_KEY: f"notebooks/figures/make_figures.py:{draw.__name__}",
        HASH_KEY: source_hash(draw),
    }
    fig.savefig(path, format="png", dpi=150, bbox_inches="tight", pad_inches=0.1,
                facecolor="white", metadata=metadata, pil_kwargs={"optimize": True})


def make(names: list[str] | None = None, folder: Path = HERE) -> list[Path]:
    """Draw and write the figures called ``names`` (default: all); return the paths written."""
    written = []
    for file in names or list(FIGURES):
        draw = FIGURES[file]
        with matplotlib.rc_context(RC[file]):  # rc in force while drawing and while saving
            fig = draw()
            save(fig, folder / file, draw)
        written.append(folder / file)
    return written


# --- 01_what_is_ketamine_therapy ---------------------------------------------------------------


@figure("01_what_is_ketamine_therapy-evidence")
def evidence_by_condition() -> Figure:
    # Each condition as the article names it, placed in a category that uses the fact
    # sheet's own words (clinical-facts.md: "Evidence by indication" and claim #1).
    # Categories only: there are no scores here, so none are drawn.
    categories = [
        "Strongest\nevidence",
        "Reduction within 1 day,\nlasting up to 1 week",
        "Weaker\nor mixed",
    ]
    conditions = [
        ("Major depression\n(treatment-resistant)", 0),
        ("Suicidal ideation", 1),
        ("Anxiety disorders", 2),
        ("OCD", 2),
        ("Chronic (neuropathic) pain", 2),
        ("Substance use disorders", 2),
    ]

    fig = Figure(figsize=(9, 3.5))
    ax = fig.subplots()
    for row, (name, column) in enumerate(conditions):
        ax.plot(column, row, "o", markersize=14, color="#1f5f8b")
    ax.set_xticks(range(len(categories)))
    ax.set_xticklabels(categories, fontsize=12)
    ax.set_yticks(range(len(conditions)))
    ax.set_yticklabels([name.replace("\n", " ") for name, _ in conditions], fontsize=12)
    ax.set_xlim(-0.5, len(categories) - 0.5)
    ax.set_ylim(len(conditions) - 0.5, -0.5)
    ax.set_xlabel("What the research shows (fact sheet wording)", fontsize=12)
    ax.set_ylabel("Condition named\nin the article", fontsize=12)
    ax.xaxis.tick_top()
    ax.xaxis.set_label_position("top")
    ax.grid(axis="y", color="0.9")
    for side in ("right", "bottom"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


# --- 02_history --------------------------------------------------------------------------------


@figure("02_history-timeline")
def history_timeline() -> Figure:
    # Every date below is in article.txt or clinical-facts.md ("History" and
    # "IV ketamine protocol"). reported=True marks facts the fact sheet has only
    # from a secondary source; they are drawn as open circles.
    # (year, label, reported, height of the label)
    events = [
        (1962, "1962\nFirst made at\nParke-Davis", True, 2.2),
        (1964, "1964\nFirst given to people:\n\"dissociative anesthetic\"", False, -2.2),
        (1970, "1970\nU.S. approval\n(as an anesthetic)", False, 1.0),
        (1985, "1985\nWHO Essential\nMedicines list", True, 1.0),
        (1999, "1999\nSchedule III", False, 1.0),
        (2000, "2000\nBerman et al.:\nfirst placebo-\ncontrolled report", False, -2.6),
        (2006, "2006\nZarate et al.:\neffect within\n2 hours", False, 2.6),
        (2019, "2019\nEsketamine\n(Spravato)\napproved for TRD", False, 2.2),
        (2023, "2023\nFDA warns: not\napproved for any\npsychiatric use", False, -2.2),
    ]

    fig = Figure(figsize=(9, 3.5))
    ax = fig.subplots()
    ax.axhline(0, color="0.3", linewidth=1.5, zorder=1)
    # The article gives only the decade for the first antidepressant finding.
    ax.fill_between([1990, 1999.9], -0.7, 0.7, color="#f2c14e", alpha=0.6, zorder=0)
    ax.text(1993.5, -0.95, "1990s:\nantidepressant\neffect noticed", ha="center",
            va="top", fontsize=10)
    for year, label, reported, height in events:
        ax.plot([year, year], [0, height * 0.82], color="0.6", linewidth=1, zorder=1)
        ax.plot(year, 0, "o", markersize=10, zorder=2,
                markerfacecolor="white" if reported else "#1f5f8b",
                markeredgecolor="#1f5f8b", markeredgewidth=2)
        if reported:
            label = label + "\n(reported)"
        ax.text(year, height, label, ha="center",
                va="bottom" if height > 0 else "top", fontsize=10)
    ax.plot([], [], "o", color="#1f5f8b", markersize=9, label="documented")
    ax.plot([], [], "o", markerfacecolor="white", markeredgecolor="#1f5f8b",
            markeredgewidth=2, markersize=9, label="reported (secondary source)")
    ax.legend(loc="lower center", bbox_to_anchor=(0.36, 0.0), fontsize=9, frameon=False)
    ax.set_xlim(1957, 2028)
    ax.set_ylim(-5.6, 4.6)
    ax.set_yticks([])
    ax.set_xlabel("Year", fontsize=12)
    ax.tick_params(axis="x", labelsize=11)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


# --- 03_mechanism ------------------------------------------------------------------------------


@figure("03_mechanism-cascade")
def mechanism_cascade() -> Figure:
    # Figure 1 - the leading hypothesis as a chain of boxes and arrows (no data: a diagram).
    steps = [
        "1. Ketamine blocks\nNMDA receptors on\nGABA interneurons",
        "2. Less\ninhibition",
        "3. Surge of\nglutamate",
        "4. AMPA receptors\nactivated",
        "5. BDNF\nreleased",
        "6. mTORC1\nsignalling",
        "7. New synapses\n(synaptogenesis)",
    ]
    # Steps 1-4 run left to right on the top row, steps 5-7 right to left on the bottom row.
    positions = [(1.15, 2.55), (3.72, 2.55), (6.28, 2.55), (8.85, 2.55),
                 (8.85, 0.75), (6.28, 0.75), (3.72, 0.75)]
    box_w, box_h = 2.15, 1.05

    fig = Figure(figsize=(9, 3.5))
    ax = fig.subplots()
    for text, (x, y) in zip(steps, positions):
        ax.add_patch(FancyBboxPatch((x - box_w / 2, y - box_h / 2), box_w, box_h,
                                    boxstyle="round,pad=0.05", facecolor="#dbe9f6",
                                    edgecolor="#2b5d8a", linewidth=1.5))
        ax.text(x, y, text, ha="center", va="center", fontsize=11)

    for (x1, y1), (x2, y2) in zip(positions, positions[1:]):
        if y1 == y2:  # same row: from the edge of one box to the edge of the next
            d = 1 if x2 > x1 else -1
            start, end = (x1 + d * (box_w / 2 + 0.05), y1), (x2 - d * (box_w / 2 + 0.05), y2)
        else:         # step 4 down to step 5
            start, end = (x1, y1 - box_h / 2 - 0.05), (x2, y2 + box_h / 2 + 0.05)
        ax.annotate("", xy=end, xytext=start,
                    arrowprops=dict(arrowstyle="-|>", color="#333333", lw=2, mutation_scale=18))

    ax.text(1.15, 0.75, "A hypothesis,\nnot a settled fact.\nOther routes\nare debated.",
            ha="center", va="center", fontsize=11, style="italic", color="#555555")
    ax.set_title("How ketamine is thought to work:\nleading hypothesis, mostly from animal studies",
                 fontsize=13)
    ax.set_xlim(0, 10)
    ax.set_ylim(0.1, 3.2)
    ax.axis("off")
    return fig


# --- 04_treatment_protocol ---------------------------------------------------------------------


@figure("04_treatment_protocol-schedule")
def illustrative_schedule() -> Figure:
    # Figure 1 - ILLUSTRATIVE: the research course, then the article's maintenance phase.
    # Sourced: 6 infusions, three a week, over about 2 weeks (Murrough 2013: up to 6 over 12 days;
    # Phillips 2019: 6 over 2 weeks). NOT sourced: which days. Monday, Wednesday, Friday (days 1, 3,
    # 5, 8, 10, 12) are an example only, and the figure says so. This is not the clinic's protocol.
    infusion_days = [1, 3, 5, 8, 10, 12]
    weekday = {1: "Mon", 3: "Wed", 5: "Fri", 8: "Mon", 10: "Wed", 12: "Fri"}

    fig = Figure(figsize=(9, 3.5))
    ax = fig.subplots()
    ax.scatter(infusion_days, [1] * len(infusion_days), s=520, color="#2b5d8a", zorder=3)
    for number, day in enumerate(infusion_days, start=1):
        ax.text(day, 1, str(number), ha="center", va="center", color="white",
                fontsize=12, fontweight="bold", zorder=4)
        ax.text(day, 0.78, weekday[day], ha="center", va="center", fontsize=10,
                color="#555555", style="italic")
    ax.text(4, 1.5, "Week 1", ha="center", fontsize=12)
    ax.text(11, 1.5, "Week 2", ha="center", fontsize=12)
    ax.text(7.5, 0.45, "Research courses: 6 infusions, three a week\n(the days are an example)",
            ha="center", va="center", fontsize=11)

    # Maintenance: the article gives only a range of intervals, so no infusions or dates are drawn.
    ax.text(15.3, 1, "...", ha="center", va="center", fontsize=16, color="#555555")
    ax.axvspan(16.3, 27, ymin=0.08, ymax=0.92, color="#eeeeee", zorder=1)
    ax.text(21.65, 1.3, "Maintenance, if needed", ha="center", va="center",
            fontsize=12, fontweight="bold")
    ax.text(21.65, 0.9,
            "Interval varies: every few weeks\n"
            "to every few months (article).\n"
            "No schedule has an evidence base.\n"
            "(not drawn to scale)",
            ha="center", va="center", fontsize=11)

    ax.set_xlim(0, 27)
    ax.set_ylim(0.2, 1.8)
    ax.set_xticks(range(1, 15))
    ax.spines["bottom"].set_bounds(0.5, 14.5)
    ax.set_xlabel("Day of the initial course (example days)", fontsize=12, loc="left")
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=11)
    ax.set_title("Illustrative only, not the clinic's protocol:\n"
                 "a research-style initial course, then maintenance if needed", fontsize=13)
    return fig


@figure("04_treatment_protocol-spravato-dosing", rc={"font.size": 12})
def spravato_dosing() -> Figure:
    # Spravato dosing for treatment-resistant depression, from the prescribing information
    # (clinical-facts.md: Esketamine (Spravato), [firm]). Sourced: 56 mg on day 1; 56 or 84 mg
    # twice a week in weeks 1-4; once a week in weeks 5-8; then every 1-2 weeks; 28 mg a device;
    # 84 mg twice a week for 4 weeks in MDD with suicidal ideation; 28 mg start at 65 or over.
    # NOT sourced: the weekdays of the sessions (drawn evenly, as an example) and the dose in
    # weeks 5-8 and after (the fact sheet gives none, so none is written).
    fig = Figure(figsize=(9, 3.5))
    ax = fig.subplots()
    blue, grey = "#2b5d8a", "#777777"

    # Weeks 1-4: twice a week (sessions drawn at example half-weeks).
    twice = [0.15 + 0.5 * n for n in range(8)]
    ax.scatter(twice, [1] * 8, s=160, color=blue, zorder=3)
    ax.scatter([0.15], [1], s=420, facecolors="none", edgecolors=blue, linewidths=2, zorder=3)
    ax.annotate("Day 1: 56 mg", (0.15, 1.12), (0.15, 1.62), ha="left", fontsize=12,
                arrowprops={"arrowstyle": "-", "color": blue})
    ax.text(2, 0.62, "Weeks 1–4: twice a week\n56 or 84 mg", ha="center", va="center")
    # Weeks 5-8: once a week.
    once = [4.15 + n for n in range(4)]
    ax.scatter(once, [1] * 4, s=160, color=blue, zorder=3)
    ax.text(6, 0.62, "Weeks 5–8:\nonce a week", ha="center", va="center")
    # Week 9 on: every 1-2 weeks (open-ended, so a dashed line, no dots).
    ax.plot([8.3, 11.8], [1, 1], linestyle="--", color=grey, linewidth=2)
    ax.text(10, 0.62, "Then every\n1–2 weeks", ha="center", va="center")

    for x in (4, 8):
        ax.axvline(x, ymin=0.2, ymax=0.55, color="0.85", zorder=1)
    ax.text(3.6, 1.62, "Each device: 28 mg.  Aged 65 or over: start at 28 mg.\n"
            "MDD with suicidal ideation: 84 mg twice a week for 4 weeks.",
            ha="left", va="center", fontsize=11, color="#333333")
    ax.set_xlim(-0.3, 12)
    ax.set_ylim(0.35, 1.9)
    ax.set_xticks(range(0, 13))
    ax.set_xlabel("Weeks from the first dose (session days are an example)", fontsize=12, loc="left")
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_title("Spravato in treatment-resistant depression: the label's schedule", fontsize=13)
    return fig


# --- 05_side_effects_and_safety ----------------------------------------------------------------


@figure("05_side_effects_and_safety-iv-time-course", rc={"font.size": 12})
def iv_time_course() -> Figure:
    # Figure 1 - IV ketamine: only the time points the sources give, no curves.
    fig = Figure(figsize=(9, 3.5))
    ax = fig.subplots()

    # The research-standard infusion: 40 minutes.
    ax.barh(3, 40, height=0.4, color="0.75")
    ax.text(46, 3, "research-standard infusion: 40 min", va="center")

    # NIMH pooled data: most side effects peak within 1 h and are gone within 2 h.
    # (The source does not say from when these times count; drawn from the infusion start.)
    ax.barh(2, 60, height=0.4, color="tab:orange", alpha=0.35)
    ax.text(30, 2, "peak within 1 h", ha="center", va="center")
    ax.plot(120, 2, marker="|", markersize=22, markeredgewidth=3, color="tab:orange")
    ax.text(127, 2, "gone within 2 h", va="center")

    # NIMH pooled data: the common ones all resolved within 4 h.
    ax.plot(240, 1, marker="|", markersize=22, markeredgewidth=3, color="tab:purple")
    ax.text(233, 1, "all resolved within 4 h", ha="right", va="center")

    # Yale review: blood pressure peaks about 40 min after the infusion starts.
    ax.plot(40, 0, marker="o", markersize=10, color="tab:red")
    ax.text(40, -0.4, "peak ≈ 40 min\n(+16/+11 mmHg on average)",
            ha="center", va="top", fontsize=11)
    # Study of 49 patients: back to baseline within 1.5 h after the infusion ends
    # (drawn here after a 40-minute infusion).
    ax.annotate("", xy=(130, 0), xytext=(40, 0),
                arrowprops=dict(arrowstyle="->", color="tab:red", lw=2))
    ax.text(136, 0, "back to baseline within 1.5 h\nafter the infusion ends",
            va="center", fontsize=11)

    ax.set_yticks([3, 2, 1, 0])
    ax.set_yticklabels(["Infusion", "Most side effects", "Common side effects",
                        "Blood pressure"])
    ax.set_xlim(0, 260)
    ax.set_ylim(-1.3, 3.5)
    ax.set_xticks([0, 40, 60, 120, 180, 240])
    ax.set_xlabel("Minutes after the IV infusion starts")
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    fig.tight_layout()
    return fig


@figure("05_side_effects_and_safety-spravato-time-course", rc={"font.size": 12})
def spravato_time_course() -> Figure:
    # Figure 2 - Spravato: only the time points the label and the REMS give.
    fig = Figure(figsize=(9, 3.5))
    ax = fig.subplots()

    # Label: sedation begins about 15 min after dosing, peaks at 30-45 min,
    # and resolves by 1-1.5 h.
    ax.plot(15, 2, marker="o", markersize=9, color="tab:blue")
    ax.text(15, 1.7, "begins ≈ 15 min", ha="center", va="top", fontsize=11)
    ax.barh(2, 15, left=30, height=0.4, color="tab:blue", alpha=0.6)
    ax.text(37.5, 2.3, "peak 30–45 min", ha="center", va="bottom", fontsize=11)
    ax.barh(2, 30, left=60, height=0.4, color="tab:blue", alpha=0.2)
    ax.text(75, 1.7, "resolved by 1–1.5 h", ha="center", va="top", fontsize=11)

    # Label: blood pressure checked before dosing and at about 40 min.
    for minute, label in [(0, "before the dose"), (40, "≈ 40 min")]:
        ax.plot(minute, 1, marker="v", markersize=11, color="tab:red")
        ax.text(minute, 0.75, label, ha="center", va="top", fontsize=11)

    # REMS: monitored for at least 2 h, and until the effects resolve and the
    # patient is safe to leave (no fixed end: dashed).
    ax.barh(0, 120, height=0.4, color="tab:green", alpha=0.5)
    ax.text(60, 0, "at least 2 h", ha="center", va="center")
    ax.plot([120, 145], [0, 0], linestyle="--", color="tab:green", lw=2)
    ax.text(122, -0.35, "and until safe to leave", va="top", fontsize=11)
    ax.text(140, 1.1, "then: no driving until\nthe next day, after a\nrestful sleep",
            va="center", fontsize=11)

    ax.set_yticks([2, 1, 0])
    ax.set_yticklabels(["Sedation", "Blood-pressure check", "Monitoring"])
    ax.set_xlim(-10, 205)
    ax.set_ylim(-0.9, 2.8)
    ax.set_xticks([0, 15, 30, 45, 60, 90, 120])
    ax.set_xlabel("Minutes after the Spravato dose")
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    fig.tight_layout()
    return fig


def main(argv: list[str]) -> None:
    """Draw the figures named on the command line (file names, ``.png`` optional), or all of them."""
    names = [a if a.endswith(".png") else f"{a}.png" for a in argv]
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        raise SystemExit(f"no such figure: {', '.join(unknown)} (known: {', '.join(FIGURES)})")
    for path in make(names or None):
        print(path.relative_to(HERE.parent.parent))


if __name__ == "__main__":
    main(sys.argv[1:])
