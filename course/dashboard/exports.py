"""The exports section: the tables as CSV and the xAPI statements as JSON, written and offered as a download."""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from pathlib import Path

import ipywidgets as w

from course import config, localtime, report
from course.dashboard.formatting import LINK_LIMIT, plural
from course.files import replace_file
from course.render import escape


class ExportsMixin:
    """:class:`~course.dashboard.Dashboard`'s exports section."""

    def _draw_exports(self) -> None:
        tables = {
            "learners": "Learners (summary)",
            "progress": "Progress matrix",
            "questions": "Item analysis",
            "options": "Options chosen",
            "answers": "Every answer",
            "review-queue": "Written answers to review",
            "regrade": "Re-grading mismatches",
        }
        buttons = []
        self.export_result = w.HTML("")
        for name, title in tables.items():
            button = w.Button(description=f"{title} (CSV)", layout=w.Layout(width="auto"))
            button.on_click(lambda _b, name=name: self._safely(lambda: self.export(name)))
            buttons.append(button)
        xapi = w.Button(description="xAPI statements (JSON)", layout=w.Layout(width="auto"))
        xapi.on_click(lambda _b: self._safely(lambda: self.export("xapi")))
        buttons.append(xapi)
        self.exports.children = [self._row(buttons), self.export_result]

    def export(self, name: str) -> Path:
        """Write a table (CSV) or the xAPI statements (JSON) under the data folder; offer a download link."""
        folder = config.data_dir() / "exports"
        folder.mkdir(parents=True, exist_ok=True)
        stamp = localtime.local(datetime.now(timezone.utc), self.zone).strftime("%Y%m%d-%H%M%S")
        if name == "xapi":
            from course import xapi

            path = folder / f"xapi-{stamp}.json"
            since = self.current_filters().since
            if hasattr(self.store, "client"):  # on JupyterHub: the course service has the reviews and the actors' key
                statements = iter(self.store.client.xapi(homepage=xapi.DEFAULT_HOMEPAGE, since=since))
            else:
                statements = xapi.iter_statements(self.store, self.course, since=since)
            xapi.write(statements, path)
            mime = "application/json"
        else:
            path = replace_file(folder / f"{name}-{stamp}.csv", report.to_csv(self.table(name)))
            mime = "text/csv"
        size = path.stat().st_size
        link = ""
        if size <= LINK_LIMIT:
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            link = f" <a download='{escape(path.name)}' href='data:{mime};base64,{data}'>Download {escape(path.name)}</a>"
        self.export_result.value = f"<p class='dash-export-done'>Written to <code>{escape(str(path))}</code> ({plural(size, 'byte')}).{link}</p>"
        return path
