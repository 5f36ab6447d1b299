"""Reading dates: of a support ticket (strict), of a transcript (its header, its file name).

Support exports (`parse_date`) accept only forms whose day and month order is unambiguous:
`2026-03-04`, ISO datetimes such as `2026-03-04T09:15`, `2026-03-04 09:15:00`,
`2026-03-04T09:15:00.123Z`, `2026-03-04T09:15:00+02:00` or `... UTC` (the date is taken as
written, never shifted to another time zone), `2026/03/04` and `04.03.2026`, each optionally
followed by a time. `03/04/2026` is refused: it means March in one country and April in
another.

A transcript's own date (`header_date`) is read from a header line such as `Date: 20 May 2026`,
`Recorded: 2026-05-20`, `Interview date - May 20, 2026` or `NOTE Recorded on 20/05/2026`, or a
header line that is a date and nothing else. The first such line wins. The value may be:

- ISO (`2026-05-20`, with or without a time) or `2026/05/20`: year, month, day.
- Written out, with the month's name or its abbreviation in any order python-dateutil reads
  ("20 May 2026", "May 20, 2026", "Wednesday, 20th May 2026", "20-May-2026", "Sept. 3 2026").
  The day, the month and a four-digit year must all be there: "May 2026" is not a day.
- All numbers with `/`, `.` or `-` and the year last: **day first** when the first number
  is over 12 (`20/05/2026` is 20 May, as in most of the world), **month first** when the
  second is (`05/20/2026`, the US order, is 20 May too). When both are 12 or less and differ
  (`03/04/2026`) the date is ambiguous and not used: the import falls back to the file name
  or today and says why. (Equal numbers, `04/04/2026`, read the same either way.)
- Two-digit years are never guessed.

A date in the file name is `YYYY-MM-DD` (or `YYYY_MM_DD`, `YYYYMMDD`) anywhere in it.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

from dateutil import parser as dateutil_parser

from research.importers.common import file_name

_ZONE = r"(?:Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)"
_TIME = rf"(?:[T ]\s*(\d{{1,2}}):(\d{{2}})(?::(\d{{2}})(?:[.,]\d+)?)?\s*{_ZONE}?)?"
DATE_FORMS = (
    (re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})" + _TIME, re.IGNORECASE), ("y", "m", "d")),
    (re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})" + _TIME, re.IGNORECASE), ("y", "m", "d")),
    (re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})" + _TIME, re.IGNORECASE), ("d", "m", "y")),
)


def parse_date(value: str) -> date | None:
    """A support ticket's date in one of the forms listed at the top of this module, else
    None."""
    value = value.strip()
    for pattern, order in DATE_FORMS:
        match = pattern.fullmatch(value)
        if not match:
            continue
        parts = dict(zip(order, (int(group) for group in match.groups()[:3]), strict=True))
        hour, minute, second = (int(group or 0) for group in match.groups()[3:6])
        try:
            time(hour, minute, second)
            return date(parts["y"], parts["m"], parts["d"])
        except ValueError:
            return None
    return None


class AmbiguousDate(ValueError):
    """A date that reads as two different days (03/04/2026)."""


# Header keys that give the day a transcript was recorded.
DATE_KEYS = (
    "date",
    "recorded",
    "recorded on",
    "recorded at",
    "recording date",
    "date recorded",
    "interview date",
    "session date",
    "held on",
)
_KEYS = "|".join(re.escape(key).replace(r"\ ", r"\s+") for key in DATE_KEYS)
HEADER_DATE = re.compile(rf"\s*(?:NOTE\s+)?(?:{_KEYS})\s*(?::|=|\s-\s|\s)\s*(?P<value>.+)", re.I)

_ISO = re.compile(
    r"(?P<y>\d{4})[-/](?P<m>\d{1,2})[-/](?P<d>\d{1,2})(?:(?:[T ]|,\s*)\d{1,2}:\d{2}.*)?"
)
_NUMERIC = re.compile(
    r"(?P<a>\d{1,2})[/.-](?P<b>\d{1,2})[/.-](?P<y>\d{4})(?:(?:[T ]|,\s*)\d{1,2}:\d{2}.*)?"
)
_MONTH_NAME = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?(?![a-z])", re.I
)
_YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)")
# Two defaults that differ in every part: a part dateutil filled in from the default (that
# the text did not give) shows up as a difference between the two readings.
_DEFAULTS = (datetime(2001, 1, 1), datetime(2002, 2, 2))  # noqa: DTZ001 - dates, no zone


def read_day(value: str, *, fuzzy: bool = True) -> date | None:
    """The day a header value names, following the rules above; None when it names none.
    Raises AmbiguousDate for a numeric date that reads both ways. `fuzzy` lets other words
    stand around a written-out date ("Wednesday 20 May 2026, 10:00 in Leeds")."""
    value = value.strip().strip(".").strip()
    if not value or len(value) > 80:
        return None
    if match := _ISO.fullmatch(value):
        return _day(int(match["y"]), int(match["m"]), int(match["d"]))
    if match := _NUMERIC.fullmatch(value):
        first, second, year = int(match["a"]), int(match["b"]), int(match["y"])
        if second > 12:
            return _day(year, first, second)
        if first != second and first <= 12:
            raise AmbiguousDate(value)
        return _day(year, second, first)
    if _MONTH_NAME.search(value) and _YEAR.search(value):
        return _written_out(value, fuzzy=fuzzy)
    return None


def _day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _written_out(value: str, *, fuzzy: bool) -> date | None:
    readings = []
    for default in _DEFAULTS:
        try:
            readings.append(
                dateutil_parser.parse(
                    value, default=default, fuzzy=fuzzy, dayfirst=True, ignoretz=True
                )
            )
        except (ValueError, OverflowError):
            return None
    first, second = readings
    if (first.year, first.month, first.day) != (second.year, second.month, second.day):
        return None  # the text left out the day, the month or the year
    return first.date()


def header_date(lines) -> tuple[date | None, str]:
    """The first date a header line gives, with a note when a date line was found but could
    not be used ("" otherwise). `lines` are the header's lines only, not the interview's."""
    notes = []
    for line in lines:
        match = HEADER_DATE.fullmatch(line)
        if not match:
            # A line that is a date and nothing else ("WEBVTT - 20 May 2026").
            try:
                day = read_day(line, fuzzy=False)
            except AmbiguousDate:
                day = None
            if day is not None:
                return day, ""
            continue
        value = match["value"]
        try:
            day = read_day(value)
        except AmbiguousDate:
            notes.append(f"the header's date {value.strip()!r} could be day or month first")
            continue
        if day is not None:
            return day, ""
        if re.search(r"\d", value):  # "Recorded by Sam" is no attempt at a date
            notes.append(f"the header's date {value.strip()[:40]!r} is not a date")
    return None, "; ".join(notes)


FILENAME_DATE = re.compile(r"(?<!\d)(\d{4})([-_]?)(\d{2})\2(\d{2})(?!\d)")


def file_name_date(filename: str) -> date | None:
    for match in FILENAME_DATE.finditer(file_name(filename)):
        day = _day(int(match[1]), int(match[3]), int(match[4]))
        if day is not None:
            return day
    return None
