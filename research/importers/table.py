"""CSV files with a header row, read as a stream of records with their physical lines.

The standard library's csv module reads them: it knows quoting, quoted newlines and the
three delimiters we accept (comma, semicolon, tab; Excel's `sep=` hint is honoured). Records
are produced one at a time and counted against the item limit as they come, so an oversized
file is refused at the first record past the limit without parsing the rest.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from research.importers.common import (
    ImportFormatError,
    ItemCounter,
    ParsedFile,
    ParsedItem,
    RowErrors,
    dedupe,
    text_of,
    title,
)

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}


@dataclass(frozen=True)
class Table:
    header_line: int
    header: list[str]
    columns: dict[str, int]  # field name -> column index
    delimiter: str
    text: str

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """(physical line where the record starts, cells) for each row below the header."""
        for line, cells in records(self.text, self.delimiter):
            if line > self.header_line:
                yield line, cells

    def cell(self, cells: list[str], field: str) -> str:
        index = self.columns.get(field)
        if index is None or index >= len(cells):
            return ""
        return cells[index].strip()

    def name(self, field: str) -> str:
        return self.header[self.columns[field]].strip()

    def check_width(self, cells: list[str], line: int) -> None:
        extra = cells[len(self.header) :]
        if any(cell.strip() for cell in extra):
            raise ImportFormatError(
                f"{len(cells)} values but the header has {len(self.header)}; is a "
                f"{DELIMITERS[self.delimiter]} inside a value missing its quotes?",
                line,
            )


def records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    previous = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                raise ImportFormatError(
                    "a quoted value starting here is never closed", previous + 1
                ) from None
            if "field larger than field limit" in str(exc):
                raise ImportFormatError("a value is too long", previous + 1) from None
            raise ImportFormatError(
                'a quote inside a quoted value must be doubled ("")', reader.line_num
            ) from None
        yield previous + 1, cells
        previous = reader.line_num


def _header_key(cell: str) -> str:
    return " ".join(cell.replace("_", " ").split()).lower()


def _match_columns(header: list[str], aliases: dict[str, tuple[str, ...]]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = _header_key(cell)
        for field, names in aliases.items():
            if key in names and field not in columns:
                columns[field] = index
    return columns


def _first_record(text: str, delimiter: str, skip_to: int) -> tuple[int, list[str]] | None:
    try:
        for line, cells in records(text, delimiter):
            if line >= skip_to and any(cell.strip() for cell in cells):
                return line, cells
    except ImportFormatError:
        return None
    return None


def read_table(text: str, aliases: dict[str, tuple[str, ...]]) -> Table:
    """Find the header and the delimiter (comma, semicolon or tab) that explains it best."""
    first_line = text.split("\n", 1)[0].strip()
    forced = re.fullmatch(r"sep=(.)", first_line, re.IGNORECASE)  # Excel's delimiter hint
    candidates = [forced.group(1)] if forced and forced.group(1) in DELIMITERS else DELIMITERS
    skip_to = 2 if forced else 1
    best: Table | None = None
    for delimiter in candidates:
        found = _first_record(text, delimiter, skip_to)
        if found is None:
            continue
        line, header = found
        table = Table(line, header, _match_columns(header, aliases), delimiter, text)
        if best is None or (len(table.columns), len(table.header)) > (
            len(best.columns),
            len(best.header),
        ):
            best = table
    if best is None:
        raise ImportFormatError("no header row found", 1)
    return best


def require(table: Table, groups: dict[str, tuple[str, ...]]) -> None:
    """Each group of fields, named for people by its key, needs at least one column."""
    missing = [name for name, group in groups.items() if not any(f in table.columns for f in group)]
    if not missing:
        return
    found = ", ".join(cell.strip() for cell in table.header if cell.strip()) or "none"
    plural = "s" if len(missing) > 1 else ""
    raise ImportFormatError(
        f"missing column{plural}: {'; '.join(missing)}. Found: {found}", table.header_line
    )


def parse_table_file(
    data: bytes,
    *,
    filename: str,
    what: str,
    columns: dict[str, tuple[str, ...]],
    required: dict[str, tuple[str, ...]],
    parse_row: Callable[[Table, list[str], int], ParsedItem],
    row_name: str,
    rows_name: str,
    source_kind: str,
    source_title: str,
    max_items: int | None = None,
    skip_bad_rows: bool = False,
) -> ParsedFile:
    """A CSV with a header, one item per non-blank row; the source dated by its newest row.

    A bad row refuses the whole file, unless `skip_bad_rows`: then it is listed in
    `rejected` and the good rows go on. Errors of the file's structure (no header, a quote
    never closed, too many rows) refuse it either way.
    """
    table = read_table(text_of(data, what), columns)
    require(table, required)
    counter = ItemCounter(max_items)
    errors = RowErrors(skip=skip_bad_rows)

    def items() -> Iterator[ParsedItem]:
        for line, cells in table.records():
            if not any(cell.strip() for cell in cells):
                continue
            counter.add(line)
            try:
                yield parse_row(table, cells, line)
            except ImportFormatError as error:
                errors.reject(error)

    unique = dedupe(items(), f"this {row_name}", errors)
    if not unique and not errors.rejected:
        raise ImportFormatError(f"the file has a header but no {rows_name}")
    dates = [item.collected_on for item in unique if item.collected_on]
    return ParsedFile(
        source_kind=source_kind,
        source_title=title(source_title, filename),
        source_collected_on=max(dates) if dates else None,
        source_key=hashlib.sha256(data).hexdigest(),
        items=unique,
        rejected=sorted(errors.rejected, key=lambda row: row.line),
    )
