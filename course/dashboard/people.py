"""The learners section (cohort, role, retake, waiver) and the audit section (the trainers' actions)."""

from __future__ import annotations

import ipywidgets as w

from course import report
from course.dashboard.formatting import _change_text, plural
from course.render import escape
from course.roles import ROLES


class PeopleMixin:
    """:class:`~course.dashboard.Dashboard`'s learners and audit sections."""

    def _draw_learners(self, names: list[str]) -> None:
        if not names:
            self.learners.children = [w.HTML("<p class='dash-empty'>No learners yet.</p>")]
            return
        who = w.Dropdown(description="Learner", options=names, style={"description_width": "initial"})
        cohort = w.Text(description="Cohort", placeholder="e.g. 2026-11 nurses", style={"description_width": "initial"})
        set_cohort = w.Button(description="Set cohort", icon="users")
        role = w.Dropdown(description="Role", options=[("Role not given", ""), *((name, r) for r, name in ROLES.items())], style={"description_width": "initial"})
        role.add_class("dash-role")
        set_role = w.Button(description="Set role", icon="id-badge")
        retake = w.Button(description="Allow a retake of the final assessment", icon="redo", layout=w.Layout(width="auto", max_width="100%", align_self="flex-start"))
        message = w.HTML("")

        reason = w.Text(description="Why", placeholder="e.g. trained elsewhere", tooltip="Why the lessons are waived (kept in the audit trail)", style={"description_width": "initial"}, layout=w.Layout(width="auto", max_width="100%"))
        waive = w.Button(description="Open the final assessment early", tooltip="Let the learner sit the final assessment before finishing the lessons", layout=w.Layout(width="auto", max_width="100%", align_self="flex-start"))

        def on_cohort(_b: w.Button) -> None:
            chosen = cohort.value.strip()
            self.store.set_cohort(who.value, chosen or None, by=self.reviewer.value.strip() or None)
            said = f"cohort “{escape(chosen)}”" if chosen else "no cohort"
            message.value = f"<div class='dash-ok' role='status'>{escape(who.value)}: {said}.</div>"

        def on_role(_b: w.Button) -> None:
            self.store.set_role(who.value, role.value or None, by=self.reviewer.value.strip() or None)
            said = f"role {ROLES[role.value]}" if role.value else "role not given"
            message.value = f"<div class='dash-ok' role='status'>{escape(who.value)}: {escape(said)}. Their progress and final assessment follow it.</div>"

        def on_retake(_b: w.Button) -> None:
            if not self.reviewer.value.strip():
                message.value = "<div class='dash-error' role='alert'>Type your name in “Your name” at the top first.</div>"
                return
            self.store.allow_retake(who.value, report.FINAL_ASSESSMENT, trainer=self.reviewer.value.strip())
            message.value = f"<div class='dash-ok' role='status'>{escape(who.value)} may take the final assessment once more.</div>"

        def on_waive(_b: w.Button) -> None:
            if not self.reviewer.value.strip():
                message.value = "<div class='dash-error' role='alert'>Type your name in “Your name” at the top first.</div>"
                return
            if not reason.value.strip():
                message.value = "<div class='dash-error' role='alert'>Say why in “Why” (it is kept in the audit trail).</div>"
                return
            self.store.waive(who.value, report.FINAL_ASSESSMENT, by=self.reviewer.value.strip(), reason=reason.value.strip())
            message.value = f"<div class='dash-ok' role='status'>{escape(who.value)} may sit the final assessment before finishing the lessons.</div>"

        set_cohort.on_click(lambda b: self._safely(lambda: on_cohort(b)))
        set_role.on_click(lambda b: self._safely(lambda: on_role(b)))
        retake.on_click(lambda b: self._safely(lambda: on_retake(b)))
        waive.on_click(lambda b: self._safely(lambda: on_waive(b)))
        self.learners.children = [self._row([who, cohort, set_cohort]), self._row([role, set_role]), retake, reason, waive, message]

    def _draw_audit(self, shown: int = 100) -> None:
        """The trainers' actions, newest first: who, when, what, and what changed."""
        entries = list(reversed(self.store.audit()))
        if not entries:
            self.audit.children = [w.HTML("<p class='dash-empty'>No trainer actions recorded yet.</p>")]
            return
        words = {"review": "scored a written answer", "retake": "allowed a retake", "cohort": "set the cohort", "role": "set the role", "waiver": "opened the final assessment early", "certificate": "issued a certificate",
                 "revocation": "revoked a certificate", "due_date": "set a due date", "setting": "changed a course setting"}
        rows = []
        for e in entries[:shown]:
            change = _change_text(e.before, e.after)
            rows.append(
                f"<tr><td>{escape(self.when(e.at))}</td><td>{escape(e.actor)}</td><td>{escape(words.get(e.action, e.action))}</td>"
                f"<td>{escape(e.learner or '—')}</td><td>{escape(change)}</td></tr>"
            )
        more = f"<p>The latest {shown} of {plural(len(entries), 'action')}; `course audit` lists them all.</p>" if len(entries) > shown else ""
        self.audit.children = [w.HTML(
            "<div class='dash-scroll' tabindex='0'><table class='dash-table dash-audit-table'><thead><tr><th scope='col'>When</th><th scope='col'>Who</th>"
            f"<th scope='col'>What</th><th scope='col'>Learner</th><th scope='col'>Change</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div>{more}"
        )]
