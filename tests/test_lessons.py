"""The lesson notebooks follow the lesson conventions (docs/lesson-conventions.md) and fit their banks.

Every test is parametrised over the lesson notebooks found (``notebooks/[0-9][0-9]_*.ipynb``), so a
new lesson (such as ``07_final_assessment``) is checked as soon as it appears. Nothing is executed
here: the notebooks are read as JSON and their ``show_quiz`` calls are parsed with :mod:`ast`
(tests/test_notebooks.py runs them).

Decisions:

- ``## Sources`` is required in every lesson except the welcome lesson (``00_*``) and a lesson whose
  bank is an assessment (such as ``07_final_assessment``): those describe the course itself and make
  no clinical statement of their own, so a Sources section is optional there.
- A ``show_quiz("<quiz>")`` call without ``section=`` shows the whole bank, so it covers every
  section of that bank; a call with ``section=`` must sit inside that very ``##`` section.
- A figure is a stored image, never drawn at run time: a Markdown cell holding only
  ``![alt text](figures/<file>.png)``, the image drawn by ``notebooks/figures/make_figures.py``
  (``make figures``); the cell right after it must be its Markdown caption ``*Figure N.``. Each
  PNG carries the hash of the source of the function that drew it, so a stale image is found by
  comparing that hash with today's source, without redrawing. No lesson code cell imports
  matplotlib.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from collections import Counter
from pathlib import Path

import nbformat
import pytest
from PIL import Image

from course.bank import check_course, lesson_headings

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
QUIZ_DIR = ROOT / "quizzes"
LESSONS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
FIGURE_DIR = NOTEBOOK_DIR / "figures"

# A figure cell holds one Markdown image and nothing else: ![alt text](figures/<file>.png)
FIGURE = re.compile(r"^!\[(?P<alt>[^\]]*)\]\((?P<src>[^()\s]+)\)$")
ANY_IMAGE = re.compile(r"!\[|<img\b", re.IGNORECASE)
CAPTION = re.compile(r"^\*Figure (\d+)\.")
MATPLOTLIB = ("matplotlib", "pylab")


# --- helpers ----------------------------------------------------------------------------------


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def figure_cells(nb: nbformat.NotebookNode) -> list[tuple[int, str, str]]:
    """(cell index, alt text, image path) for each figure cell: a Markdown cell that is one image."""
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and (match := FIGURE.match(cell.source.strip())):
            found.append((index, match["alt"], match["src"]))
    return found


def figure_uses() -> dict[str, list[str]]:
    """Image path (relative to notebooks/) -> the lessons that show it."""
    uses: dict[str, list[str]] = {}
    for path in LESSONS:
        for _, _, src in figure_cells(read(path)):
            uses.setdefault(src, []).append(path.name)
    return uses


@pytest.fixture(scope="module")
def make_figures():
    """notebooks/figures/make_figures.py, imported from its file (it draws nothing on import)."""
    spec = importlib.util.spec_from_file_location("make_figures", FIGURE_DIR / "make_figures.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


def banks_and_problems():
    return check_course([QUIZ_DIR], notebooks=NOTEBOOK_DIR)


@pytest.fixture(scope="module")
def banks():
    found, problems = banks_and_problems()
    assert not problems, "the question banks have problems:\n" + "\n".join(map(str, problems))
    return found


def heading_lines(source: str) -> list[str]:
    return [line[3:].strip() for line in source.splitlines() if line.startswith("## ")]


def quiz_calls(nb: nbformat.NotebookNode) -> list[tuple[str, str | None, str | None, int]]:
    """(quiz, section or None, the ## section the call sits in, cell index) for each show_quiz call."""
    calls = []
    current: str | None = None
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            for heading in heading_lines(cell.source):
                current = heading
            continue
        if cell.cell_type != "code" or "show_quiz" not in cell.source:
            continue
        tree = ast.parse(cell.source)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name != "show_quiz":
                continue
            assert node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str), (
                f"cell {index}: show_quiz must name its quiz as a literal string"
            )
            section = None
            for kw in node.keywords:
                if kw.arg == "section":
                    assert isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str), (
                        f"cell {index}: section= must be a literal string"
                    )
                    section = kw.value.value
            calls.append((node.args[0].value, section, current, index))
    return calls


def sources_optional(path: Path, banks) -> bool:
    """The welcome lesson and assessment lessons make no clinical statement: Sources is optional."""
    if path.stem.startswith("00_"):
        return True
    return any(b.lesson == path.name and b.mode == "assessment" for b in banks.values())


# --- shape of every lesson --------------------------------------------------------------------


