"""One row of the benchmark table, and how a benchmark script prints its rows.

Every script in benchmarks/ prints a readable table when run alone, and with ``--json`` prints
its rows as JSON for ``benchmarks/suite.py`` (``make bench``), which gathers them into one table.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Figure:
    """A measured figure and, where there is one, its target (``value <= target`` unless ``higher_is_better``)."""

    name: str
    value: float
    unit: str
    target: float | None = None
    higher_is_better: bool = False

    @property
    def met(self) -> bool | None:
        """Whether the figure meets its target (None without a target)."""
        if self.target is None:
            return None
        return self.value >= self.target if self.higher_is_better else self.value <= self.target

    def target_text(self) -> str:
        if self.target is None:
            return ""
        return f"{'≥' if self.higher_is_better else '≤'} {self.target:g} {self.unit}".rstrip()


def format_value(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def table(figures: list[Figure], title: str | None = None) -> str:
    """The figures as a fixed-width text table."""
    lines = [title] if title else []
    width = max([len(f.name) for f in figures] + [9])
    lines.append(f"{'benchmark':<{width}}  {'figure':>12}  {'unit':<10} {'target':<14} status")
    lines.append("-" * (width + 48))
    for f in figures:
        status = {True: "ok", False: "OVER TARGET", None: ""}[f.met]
        lines.append(f"{f.name:<{width}}  {format_value(f.value):>12}  {f.unit:<10} {f.target_text():<14} {status}")
    return "\n".join(lines)


def emit(figures: list[Figure], title: str) -> None:
    """Print the figures: JSON when ``--json`` is among the arguments, else a table."""
    if "--json" in sys.argv:
        print(json.dumps([asdict(f) for f in figures]))
    else:
        print(table(figures, title))
