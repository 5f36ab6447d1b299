"""Usage data: one evidence item per row of period, metric, value and segment, its text a
sentence with the number, dated by the end of the period."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from research.importers.common import (
    MAX_METRIC_CHARS,
    MONTHS,
    ImportFormatError,
    ParsedFile,
    ParsedItem,
    bounded_key,
    checked_segment,
    long_date,
    month_end,
    one_line,
    shown,
)
from research.importers.table import Table, parse_table_file

USAGE_COLUMNS = {
    "period": ("period",),
    "metric": ("metric",),
    "value": ("value",),
    "segment": ("segment", "customer segment", "plan"),
}
USAGE_REQUIRED = {"period": ("period",), "metric": ("metric",), "value": ("value",)}
_ISO_DATE = r"(\d{4})-(\d{2})-(\d{2})"
NUMBER = re.compile(r"([+-]?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(\s*%)?")


@dataclass(frozen=True)
class Period:
    key: str  # canonical spelling, part of the external key
    start: date
    end: date
    phrase: str  # "In March 2026", "From 1 March 2026 to 31 March 2026"


def parse_period(value: str) -> Period | None:
    """`2026`, `2026-03`, `2026-Q1`, `2026-W10`, `2026-03-15`, `2026-03-01..2026-03-31` or
    `2026-03-01/2026-03-31`, else None."""
    value = value.strip()
    try:
        return _period(value)
    except ValueError:  # a date that does not exist, such as 2026-02-30 or week 53 of 2026
        return None


def _period(value: str) -> Period | None:
    if match := re.fullmatch(r"(\d{4})", value):
        year = int(match.group(1))
        return Period(f"{year}", date(year, 1, 1), date(year, 12, 31), f"In {year}")
    if match := re.fullmatch(r"(\d{4})-(\d{2})", value):
        year, month = int(match.group(1)), int(match.group(2))
        start, end = date(year, month, 1), month_end(year, month)
        return Period(f"{year}-{month:02d}", start, end, f"In {MONTHS[month]} {year}")
    if match := re.fullmatch(r"(\d{4})-?Q([1-4])", value, re.IGNORECASE):
        year, quarter = int(match.group(1)), int(match.group(2))
        start, end = date(year, quarter * 3 - 2, 1), month_end(year, quarter * 3)
        return Period(f"{year}-Q{quarter}", start, end, f"In Q{quarter} {year}")
    if match := re.fullmatch(r"(\d{4})-?W(\d{2})", value, re.IGNORECASE):
        year, week = int(match.group(1)), int(match.group(2))
        monday = date.fromisocalendar(year, week, 1)
        end = date.fromisocalendar(year, week, 7)
        return Period(f"{year}-W{week:02d}", monday, end, f"In the week of {long_date(monday)}")
    if match := re.fullmatch(_ISO_DATE, value):
        day = date(*(int(group) for group in match.groups()))
        return Period(day.isoformat(), day, day, f"On {long_date(day)}")
    if match := re.fullmatch(rf"{_ISO_DATE}\s*(?:\.\.|/)\s*{_ISO_DATE}", value):
        numbers = [int(group) for group in match.groups()]
        start, end = date(*numbers[:3]), date(*numbers[3:])
        if end < start:
            return None
        phrase = f"From {long_date(start)} to {long_date(end)}"
        return Period(f"{start.isoformat()}..{end.isoformat()}", start, end, phrase)
    return None


def parse_number(value: str) -> str | None:
    """The value as people read it ("1,234", "12.5%"), or None when it is not a number.
    Commas are thousands separators only; "12,5" is refused rather than guessed."""
    match = NUMBER.fullmatch(value.strip())
    if not match:
        return None
    sign, whole, fraction, percent = match.groups()
    try:
        number = Decimal(sign + whole.replace(",", "") + (fraction or ""))
    except InvalidOperation:
        return None
    return f"{number:,}" + ("%" if percent else "")


def parse_usage_csv(
    data: bytes, *, filename: str, max_items: int | None = None, skip_bad_rows: bool = False
) -> ParsedFile:
    return parse_table_file(
        data,
        filename=filename,
        what="a CSV with columns period, metric, value and segment",
        columns=USAGE_COLUMNS,
        required=USAGE_REQUIRED,
        parse_row=usage_row,
        row_name="period, metric and segment",
        rows_name="rows",
        source_kind="usage_data",
        source_title="Usage data",
        max_items=max_items,
        skip_bad_rows=skip_bad_rows,
    )


def usage_row(table: Table, cells: list[str], line: int) -> ParsedItem:
    table.check_width(cells, line)
    period_raw = table.cell(cells, "period")
    period = parse_period(period_raw)
    if period is None:
        raise ImportFormatError(
            f"{table.name('period')} {shown(period_raw)} is not a period "
            "(use 2026-03, 2026-Q1, 2026-W10, 2026-03-15 or 2026-03-01..2026-03-31)",
            line,
        )
    metric = one_line(table.cell(cells, "metric"))
    if not metric:
        raise ImportFormatError(f"{table.name('metric')} is empty", line)
    if len(metric) > MAX_METRIC_CHARS:
        raise ImportFormatError(
            f"{table.name('metric')} is longer than {MAX_METRIC_CHARS} characters", line
        )
    value_raw = table.cell(cells, "value")
    value = parse_number(value_raw)
    if value is None:
        raise ImportFormatError(
            f"{table.name('value')} {shown(value_raw)} is not a number "
            '(use digits, e.g. "1234", "1,234.5" or "12.5%")',
            line,
        )
    segment = checked_segment(table.cell(cells, "segment"), line)
    subject = f"{segment}: {metric}" if segment else metric
    return ParsedItem(
        text=f"{period.phrase}, {subject} was {value}.",
        external_key=bounded_key(f"{period.key}|{metric}|{segment}"),
        line=line,
        collected_on=period.end,
        starts_on=period.start,
        segment=segment,
        locator=f"line {line}",
    )