def test_lessons_are_found():
    assert len(LESSONS) >= 7, [p.name for p in LESSONS]


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_title_in_first_markdown_cell(path):
    first = next(c for c in read(path).cells if c.cell_type == "markdown")
    lines = first.source.strip().splitlines()
    assert lines and lines[0].startswith("# ") and lines[0][2:].strip(), f"{path.name}: first Markdown cell has no '# Title'"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_overview_with_questions_and_objectives(path):
    cells = [c.source for c in read(path).cells if c.cell_type == "markdown" and "Overview" in heading_lines(c.source)]
    assert cells, f"{path.name}: no '## Overview' section"
    overview = cells[0]
    assert "**Questions**" in overview, f"{path.name}: the Overview has no **Questions** list"
    assert "**Objectives**" in overview, f"{path.name}: the Overview has no **Objectives** list"
    for label in ("**Questions**", "**Objectives**"):
        after = overview.split(label, 1)[1]
        assert re.search(r"^\s*- \S", after, re.MULTILINE), f"{path.name}: {label} has no bullet list"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_key_points_section(path):
    headings = lesson_headings(path)
    assert "Key points" in headings, f"{path.name}: no '## Key points'"
    cell = next(c for c in read(path).cells if c.cell_type == "markdown" and "Key points" in heading_lines(c.source))
    bullets = re.findall(r"^- \S", cell.source, re.MULTILINE)
    assert 3 <= len(bullets) <= 6, f"{path.name}: Key points has {len(bullets)} bullets (3-6 expected)"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_sources_section(path, banks):
    headings = lesson_headings(path)
    if sources_optional(path, banks) and "Sources" not in headings:
        pytest.skip(f"{path.name} describes the course itself: Sources is optional")
    assert "Sources" in headings, f"{path.name}: no '## Sources'"
    cell = next(c for c in read(path).cells if c.cell_type == "markdown" and "Sources" in heading_lines(c.source))
    if not sources_optional(path, banks):
        assert "article.txt" in cell.source or "clinical-facts.md" in cell.source, (
            f"{path.name}: Sources names neither article.txt nor clinical-facts.md"
        )


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_no_outputs_or_execution_counts(path):
    for index, cell in enumerate(read(path).cells):
        if cell.cell_type == "code":
            assert not cell.get("outputs"), f"{path.name} cell {index} has outputs"
            assert cell.get("execution_count") is None, f"{path.name} cell {index} has an execution count"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_every_figure_has_a_numbered_caption(path):
    cells = read(path).cells
    figures = {index for index, _, _ in figure_cells(read(path))}
    expected = 1
    for index, cell in enumerate(cells):
        if index in figures:
            assert index + 1 < len(cells), f"{path.name}: the figure in cell {index} is the last cell"
            caption = cells[index + 1]
            assert caption.cell_type == "markdown", f"{path.name}: cell {index + 1} after the figure is not Markdown"
            match = CAPTION.match(caption.source.lstrip())
            assert match, f"{path.name}: the caption after cell {index} does not start with '*Figure {expected}.'"
            assert int(match.group(1)) == expected, f"{path.name}: figure in cell {index} is numbered {match.group(1)}, expected {expected}"
            expected += 1
        elif cell.cell_type == "markdown" and CAPTION.match(cell.source.lstrip()):
            assert index - 1 in figures, f"{path.name}: caption in cell {index} does not follow a figure image cell"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_every_image_is_a_figure_cell(path):
    """An image sits alone in its cell as Markdown (not <img>, which Voila does not inline), under figures/."""
    figures = {index for index, _, _ in figure_cells(read(path))}
    for index, cell in enumerate(read(path).cells):
        if cell.cell_type == "markdown" and ANY_IMAGE.search(cell.source):
            assert index in figures, (
                f"{path.name} cell {index}: an image must be a cell of its own, exactly '![alt text](figures/<file>.png)'"
            )


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_figure_images_exist_and_have_alt_text(path):
    for index, alt, src in figure_cells(read(path)):
        assert alt.strip(), f"{path.name} cell {index}: the image {src} has no alt text (describe the figure for a screen reader)"
        assert len(alt.split()) >= 5, f"{path.name} cell {index}: alt text {alt!r} is too short to describe the figure"
        image = NOTEBOOK_DIR / src
        assert src.startswith("figures/") and src.endswith(".png") and image.parent == FIGURE_DIR, (
            f"{path.name} cell {index}: {src} is not a PNG in notebooks/figures/"
        )
        assert image.is_file(), f"{path.name} cell {index}: {src} does not exist: run `make figures`"
        assert image.name.startswith(f"{path.stem}-"), f"{path.name} cell {index}: {image.name} should be named {path.stem}-<name>.png"


