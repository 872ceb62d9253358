"""The lesson notebooks' generated cells: what a reader sees without a running course, and the way around.

A lesson's quizzes are live widgets, so a lesson read without the course running — the stored
notebook, GitHub's viewer, static HTML or a PDF from nbconvert — would show no question at all.
:func:`sync_notebook` writes, from the question banks, the cells that make it readable there:

- before each quiz cell, a Markdown cell tagged ``static-only`` printing that quiz's questions and
  options (never which is right: choices in alphabetical order, no explanation) and where to
  answer them; the course's Voilà template leaves these cells out, as the live quiz is there;
- before the course home's cell, the list of lessons with links (also ``static-only``);
- at the top and the bottom of each lesson, links to the course home and the next lesson
  (tagged ``course-nav``; shown everywhere);
- the notebook's ``title`` (the page title in Voilà), and every code cell's input hidden in
  JupyterLab (``jupyter.source_hidden``): a member of staff never needs to see it.

Authors never edit these cells by hand: ``make lessons`` (``course lessons``) writes them again
after a bank or a lesson changes, and the tests fail while a notebook is out of date.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path

import nbformat

from course.bank import Bank, Course, FreeText, Matching, MultipleChoice, Numeric, Ordering, Question, SingleChoice, TrueFalse

STATIC = "static-only"
NAV = "course-nav"
GENERATED = "course-generated"
HOME = "home.ipynb"
COURSE_TITLE = "Ketamine therapy: a course for clinic staff"
WHERE_TO_ANSWER = (
    "*To answer these questions and see the feedback, open this lesson in the course: "
    "the course home page lists every lesson (on your clinic's JupyterHub, or `make lab` on your own computer).*"
)


@dataclass(frozen=True)
class Lesson:
    """A lesson in course order: its notebook, its number and title (from its bank)."""

    notebook: str
    number: int
    title: str


def lessons(course: Course) -> list[Lesson]:
    """Every lesson of the course, in order (one per bank, numbered from the notebook's name)."""
    found = []
    for bank in sorted(course.banks.values(), key=lambda b: b.lesson):
        stem = bank.lesson.split("_", 1)[0]
        found.append(Lesson(bank.lesson, int(stem) if stem.isdigit() else len(found), bank.title))
    return found


# --- the printed questions ---------------------------------------------------------------------


_MARKDOWN_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]#|"} | {"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def _text(value: str) -> str:
    """An option's text as Markdown that shows exactly that text (no markup, no HTML)."""
    return value.translate(_MARKDOWN_SPECIAL)


def _alphabetical(texts: list[str]) -> list[str]:
    return sorted(texts, key=str.casefold)


def static_question(q: Question, number: int, count: int) -> str:
    """One question as printed Markdown: its prompt and choices, never its key."""
    head = f"**Question {number} of {count}**"
    if q.critical:
        head += " · **Safety-critical**"
    if q.points != 1:
        head += f" · {q.points:g} points"
    lines = [head, "", q.prompt.strip(), ""]
    if isinstance(q, (SingleChoice, MultipleChoice)):
        lines.append("Choose one:" if isinstance(q, SingleChoice) else "Tick every answer that applies:")
        lines.append("")
        lines += [f"- {'○' if isinstance(q, SingleChoice) else '☐'} {_text(t)}" for t in _alphabetical([o.text for o in q.options])]
    elif isinstance(q, TrueFalse):
        lines += ["- ○ True", "- ○ False"]
    elif isinstance(q, Numeric):
        lines.append(f"Type a number{f' (in {_text(q.unit)})' if q.unit else ''}.")
    elif isinstance(q, Ordering):
        lines.append("The items (here in alphabetical order):")
        lines.append("")
        lines += [f"- {_text(t)}" for t in _alphabetical([i.text for i in q.items])]
    elif isinstance(q, Matching):
        lines.append("Match each of these:")
        lines.append("")
        lines += [f"- {_text(p.left)} → …" for p in q.pairs]
        lines += ["", "with one of these:", ""]
        lines += [f"- {_text(t)}" for t in _alphabetical([r.text for r in q.right_items()])]
    elif isinstance(q, FreeText):
        lines.append("Write your answer in your own words; your trainer reads and scores it.")
    return "\n".join(lines).rstrip()


def static_quiz(bank: Bank, section: str | None) -> str:
    """The printed form of a quiz cell: its questions and where to answer them."""
    if bank.mode == "assessment":
        drawn = f"{bank.draw.count} questions drawn for each learner" if bank.draw else "its questions"
        if bank.draw and bank.draw.written:
            drawn += f" from the sections of their role, and {bank.draw.written} written scenario{'s' * (bank.draw.written != 1)} a trainer scores"
        return (
            f"### {bank.title}: in the course\n\n"
            f"The assessment shows {drawn} when you open it in the course; they are not printed here. "
            f"You need {bank.pass_mark or 0:g}% and every safety-critical question right to pass.\n\n" + WHERE_TO_ANSWER
        )
    questions = bank.section(section) if section else list(bank.questions)
    parts = [static_question(q, bank.questions.index(q) + 1, len(bank.questions)) for q in questions]
    return "\n\n---\n\n".join(parts) + "\n\n" + WHERE_TO_ANSWER


