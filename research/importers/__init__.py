"""Evidence imports turned into plain data, without touching the database.

The services layer calls `parse_import` and writes what it returns in one transaction; a
malformed file raises `ImportFormatError` (with the physical line, the header or first line
being line 1) before anything is written. One module per format:

- `table`: CSV reading shared by `support_csv` and `usage_csv`;
- `transcript`: the transcript entry point, with `vtt`, `srt` and `text` for each kind and
  `cues` for what WebVTT and SRT share (timing rules, and why the webvtt-py and srt packages
  are not used);
- `dates`: ticket dates, a transcript's header and file name dates (the day-first and
  month-first rules are in its docstring);
- `segments`: matching a file's segment names to a workspace's segments.

Every parser streams: items are counted as they are read and the file is refused at the first
one past `max_items` (`TooManyItems`), so a huge file never becomes a huge list.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from research.importers.common import (
    DEFAULT_MAX_ITEMS,
    FORMATS,
    ImportFormatError,
    ParsedFile,
    ParsedItem,
    Rejected,
    RowErrors,
    TooManyItems,
    csv_safe,
    decode_text,
    shown,
)
from research.importers.dates import parse_date, read_day
from research.importers.segments import SegmentPlan, plan_segments, segment_key
from research.importers.support_csv import parse_support_csv
from research.importers.transcript import parse_transcript
from research.importers.usage_csv import parse_number, parse_period, parse_usage_csv

__all__ = [
    "DEFAULT_MAX_ITEMS",
    "FORMATS",
    "FUTURE_GRACE",
    "ON_ERROR",
    "ImportFormatError",
    "ParsedFile",
    "ParsedItem",
    "Rejected",
    "SegmentPlan",
    "TooManyItems",
    "csv_safe",
    "decode_text",
    "parse_date",
    "parse_import",
    "parse_number",
    "parse_period",
    "parse_support_csv",
    "parse_transcript",
    "parse_usage_csv",
    "plan_segments",
    "read_day",
    "segment_key",
]

# "stop": a bad row refuses the whole file (the default); "skip": bad rows are left out and
# listed, the good ones imported.
ON_ERROR = ("stop", "skip")


def parse_import(
    fmt: str,
    data: bytes,
    *,
    filename: str,
    collected_on: date | None = None,
    interviewer: str = "",
    today: date,
    max_items: int | None = None,
    on_error: str = "stop",
) -> ParsedFile:
    """`collected_on` and `interviewer` only matter to transcripts: tickets and usage rows
    carry their own dates. Nothing may be dated after `today` (see `_not_in_the_future`).
    `on_error="skip"` leaves out the CSV rows that cannot be read (transcripts are refused
    whole either way)."""
    skip = on_error == "skip"
    if fmt == "support_csv":
        parsed = parse_support_csv(data, filename=filename, max_items=max_items, skip_bad_rows=skip)
    elif fmt == "transcript":
        parsed = parse_transcript(
            data,
            filename=filename,
            collected_on=collected_on,
            interviewer=interviewer,
            today=today,
            max_items=max_items,
        )
    elif fmt == "usage_csv":
        parsed = parse_usage_csv(data, filename=filename, max_items=max_items, skip_bad_rows=skip)
    else:
        raise ImportFormatError(
            f"unknown format {shown(str(fmt))}; use one of {', '.join(FORMATS)}"
        )
    return _not_in_the_future(parsed, today=today, errors=RowErrors(skip=skip))


# A day's grace: a ticket written this morning in Auckland is dated tomorrow in London.
FUTURE_GRACE = timedelta(days=1)


def _not_in_the_future(parsed: ParsedFile, *, today: date, errors: RowErrors) -> ParsedFile:
    """Evidence dated in the future would count as fresh for longer than it should: refused,
    naming the line. A period still running (this month, this year) is dated today instead
    of its last day: what it says was collected by today."""
    latest = today + FUTURE_GRACE
    items = []
    for item in parsed.items:
        if item.collected_on is not None and item.collected_on > latest:
            day = item.collected_on.isoformat()
            if parsed.source_kind == "interview":  # one date for the file, from it or the form
                raise ImportFormatError(f"the interview date {day} is in the future")
            if item.starts_on is not None and item.starts_on > latest:
                period = f"{item.starts_on.isoformat()} to {day}"
                errors.reject(ImportFormatError(f"the period {period} is in the future", item.line))
                continue
            if item.starts_on is None:
                errors.reject(ImportFormatError(f"the date {day} is in the future", item.line))
                continue
            item = replace(item, collected_on=today)
        items.append(item)
    dates = [item.collected_on for item in items if item.collected_on]
    source_collected_on = parsed.source_collected_on
    if source_collected_on is not None and source_collected_on > latest:
        source_collected_on = max(dates) if dates else today
    rejected = sorted([*parsed.rejected, *errors.rejected], key=lambda row: row.line)
    return replace(parsed, items=items, source_collected_on=source_collected_on, rejected=rejected)
