"""What every importer shares: the parsed data, the one error type, decoding and cleaning.

Line numbers are physical lines of the decoded file, the header (or first line) being line 1.
"""

from __future__ import annotations

import calendar
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import PureWindowsPath

FORMATS = ("support_csv", "transcript", "usage_csv")

# Bounds of the columns the parsed values end up in (research.models).
MAX_TEXT_CHARS = 10_000
MAX_NAME_CHARS = 120  # segment, participant, locator
MAX_KEY_CHARS = 200  # external_key
MAX_TITLE_CHARS = 300
MAX_URL_CHARS = 500
MAX_METRIC_CHARS = 200
# Items per import when the caller gives no limit (settings.IMPORT_MAX_ITEMS in the app).
DEFAULT_MAX_ITEMS = 20_000

SPREADSHEET_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

MONTHS = (
    "",
    *("January", "February", "March", "April", "May", "June", "July", "August"),
    *("September", "October", "November", "December"),
)


@dataclass(frozen=True)
class ParsedItem:
    text: str
    external_key: str
    line: int
    collected_on: date | None = None
    segment: str = ""
    participant: str = ""
    locator: str = ""
    url: str = ""
    # Usage data covers a period: its first day (collected_on is its last).
    starts_on: date | None = None


@dataclass(frozen=True)
class Rejected:
    """A row left out with `on_error="skip"`: its physical line and why."""

    line: int
    reason: str


@dataclass(frozen=True)
class ParsedFile:
    source_kind: str
    source_title: str
    source_collected_on: date | None
    source_key: str
    items: list[ParsedItem]
    # Where the date of a transcript came from: "field", "header", "file_name" or "today";
    # "rows" for CSVs, whose rows carry their own dates.
    date_source: str = "rows"
    # Things the person importing should know (a date that fell back to today).
    warnings: list[str] = field(default_factory=list)
    # Rows left out with on_error="skip", in file order.
    rejected: list[Rejected] = field(default_factory=list)


class ImportFormatError(ValueError):
    """A file that cannot be imported. `detail` is the whole message for people, starting
    with "line N: " when the problem is on a line; `line` is that line, or None."""

    code = "invalid_file"

    def __init__(self, detail: str, line: int | None = None):
        self.line = line
        self.reason = detail
        self.detail = detail if line is None else f"line {line}: {detail}"
        super().__init__(self.detail)


class TooManyItems(ImportFormatError):
    """More items than one import may create: refused at the first item past the limit,
    without reading further."""

    code = "too_many_items"

    def __init__(self, *, limit: int, line: int | None):
        self.limit = limit
        super().__init__(
            f"the file has more than {limit:,} items; one import may create at most "
            f"{limit:,} (setting IMPORT_MAX_ITEMS). Split the file",
            line,
        )


class ItemCounter:
    """Counts items as a parser produces them and stops it at the limit."""

    def __init__(self, limit: int | None):
        self.limit = DEFAULT_MAX_ITEMS if limit is None else limit
        self.count = 0

    def add(self, line: int | None) -> None:
        self.count += 1
        if self.count > self.limit:
            raise TooManyItems(limit=self.limit, line=line)


class RowErrors:
    """Row errors: raised at once (the default, nothing half-imported), or with
    `skip=True` collected as `Rejected` rows while the good rows go on."""

    def __init__(self, *, skip: bool):
        self.skip = skip
        self.rejected: list[Rejected] = []

    def reject(self, error: ImportFormatError) -> None:
        if not self.skip or error.line is None or isinstance(error, TooManyItems):
            raise error
        self.rejected.append(Rejected(error.line, error.reason))


# --- decoding -------------------------------------------------------------------------------

UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# C0 controls other than tab, newline, vertical tab, form feed and carriage return: text
# files do not contain them, binary files (xlsx, pdf, UTF-16 without a BOM) always do.
BINARY_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without a byte-order mark), else Windows-1252; UTF-16 only with its
    byte-order mark. Newlines become "\\n". Binary data raises ImportFormatError."""
    if data.startswith(b"PK\x03\x04"):
        raise ImportFormatError(
            "the file is a spreadsheet or an archive (.xlsx, .zip), not text; export it as CSV"
        )
    if data.startswith(UTF8_BOM):
        text = _decode(data[len(UTF8_BOM) :], "utf-8")
    elif data.startswith(UTF16_BOMS):
        text = _decode(data, "utf-16")
    elif _looks_like_utf16(data):
        raise ImportFormatError(
            "the file looks like UTF-16 text without a byte-order mark; save it as UTF-8"
        )
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = _decode(data, "cp1252")
    if BINARY_CHARS.search(text):
        raise ImportFormatError(
            "the file does not look like text (it contains binary data); "
            "save it as CSV or plain text in UTF-8"
        )
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _looks_like_utf16(data: bytes) -> bool:
    """Mostly ASCII text in UTF-16: every other byte of the first few hundred is zero."""
    head = data[:512]
    if len(head) < 4:
        return False
    zeros = max(head[0::2].count(0), head[1::2].count(0))
    return zeros * 2 >= len(head) * 0.8


def _decode(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise ImportFormatError(
            "the file is neither UTF-8 nor Windows-1252 text; save it as UTF-8"
        ) from None


def text_of(data: bytes, what: str) -> str:
    text = decode_text(data)
    if not text.strip():
        raise ImportFormatError(f"the file is empty; expected {what}")
    return text


# --- cleaning -------------------------------------------------------------------------------


def csv_safe(value: object) -> str:
    """A cell for a CSV export: text that a spreadsheet would run as a formula gets a
    leading "'". Numbers stay numbers (a negative number is not a formula)."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    if text.startswith(SPREADSHEET_TRIGGERS):
        return "'" + text
    return text


def sha1(*parts: str) -> str:
    return hashlib.sha1("\n".join(parts).encode("utf-8"), usedforsecurity=False).hexdigest()


def bounded_key(key: str) -> str:
    if len(key) <= MAX_KEY_CHARS:
        return key
    return "sha1:" + sha1(key)


def file_name(filename: str) -> str:
    # Browsers may send a full Windows path; keep the last part only.
    return PureWindowsPath(filename or "").name.strip() or "upload"


def title(prefix: str, filename: str) -> str:
    return f"{prefix}: {file_name(filename)}"[:MAX_TITLE_CHARS]


def nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


def one_line(value: str) -> str:
    return " ".join(nfc(value).split())


def paragraphs(value: str) -> str:
    """Trimmed text keeping its line breaks, at most one blank line in a row."""
    lines = [" ".join(line.split()) for line in nfc(value).split("\n")]
    text = "\n".join(lines).strip()
    return re.sub(r"\n{3,}", "\n\n", text)


def shown(value: str) -> str:
    value = value.strip()
    return f'"{value[:40]}…"' if len(value) > 40 else f'"{value}"'


def checked_text(text: str, line: int) -> str:
    if len(text) > MAX_TEXT_CHARS:
        raise ImportFormatError(
            f"the text is {len(text):,} characters long; the limit is {MAX_TEXT_CHARS:,}", line
        )
    return text


def checked_segment(segment: str, line: int) -> str:
    segment = one_line(segment)
    if len(segment) > MAX_NAME_CHARS:
        raise ImportFormatError(
            f"segment {shown(segment)} is longer than {MAX_NAME_CHARS} characters", line
        )
    return segment


def web_url(value: str) -> str:
    """Only http(s) addresses are kept: anything else ("n/a", "javascript:...") is dropped."""
    value = value.strip()
    if re.match(r"https?://\S+$", value, re.IGNORECASE) and len(value) <= MAX_URL_CHARS:
        return value
    return ""


def month_end(year: int, month: int) -> date:
    # monthrange raises ValueError for month 0 or 13, like date() does.
    return date(year, month, calendar.monthrange(year, month)[1])


def long_date(day: date) -> str:
    return f"{day.day} {MONTHS[day.month]} {day.year}"


def dedupe(items, what: str, errors: RowErrors) -> list[ParsedItem]:
    """The same key twice with the same text is one item; with another text, an error."""
    seen: dict[str, ParsedItem] = {}
    unique = []
    for item in items:
        earlier = seen.get(item.external_key)
        if earlier is None:
            seen[item.external_key] = item
            unique.append(item)
        elif earlier.text != item.text or earlier.collected_on != item.collected_on:
            errors.reject(
                ImportFormatError(
                    f"{what} already appears on line {earlier.line} with different content",
                    item.line,
                )
            )
    return unique
