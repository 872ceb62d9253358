"""Measuring a page of the learner's view in Chromium: option rows, their controls, code, width.

The learner's view (Voilà) scrolls inside ``#rendered_cells``, not the document, so a screenshot
with ``full_page=True`` stops at the window's height. :func:`show_all` makes the window as tall as
the page instead: every question is then inside the window, where ``document.elementFromPoint``
and mouse clicks reach it, and a plain screenshot is the whole page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROWS = ".quiz-question .widget-radio-box label, .quiz-question .widget-checkbox, .quiz-question .quiz-order-row, .quiz-question .quiz-match-row"
"""One option row each: a radio button's label, a check box, an ordering row, a matching row."""

CONTROLS = ".quiz-question input[type=radio], .quiz-question input[type=checkbox], .quiz-question .quiz-order-row button, .quiz-question .quiz-match-row select"
"""What a learner clicks to answer: radio buttons, check boxes, Up and Down, drop-downs."""

MAX_HEIGHT = 60_000  # px: far above the longest lesson (about 20,000 px at 375 px wide)

_HEIGHT = """() => {
  const cells = document.querySelector('#rendered_cells');
  return Math.max(document.documentElement.scrollHeight, cells ? cells.scrollHeight : 0);
}"""


_SETTLED = """() => new Promise((done) => {
  // Lumino lays the page out again on the next animation frames after a resize: wait until the
  // scrolling column fits the window and stays the same for two frames.
  let last = null, frames = 0;
  const check = () => {
    const cells = document.querySelector('#rendered_cells');
    const now = cells ? [Math.round(cells.getBoundingClientRect().width), cells.scrollHeight].join() : 'none';
    const fits = !cells || cells.getBoundingClientRect().width <= document.documentElement.clientWidth + 0.5;
    frames = now === last && fits ? frames + 1 : 0;
    last = now;
    if (frames >= 2) done(true); else requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})"""


def settle(page: Any) -> None:
    """Wait until the page's layout has followed the window's size."""
    page.evaluate(_SETTLED)


def show_all(page: Any, width: int) -> int:
    """Make the window ``width`` px wide and as tall as the page; return that height."""
    page.set_viewport_size({"width": width, "height": 900})
    settle(page)
    height = 900
    for _ in range(5):  # the page's height depends on its width: settle
        wanted = min(MAX_HEIGHT, max(900, page.evaluate(_HEIGHT)))
        if wanted == height:
            break
        height = wanted
        page.set_viewport_size({"width": width, "height": height})
        settle(page)
    return height


def screenshot(page: Any, width: int, path: Path) -> None:
    """The whole page, ``width`` px wide, as one PNG."""
    path.parent.mkdir(parents=True, exist_ok=True)
    show_all(page, width)
    page.screenshot(path=str(path), timeout=60_000)


# Everything is measured in one call per page and width (a call per element would take minutes).
_MEASURE = r"""([rowsSelector, controlsSelector]) => {
  const visible = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden'; };
  const describe = (e) => {
    const q = e.closest('.quiz-question');
    const id = q ? [...q.classList].find(c => c.startsWith('quiz-q-')) : '(no question)';
    return `${id}: ${(e.innerText || e.value || e.tagName).trim().replace(/\s+/g, ' ').slice(0, 70)}`;
  };
  const problems = [];
  const rows = [...document.querySelectorAll(rowsSelector)].filter(visible);
  const boxes = rows.map(e => e.getBoundingClientRect());
  for (let i = 0; i < rows.length; i++) {
    for (let j = i + 1; j < rows.length; j++) {
      const a = boxes[i], b = boxes[j];
      const across = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const down = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (across > 0.5 && down > 0.5) problems.push(`rows overlap by ${down.toFixed(1)} px: «${describe(rows[i])}» and «${describe(rows[j])}»`);
    }
  }
  // nothing in a quiz reaches past its cell (whose output area hides what overflows) or the window
  const width = document.documentElement.clientWidth;
  for (const output of document.querySelectorAll('.jp-OutputArea-output')) {
    const cell = output.closest('.jp-Cell') || output;
    const edge = Math.min(output.getBoundingClientRect().right, cell.getBoundingClientRect().right, width);
    for (const e of output.querySelectorAll('.quiz-question *, .quiz-home *, .quiz-learner-form *, .quiz-locked, .quiz-result-box, .quiz-notice')) {
      if (!visible(e)) continue;
      const r = e.getBoundingClientRect();
      if (r.right > edge + 1) problems.push(`cut off on the right by ${(r.right - edge).toFixed(0)} px: ${e.tagName}.${[...e.classList].join('.')} in «${describe(e)}»`);
    }
  }
  for (const row of rows) {
    const text = row.querySelector('span, .quiz-order-text, .quiz-match-left') || row;
    if (text.scrollWidth > text.clientWidth + 1 && getComputedStyle(text).overflowX !== 'visible') problems.push(`text cut off: «${describe(row)}»`);
  }
  // each control, at its centre: the control itself or its own label
  const controls = [];
  const all = [...document.querySelectorAll(controlsSelector)];
  for (const [index, c] of all.entries()) {
    if (!visible(c) || c.disabled) continue;
    const r = c.getBoundingClientRect();
    const x = r.left + r.width / 2, y = r.top + r.height / 2;
    const hit = document.elementFromPoint(x, y);
    const own = hit === c || (hit && c.contains(hit)) || (hit && hit === c.closest('label'));
    if (!own) problems.push(`the centre of a control is covered by ${hit ? hit.tagName + '.' + [...hit.classList].join('.') : 'nothing'}: «${describe(c)}»`);
    if (r.width < 12 || r.height < 12) problems.push(`a control is too small to tap (${r.width.toFixed(0)} × ${r.height.toFixed(0)} px): «${describe(c)}»`);
    controls.push({index, x, y, kind: c.tagName === 'SELECT' ? 'select' : c.tagName === 'BUTTON' ? 'button' : c.type, what: describe(c)});
  }
  // no code: no code cell's input area (a Markdown cell's text is in an input area of its own), no editor, no call in the text
  const inputs = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea, .jp-CodeCell .jp-Cell-inputWrapper, .jp-InputArea-editor, .jp-CodeMirrorEditor, .jp-InputArea .highlight')].filter(visible).length;
  const text = document.body.innerText;
  const cells = document.querySelector('#rendered_cells');
  return {
    problems, controls, rows: rows.length, inputs,
    code: ['show_quiz(', 'show_course_home(', 'show_learner_form(', 'import course', 'from course'].filter(s => text.includes(s)),
    sideways: {page: [document.documentElement.scrollWidth, document.documentElement.clientWidth], cells: cells ? [cells.scrollWidth, cells.clientWidth] : [0, 0]},
  };
}"""


