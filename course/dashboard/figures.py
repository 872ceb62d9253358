"""The dashboard's plots: matplotlib figures (no pyplot) shown as image widgets."""

from __future__ import annotations

import io
from typing import Any

import ipywidgets as w

from course.render import escape

def _figure_image(figure: Any, alt: str) -> w.Widget:
    """A matplotlib figure as a PNG image widget with a caption (works in JupyterLab, Voila, nbclient)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    image = w.Image(value=buffer.getvalue(), format="png", layout=w.Layout(max_width="min(720px, 100%)", height="auto"))
    image.add_class("dash-plot")
    caption = w.HTML(f"<p class='dash-caption'><i>{escape(alt)}</i></p>")
    return w.VBox([image, caption])


def _new_figure(width: float = 6.5, height: float = 3.2) -> Any:
    from matplotlib.figure import Figure  # no pyplot: no global state, no backend needed

    return Figure(figsize=(width, height))
