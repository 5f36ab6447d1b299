"""Support exports: one evidence item per ticket, dated by the ticket (research.importers.dates
lists the date forms accepted)."""

from __future__ import annotations

from research.importers.common import (
    MAX_NAME_CHARS,
    ImportFormatError,
    ParsedFile,
    ParsedItem,
    bounded_key,
    checked_segment,
    checked_text,
    one_line,
    paragraphs,
    sha1,
    shown,
    web_url,
)
from research.importers.dates import parse_date
from research.importers.table import Table, parse_table_file

SUPPORT_COLUMNS = {
    "id": ("id", "ticket id", "ticket"),
    "created": ("created", "created at", "created on", "date"),
    "subject": ("subject", "title"),
    "body": ("body", "description", "message"),
    "segment": ("segment", "customer segment", "plan"),
    "channel": ("channel",),
    "url": ("url", "link", "ticket url"),
}
SUPPORT_REQUIRED = {
    "subject or body (also title, description, message)": ("subject", "body"),
    "created (also created_at, date)": ("created",),
}


def parse_support_csv(
    data: bytes, *, filename: str, max_items: int | None = None, skip_bad_rows: bool = False
) -> ParsedFile:
    return parse_table_file(
        data,
        filename=filename,
        what="a CSV of support tickets with a header row",
        columns=SUPPORT_COLUMNS,
        required=SUPPORT_REQUIRED,
        parse_row=ticket,
        row_name="ticket",
        rows_name="tickets",
        source_kind="support_ticket",
        source_title="Support tickets",
        max_items=max_items,
        skip_bad_rows=skip_bad_rows,
    )


def ticket(table: Table, cells: list[str], line: int) -> ParsedItem:
    table.check_width(cells, line)
    created_raw = table.cell(cells, "created")
    if not created_raw:
        raise ImportFormatError(f"{table.name('created')} is empty", line)
    created = parse_date(created_raw)
    if created is None:
        raise ImportFormatError(
            f"{table.name('created')} {shown(created_raw)} is not a date (use YYYY-MM-DD)", line
        )
    subject = one_line(table.cell(cells, "subject"))
    body = paragraphs(table.cell(cells, "body"))
    if not subject and not body:
        names = " and ".join(
            table.name(field) for field in ("subject", "body") if field in table.columns
        )
        raise ImportFormatError(f"{names} {'are both' if ' and ' in names else 'is'} empty", line)
    text = checked_text(_join_sentences(subject, body), line)

    ticket_id = one_line(table.cell(cells, "id"))
    channel = one_line(table.cell(cells, "channel"))
    locator = f"ticket {ticket_id}" if ticket_id else f"line {line}"
    if channel:
        locator += f" ({channel})"
    external_key = ticket_id or "row:" + sha1(created.isoformat(), subject, body)[:16]
    return ParsedItem(
        text=text,
        external_key=bounded_key(external_key),
        line=line,
        collected_on=created,
        segment=checked_segment(table.cell(cells, "segment"), line),
        locator=locator[:MAX_NAME_CHARS],
        url=web_url(table.cell(cells, "url")),
    )


def _join_sentences(subject: str, body: str) -> str:
    if not subject or not body:
        return subject or body
    if body.startswith(subject):  # exports that repeat the subject as the first line
        return body
    separator = " " if subject[-1] in ".!?:…" else ". "
    return subject + separator + body