def measure(page: Any) -> dict[str, Any]:
    """Problems of layout (overlapping rows, cut-off content, covered or tiny controls), the controls, code shown."""
    return page.evaluate(_MEASURE, [ROWS, CONTROLS])


# A control by its index among CONTROLS: where its centre is now, what is there, and its state (an
# ordering button's state is its question's order, which the kernel changes).
_AT = """([selector, index]) => {
  const c = document.querySelectorAll(selector)[index];
  const r = c.getBoundingClientRect();
  const x = r.left + r.width / 2, y = r.top + r.height / 2;
  const hit = document.elementFromPoint(x, y);
  const own = hit === c || (hit && c.contains(hit)) || (hit && hit === c.closest('label'));
  const state = c.tagName === 'BUTTON'
    ? [...c.closest('.quiz-question').querySelectorAll('.quiz-order-text')].map(e => e.innerText).join(' | ')
    : c.tagName === 'SELECT' ? c.value : String(c.checked);
  return {x, y, own, state};
}"""


def _at(page: Any, index: int) -> dict[str, Any]:
    return page.evaluate(_AT, [CONTROLS, index])


def click_changes(page: Any, control: dict[str, Any], timeout_ms: int = 5_000) -> str | None:
    """Click a control at its centre now, as a finger would; None if that changed it, else what went wrong."""
    at = _at(page, control["index"])
    if not at["own"]:
        return f"the click would not reach it: {control['what']}"
    page.mouse.click(at["x"], at["y"])
    waited = 0
    while _at(page, control["index"])["state"] == at["state"]:  # Up and Down change the page once the kernel has moved the item
        if waited >= timeout_ms:
            return f"a click did not change it: {control['what']}"
        page.wait_for_timeout(25)
        waited += 25
    return None


# Every change event of a control, by its index among CONTROLS (a radio button fires one only
# when it becomes checked, a check box each time it flips, a drop-down when another entry is chosen).
_LOG_CHANGES = """(selector) => {
  window.__courseChanged = [];
  if (window.__courseChangeLog) return;
  window.__courseChangeLog = true;
  document.addEventListener('change', (event) => {
    const index = [...document.querySelectorAll(selector)].indexOf(event.target);
    if (index >= 0) window.__courseChanged.push(index);
  }, true);
}"""


def _choose(page: Any, control: dict[str, Any], key: str) -> None:
    at = _at(page, control["index"])  # where it is now (choosing may reflow what follows)
    page.mouse.click(at["x"], at["y"])
    if control["kind"] == "select":  # the click opens the list; a key moves in it, Enter chooses
        page.keyboard.press(key)
        page.keyboard.press("Enter")


def click_every_control(page: Any, controls: list[dict[str, Any]]) -> list[str]:
    """Click each control at its centre (measured by :func:`measure` just before); what did not change.

    Radio buttons, check boxes and drop-downs change in the page at once, so they are clicked one
    after the other (each at its centre of the moment) and their change events read back together.
    Up and Down move an item (and so the rows below) once the kernel has answered: one at a time, last.
    """
    problems = []
    page.evaluate(_LOG_CHANGES, CONTROLS)
    simple = [c for c in controls if c["kind"] != "button"]
    for control in simple:
        _choose(page, control, "ArrowDown")
    changed = set(page.evaluate("window.__courseChanged"))
    for control in simple:
        if control["index"] in changed:
            continue
        if control["kind"] == "select":  # it was on the last entry: the one before
            _choose(page, control, "ArrowUp")
            if control["index"] in set(page.evaluate("window.__courseChanged")):
                continue
        problems.append(f"a click did not change it: {control['what']}")
    for control in controls:
        if control["kind"] == "button":
            problem = click_changes(page, control)
            if problem:
                problems.append(problem)
    return problems