def test_every_figure_image_is_used_by_a_lesson(make_figures):
    used = {NOTEBOOK_DIR / src for src in figure_uses()}
    images = sorted(p for p in FIGURE_DIR.rglob("*") if p.is_file() and p.suffix.lower() in {".png", ".jpg", ".jpeg", ".gif", ".svg"})
    unused = [str(p.relative_to(NOTEBOOK_DIR)) for p in images if p not in used]
    assert not unused, f"images no lesson shows (remove them, or their function in make_figures.py): {unused}"
    undrawn = sorted(set(make_figures.FIGURES) - {p.name for p in used})
    assert not undrawn, f"make_figures.py draws figures no lesson shows: {undrawn}"


@pytest.mark.parametrize("src", sorted(figure_uses()))
def test_figure_image_is_up_to_date(src, make_figures):
    """The hash stored in the PNG is the hash of its drawing function's source today (nothing is redrawn)."""
    image = NOTEBOOK_DIR / src
    assert image.is_file(), f"{src} does not exist: run `make figures`"
    draw = make_figures.FIGURES.get(image.name)
    assert draw is not None, f"{src}: no function in notebooks/figures/make_figures.py draws it"
    stored = Image.open(image).text.get(make_figures.HASH_KEY)
    assert stored == make_figures.source_hash(draw), (
        f"{src} is out of date with {draw.__name__}() in notebooks/figures/make_figures.py: run `make figures` "
        "and commit the image"
    )


def test_figures_are_drawn_without_pyplot():
    tree = ast.parse((FIGURE_DIR / "make_figures.py").read_text())
    modules = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    modules |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    modules |= {f"{n.module}.{a.name}" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module for a in n.names}
    assert not {"matplotlib.pyplot", "pylab"} & modules, (
        "make_figures.py must draw on matplotlib.figure.Figure, not pyplot (global state)"
    )


