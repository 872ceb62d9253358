"""The dashboard's plots: matplotlib figures (no pyplot) shown as images with their text, in HTML widgets."""

from __future__ import annotations

import base64
import io
from typing import Any

import ipywidgets as w

from course.render import escape


def _figure_image(figure: Any, alt: str) -> w.Widget:
    """A matplotlib figure as a PNG in an HTML widget, ``alt`` its text for screen readers and its
    caption (works in JupyterLab, Voila, nbclient). An ``Image`` widget has no alt text."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return w.HTML(
        f"<figure class='dash-figure'><img class='dash-plot' src='data:image/png;base64,{data}' alt='{escape(alt)}'>"
        f"<figcaption class='dash-caption'><i>{escape(alt)}</i></figcaption></figure>"
    )


def _new_figure(width: float = 6.5, height: float = 3.2) -> Any:
    from matplotlib.figure import Figure  # no pyplot: no global state, no backend needed

    return Figure(figsize=(width, height))
