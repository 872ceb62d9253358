"""The one CSV format of the report's tables (exports, the dashboard, the service): UTF-8, cells made safe for a spreadsheet."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd


def to_csv(frame: pd.DataFrame) -> bytes:
    """A table as CSV a spreadsheet opens as it is: UTF-8 with a BOM, ISO 8601 times, no index,
    and no cell a spreadsheet would run as a formula (:func:`csv_text`). Every CSV file the
    course writes is written by this function."""
    return csv_text(frame).encode("utf-8-sig")


def csv_text(frame: pd.DataFrame) -> str:
    """The CSV of :func:`to_csv` as text (no BOM), for a terminal or a pipe.

    Every text cell (and column name) that starts like a formula (``=``, ``+``, ``-``, ``@``, tab,
    carriage return: a learner's name, a written answer, a comment) gets a single quote in front,
    :func:`course.safe_text.for_spreadsheet`; numbers and times are written as they are.
    """
    return _spreadsheet_safe(frame).to_csv(index=False, date_format="%Y-%m-%dT%H:%M:%S%z")


def _spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    from course.safe_text import FORMULA_STARTS, for_spreadsheet

    def risky(values: Iterable[Any]) -> bool:
        return any(isinstance(v, str) and v.startswith(FORMULA_STARTS) for v in values)

    out = frame
    for position, column in enumerate(frame.columns):
        values = frame.iloc[:, position]
        if isinstance(values.dtype, pd.CategoricalDtype):
            if not risky(values.cat.categories):
                continue
            values = values.astype(object)
        elif values.dtype != object and not pd.api.types.is_string_dtype(values.dtype):
            continue
        elif not risky(values):
            continue
        if out is frame:
            out = frame.copy()
        out.isetitem(position, values.map(for_spreadsheet))
    if risky(str(c) for c in out.columns):
        out = out.set_axis([for_spreadsheet(str(c)) for c in out.columns], axis=1)
    return out