def imported_modules(source: str) -> set[str]:
    """Top-level names of the modules a cell imports (IPython magics and shell lines are skipped)."""
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
    names = set()
    for node in ast.walk(ast.parse("\n".join(lines))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_no_lesson_code_cell_imports_matplotlib(path):
    """Figures are stored images: a lesson kernel never loads matplotlib (0.4-0.6 s each)."""
    for index, cell in enumerate(read(path).cells):
        if cell.cell_type != "code":
            continue
        imported = imported_modules(cell.source) & set(MATPLOTLIB)
        magic = re.search(r"^\s*%(matplotlib|pylab)\b", cell.source, re.MULTILINE)
        assert not imported and not magic, (
            f"{path.name} cell {index} uses {sorted(imported) or [magic.group(0).strip()]}: draw figures in "
            "notebooks/figures/make_figures.py and show the image (docs/lesson-conventions.md)"
        )


# --- lessons and their banks ------------------------------------------------------------------


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_show_quiz_names_an_existing_bank_of_this_lesson(path, banks):
    for quiz, _, _, index in quiz_calls(read(path)):
        assert quiz in banks, f"{path.name} cell {index}: show_quiz({quiz!r}) but quizzes/ has {sorted(banks)}"
        assert banks[quiz].lesson == path.name, f"{path.name} cell {index}: {quiz!r} belongs to {banks[quiz].lesson}"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_section_argument_is_a_heading_and_the_call_sits_in_it(path):
    headings = lesson_headings(path)
    for quiz, section, current, index in quiz_calls(read(path)):
        if section is None:
            continue
        assert section in headings, f"{path.name} cell {index}: section={section!r} is not a '##' heading"
        assert section == current, f"{path.name} cell {index}: show_quiz for {section!r} sits under {current!r}"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_every_bank_of_the_lesson_is_shown(path, banks):
    shown = {quiz for quiz, _, _, _ in quiz_calls(read(path))}
    for bank in banks.values():
        if bank.lesson == path.name:
            assert bank.quiz in shown, f"{path.name} never calls show_quiz({bank.quiz!r})"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_every_section_with_questions_is_checked_in_the_lesson(path, banks):
    calls = quiz_calls(read(path))
    headings = lesson_headings(path)
    for bank in banks.values():
        if bank.lesson != path.name or bank.mode != "practice":
            continue
        whole = any(quiz == bank.quiz and section is None for quiz, section, _, _ in calls)
        covered = {section for quiz, section, _, _ in calls if quiz == bank.quiz and section}
        for section in sorted({q.section for q in bank.questions}):
            assert section in headings, f"{bank.quiz}: section {section!r} is not a heading of {path.name}"
            assert whole or section in covered, f"{path.name}: section {section!r} has questions but no show_quiz for it"


def test_every_practice_bank_belongs_to_a_lesson(banks):
    names = {p.name for p in LESSONS}
    for bank in banks.values():
        assert bank.lesson in names, f"{bank.quiz}: lesson {bank.lesson!r} is not in notebooks/"


# --- the course as a whole --------------------------------------------------------------------


def clinical_banks(banks):
    """The practice banks of the clinical lessons (01 onwards; the welcome bank is about the course)."""
    return {q: b for q, b in banks.items() if b.mode == "practice" and not b.lesson.startswith("00_")}


def test_clinical_banks_size_and_variety(banks):
    clinical = clinical_banks(banks)
    assert len(clinical) >= 6, sorted(clinical)
    for quiz, bank in clinical.items():
        assert len(bank.questions) >= 8, f"{quiz}: {len(bank.questions)} questions (at least 8 expected)"
        types = Counter(q.type for q in bank.questions)
        assert len(types) >= 3, f"{quiz}: only {len(types)} question types ({dict(types)})"
    assert sum(len(b.questions) for b in clinical.values()) >= 60


def _text(q) -> str:
    return f"{q.id} {q.prompt}".lower()


SAFETY_TOPICS = {
    "monitoring during and after a session": lambda q: "monitor" in _text(q),
    "escalation to the clinician": lambda q: any(
        k in _text(q) for k in ("escalat", "handover", "hand over", "call the clinician", "clinician on site", "report to the prescriber")
    ),
    "esketamine monitoring period": lambda q: any(k in _text(q) for k in ("spravato", "esketamine"))
    and "monitor" in _text(q)
    and ("hour" in _text(q) or getattr(q, "answer", None) == 2),
    "no driving after a session": lambda q: "driv" in _text(q),
}


@pytest.mark.parametrize("topic", sorted(SAFETY_TOPICS))
def test_critical_questions_cover_safety_topic(banks, topic):
    critical = [q for b in clinical_banks(banks).values() for q in b.questions if q.critical]
    matching = [q.id for q in critical if SAFETY_TOPICS[topic](q)]
    assert matching, f"no critical question on {topic!r}; critical questions: {[q.id for q in critical]}"


def test_esketamine_monitoring_period_is_two_hours(banks):
    """The critical numeric question on the Spravato monitoring period expects at least 2 hours."""
    numeric = [
        q for b in clinical_banks(banks).values() for q in b.questions
        if q.critical and q.type == "numeric" and SAFETY_TOPICS["esketamine monitoring period"](q)
    ]
    assert numeric and all(q.answer == 2 for q in numeric), [(q.id, getattr(q, "answer", None)) for q in numeric]


def test_critical_questions_can_be_graded(banks):
    """An assessment draws critical questions and must grade them: none is free text."""
    for bank in banks.values():
        for q in bank.questions:
            if q.critical:
                assert q.gradable, f"{q.id} is critical but cannot be graded automatically"


def test_choice_distractors_have_feedback(banks):
    """Every wrong option of a choice question says why it is wrong (docs/writing-questions.md)."""
    missing = [
        f"{q.id}:{o.id}"
        for b in clinical_banks(banks).values() for q in b.questions
        if q.type in ("single_choice", "multiple_choice")
        for o in q.options if not o.correct and not o.feedback
    ]
    assert not missing, missing


# --- generated cells (course.lessons) ------------------------------------------------------------


def test_every_notebook_is_in_step_with_the_banks():
    """The printed questions and the links between lessons are written from the banks (`make lessons`)."""
    from course.bank import load_course
    from course.lessons import notebooks_to_sync, sync_notebook

    course = load_course(QUIZ_DIR)
    paths = notebooks_to_sync(NOTEBOOK_DIR, course)
    assert {p.name for p in paths} >= {"home.ipynb", *(p.name for p in LESSONS)}
    stale = [p.name for p in paths if sync_notebook(p, course, write=False)]
    assert not stale, f"out of date with the question banks: {stale}; run `make lessons`"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_every_quiz_cell_has_its_printed_questions_and_hidden_code(path, banks):
    nb = read(path)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        assert cell.metadata.get("jupyter", {}).get("source_hidden") is True, f"{path.name} cell {index}: code shown"
        if "show_quiz(" in cell.source:
            before = nb.cells[index - 1]
            assert "static-only" in before.metadata.get("tags", []), f"{path.name} cell {index}: no printed questions before the quiz"
    links = [c.source for c in nb.cells if "course-nav" in c.metadata.get("tags", [])]
    assert len(links) == 2 and all("(home.ipynb)" in link for link in links)
