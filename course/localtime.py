"""The clinic's time zone, and times written for people in it.

The results store keeps every time in UTC; a trainer reads them in the clinic's own time:

``COURSE_TIMEZONE``
    An IANA time zone name such as ``Europe/London`` or ``America/New_York``. Unset or empty:
    the computer's own local time (as its clock shows it, summer time included).

A name that is not a time zone raises :class:`BadTimezone`, whose message is one line that says
what to set; :func:`clinic_zone` instead falls back to the computer's time and returns that
message, for a page that must still show something.

    >>> when = datetime(2026, 11, 30, 14, 2, 11, 123456, tzinfo=timezone.utc)
    >>> format_time(when, ZoneInfo("Europe/London"))
    '30 Nov 2026, 14:02'
"""

from __future__ import annotations

import math
import os
from datetime import date, datetime, time, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

VARIABLE = "COURSE_TIMEZONE"
MISSING = "—"
"""What :func:`format_time` writes for a missing time."""
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")  # not the locale's


class BadTimezone(ValueError):
    """``COURSE_TIMEZONE`` names no time zone (the message is one line, for people)."""


def zone() -> tzinfo | None:
    """The clinic's zone: ``COURSE_TIMEZONE``, else None (the computer's local time).

    Raises :class:`BadTimezone` when the setting is not an IANA time zone name.
    """
    name = os.environ.get(VARIABLE, "").strip()
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise BadTimezone(
            f"{VARIABLE}={name!r} is not a time zone name: set it to one such as Europe/London or America/New_York, "
            "or leave it unset for this computer's time."
        ) from None


def clinic_zone() -> tuple[tzinfo | None, str | None]:
    """:func:`zone`, and None; or, when the setting is bad, the computer's time and the one-line message."""
    try:
        return zone(), None
    except BadTimezone as error:
        return None, f"{error} Times are shown in this computer's time meanwhile."


def local(moment: Any, where: tzinfo | None = None) -> datetime | None:
    """A moment (datetime or pandas Timestamp; naive means UTC) in the zone ``where``; None if missing."""
    if moment is None or (isinstance(moment, float) and math.isnan(moment)):
        return None
    if hasattr(moment, "to_pydatetime"):  # pandas Timestamp; NaT is missing
        if moment != moment:  # noqa: PLR0124 - NaT is not equal to itself
            return None
        moment = moment.to_pydatetime()
    if not isinstance(moment, datetime):
        raise TypeError(f"not a time: {moment!r}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(where)  # where=None: the computer's zone, with its summer time on that date


def format_time(moment: Any, where: tzinfo | None = None) -> str:
    """A moment as people read it, in the zone ``where``, to the minute: ``30 Nov 2026, 14:02`` (``—`` if missing)."""
    at = local(moment, where)
    if at is None:
        return MISSING
    return f"{at.day} {_MONTHS[at.month - 1]} {at.year}, {at:%H:%M}"


def zone_name(where: tzinfo | None = None, moment: datetime | None = None) -> str:
    """The zone's name for a caption: the IANA name, or the computer's abbreviation (e.g. ``GMT``)."""
    key = getattr(where, "key", None)
    if key:
        return str(key)
    return (moment or datetime.now(timezone.utc)).astimezone(where).tzname() or "local time"


def start_of_day(day: date, where: tzinfo | None = None) -> datetime:
    """The first moment of a calendar day in the zone ``where``, as an aware datetime."""
    midnight = datetime.combine(day, time.min)
    return midnight.replace(tzinfo=where) if where is not None else midnight.astimezone()


__all__ = ["MISSING", "VARIABLE", "BadTimezone", "clinic_zone", "format_time", "local", "start_of_day", "zone", "zone_name"]