def static_home(course: Course) -> str:
    """The course home as printed Markdown: the lessons in order, with links."""
    items = [f"{lesson.number}. [{_text(lesson.title)}]({lesson.notebook})" for lesson in lessons(course)]
    return (
        "### The lessons\n\n" + "\n".join(items) + "\n\n"
        "*Your progress, the next lesson to take and the final assessment show here when you open the course "
        "(on your clinic's JupyterHub, or `make lab` on your own computer).*"
    )


def navigation(course: Course, notebook: str, *, top: bool) -> str:
    """Links to the course home and to the next lesson, for the top or the bottom of a lesson."""
    order = lessons(course)
    index = next((n for n, lesson in enumerate(order) if lesson.notebook == notebook), None)
    home = f"[← Course home]({HOME})"
    if index is None:
        return home
    here = order[index]
    if top:
        return f"{home} · Start here" if here.number == 0 else f"{home} · Lesson {here.number} of {order[-1].number}"
    if index + 1 < len(order):
        following = order[index + 1]
        return f"{home} · [Next: {_text(following.title)} →]({following.notebook})"
    return f"{home} · You have reached the end of the course."


# --- writing the cells -------------------------------------------------------------------------


def _call(cell: nbformat.NotebookNode) -> tuple[str, list[object], dict[str, object]] | None:
    """The course function a code cell calls (show_quiz, show_course_home, ...), with its arguments."""
    try:
        tree = ast.parse(cell.source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id.startswith("show_"):
            args = [a.value for a in node.args if isinstance(a, ast.Constant)]
            kwargs = {k.arg: k.value.value for k in node.keywords if k.arg and isinstance(k.value, ast.Constant)}
            return node.func.id, args, kwargs
    return None


def _generated(source: str, *tags: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(source)
    cell.metadata["tags"] = [*tags, GENERATED]
    return cell


def _is_generated(cell: nbformat.NotebookNode) -> bool:
    return GENERATED in cell.get("metadata", {}).get("tags", [])


def _same(a: nbformat.NotebookNode, b: nbformat.NotebookNode) -> bool:
    return a.cell_type == b.cell_type and a.source == b.source and a.metadata.get("tags") == b.metadata.get("tags")


def expected_cells(nb: nbformat.NotebookNode, course: Course, notebook: str) -> list[nbformat.NotebookNode]:
    """The notebook's cells with its generated cells as they should be (others untouched)."""
    authored = [c for c in nb.cells if not _is_generated(c)]
    out: list[nbformat.NotebookNode] = []
    lesson = notebook != HOME
    for index, cell in enumerate(authored):
        if cell.cell_type == "code":
            call = _call(cell)
            if call and call[0] == "show_quiz" and call[1]:
                bank = course.bank(str(call[1][0]))
                section = call[2].get("section")
                out.append(_generated(static_quiz(bank, str(section) if section else None), STATIC))
            elif call and call[0] == "show_course_home":
                out.append(_generated(static_home(course), STATIC))
        out.append(cell)
        if lesson and index == 0:
            out.append(_generated(navigation(course, notebook, top=True), NAV))
    if lesson:
        out.append(_generated(navigation(course, notebook, top=False), NAV))
    return out


def sync_notebook(path: Path, course: Course, *, write: bool = True) -> bool:
    """Bring a notebook's generated cells, title and hidden inputs up to date; True if it changed.

    With ``write=False`` only tells whether it would change (for ``course lessons --check``).
    Cell ids of unchanged cells are kept, so a diff shows only what changed.
    """
    nb = nbformat.read(path, as_version=4)
    before = json.dumps(nb, sort_keys=True)
    old = [c for c in nb.cells if _is_generated(c)]
    cells = expected_cells(nb, course, path.name)
    for n, cell in enumerate(cells):
        if _is_generated(cell):
            match = next((o for o in old if _same(o, cell)), None)
            if match is not None:
                cells[n] = match
                old.remove(match)
        elif cell.cell_type == "code":
            cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
    nb.cells = cells
    title = _title(course, path.name)
    if title:
        nb.metadata["title"] = title
    changed = json.dumps(nb, sort_keys=True) != before
    if changed and write:
        nbformat.write(nb, path)
    return changed


def _title(course: Course, notebook: str) -> str | None:
    if notebook == HOME:
        return COURSE_TITLE
    lesson = next((item for item in lessons(course) if item.notebook == notebook), None)
    return f"{lesson.number}. {lesson.title} — {COURSE_TITLE}" if lesson else None


def notebooks_to_sync(folder: Path, course: Course) -> list[Path]:
    """The course home and every lesson notebook of the course that exists in ``folder``."""
    names = [HOME, *[lesson.notebook for lesson in lessons(course)]]
    return [folder / name for name in names if (folder / name).exists()]
