"""Evidence imports turned into plain data, without touching the database.

The services layer calls `parse_import` and writes what it returns in one transaction; a
malformed file raises `ImportFormatError` before anything is written. Line numbers are
physical lines of the decoded file, the header (or first line) being line 1, so a quoted
newline in a CSV cell moves every later row down.

Dates accepted in support exports (only forms whose day and month order is unambiguous):
`2026-03-04`, ISO datetimes such as `2026-03-04T09:15`, `2026-03-04 09:15:00`,
`2026-03-04T09:15:00.123Z`, `2026-03-04T09:15:00+02:00` or `... UTC` (the date is taken as
written, never shifted to another time zone), `2026/03/04` and `04.03.2026`, each optionally
followed by a time. `03/04/2026` is refused: it means March in one country and April in another.
"""

from __future__ import annotations

import calendar
import csv
import hashlib
import html
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import PureWindowsPath

FORMATS = ("support_csv", "transcript", "usage_csv")

# Bounds of the columns the parsed values end up in (research.models).
MAX_TEXT_CHARS = 10_000
MAX_NAME_CHARS = 120  # segment, participant, locator
MAX_KEY_CHARS = 200  # external_key
MAX_TITLE_CHARS = 300
MAX_URL_CHARS = 500
MAX_METRIC_CHARS = 200

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
class ParsedFile:
    source_kind: str
    source_title: str
    source_collected_on: date | None
    source_key: str
    items: list[ParsedItem]


class ImportFormatError(ValueError):
    """A file that cannot be imported. `detail` is the whole message for people, starting
    with "line N: " when the problem is on a line; `line` is that line, or None."""

    def __init__(self, detail: str, line: int | None = None):
        self.line = line
        self.detail = detail if line is None else f"line {line}: {detail}"
        super().__init__(self.detail)


# --- shared helpers -------------------------------------------------------------------------

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


def _text_of(data: bytes, what: str) -> str:
    text = decode_text(data)
    if not text.strip():
        raise ImportFormatError(f"the file is empty; expected {what}")
    return text


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


def _sha1(*parts: str) -> str:
    return hashlib.sha1("\n".join(parts).encode("utf-8"), usedforsecurity=False).hexdigest()


def _bounded_key(key: str) -> str:
    if len(key) <= MAX_KEY_CHARS:
        return key
    return "sha1:" + _sha1(key)


def _file_name(filename: str) -> str:
    # Browsers may send a full Windows path; keep the last part only.
    return PureWindowsPath(filename or "").name.strip() or "upload"


def _title(prefix: str, filename: str) -> str:
    return f"{prefix}: {_file_name(filename)}"[:MAX_TITLE_CHARS]


def _nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


def _one_line(value: str) -> str:
    return " ".join(_nfc(value).split())


def _paragraphs(value: str) -> str:
    """Trimmed text keeping its line breaks, at most one blank line in a row."""
    lines = [" ".join(line.split()) for line in _nfc(value).split("\n")]
    text = "\n".join(lines).strip()
    return re.sub(r"\n{3,}", "\n\n", text)


def _shown(value: str) -> str:
    value = value.strip()
    return f'"{value[:40]}…"' if len(value) > 40 else f'"{value}"'


def _checked_text(text: str, line: int) -> str:
    if len(text) > MAX_TEXT_CHARS:
        raise ImportFormatError(
            f"the text is {len(text):,} characters long; the limit is {MAX_TEXT_CHARS:,}", line
        )
    return text


def _checked_segment(segment: str, line: int) -> str:
    segment = _one_line(segment)
    if len(segment) > MAX_NAME_CHARS:
        raise ImportFormatError(
            f"segment {_shown(segment)} is longer than {MAX_NAME_CHARS} characters", line
        )
    return segment


def _web_url(value: str) -> str:
    """Only http(s) addresses are kept: anything else ("n/a", "javascript:...") is dropped."""
    value = value.strip()
    if re.match(r"https?://\S+$", value, re.IGNORECASE) and len(value) <= MAX_URL_CHARS:
        return value
    return ""


def _month_end(year: int, month: int) -> date:
    # monthrange raises ValueError for month 0 or 13, like date() does.
    return date(year, month, calendar.monthrange(year, month)[1])


def _long_date(day: date) -> str:
    return f"{day.day} {MONTHS[day.month]} {day.year}"


# --- CSV reading ----------------------------------------------------------------------------

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}


@dataclass(frozen=True)
class _Table:
    header_line: int
    header: list[str]
    columns: dict[str, int]  # field name -> column index
    delimiter: str
    text: str

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """(physical line where the record starts, cells) for each row below the header."""
        for line, cells in _records(self.text, self.delimiter):
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


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
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
        for line, cells in _records(text, delimiter):
            if line >= skip_to and any(cell.strip() for cell in cells):
                return line, cells
    except ImportFormatError:
        return None
    return None


def _read_table(text: str, aliases: dict[str, tuple[str, ...]]) -> _Table:
    """Find the header and the delimiter (comma, semicolon or tab) that explains it best."""
    first_line = text.split("\n", 1)[0].strip()
    forced = re.fullmatch(r"sep=(.)", first_line, re.IGNORECASE)  # Excel's delimiter hint
    candidates = [forced.group(1)] if forced and forced.group(1) in DELIMITERS else DELIMITERS
    skip_to = 2 if forced else 1
    best: _Table | None = None
    for delimiter in candidates:
        found = _first_record(text, delimiter, skip_to)
        if found is None:
            continue
        line, header = found
        table = _Table(line, header, _match_columns(header, aliases), delimiter, text)
        if best is None or (len(table.columns), len(table.header)) > (
            len(best.columns),
            len(best.header),
        ):
            best = table
    if best is None:
        raise ImportFormatError("no header row found", 1)
    return best


def _require(table: _Table, groups: dict[str, tuple[str, ...]]) -> None:
    """Each group of fields, named for people by its key, needs at least one column."""
    missing = [name for name, group in groups.items() if not any(f in table.columns for f in group)]
    if not missing:
        return
    found = ", ".join(cell.strip() for cell in table.header if cell.strip()) or "none"
    plural = "s" if len(missing) > 1 else ""
    raise ImportFormatError(
        f"missing column{plural}: {'; '.join(missing)}. Found: {found}", table.header_line
    )


def _dedupe(items: list[ParsedItem], what: str) -> list[ParsedItem]:
    """The same key twice with the same text is one item; with another text, an error."""
    seen: dict[str, ParsedItem] = {}
    unique = []
    for item in items:
        earlier = seen.get(item.external_key)
        if earlier is None:
            seen[item.external_key] = item
            unique.append(item)
        elif earlier.text != item.text or earlier.collected_on != item.collected_on:
            raise ImportFormatError(
                f"{what} already appears on line {earlier.line} with different content",
                item.line,
            )
    return unique


# --- support tickets ------------------------------------------------------------------------

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

_ZONE = r"(?:Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)"
_TIME = rf"(?:[T ]\s*(\d{{1,2}}):(\d{{2}})(?::(\d{{2}})(?:[.,]\d+)?)?\s*{_ZONE}?)?"
DATE_FORMS = (
    (re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})" + _TIME, re.IGNORECASE), ("y", "m", "d")),
    (re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})" + _TIME, re.IGNORECASE), ("y", "m", "d")),
    (re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})" + _TIME, re.IGNORECASE), ("d", "m", "y")),
)


def parse_date(value: str) -> date | None:
    """A date in one of the forms listed at the top of this module, else None."""
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


def parse_support_csv(data: bytes, *, filename: str) -> ParsedFile:
    return _parse_table_file(
        data,
        filename=filename,
        what="a CSV of support tickets with a header row",
        columns=SUPPORT_COLUMNS,
        required=SUPPORT_REQUIRED,
        parse_row=_ticket,
        row_name="ticket",
        rows_name="tickets",
        source_kind="support_ticket",
        title="Support tickets",
    )


def _parse_table_file(
    data: bytes,
    *,
    filename: str,
    what: str,
    columns: dict[str, tuple[str, ...]],
    required: dict[str, tuple[str, ...]],
    parse_row,
    row_name: str,
    rows_name: str,
    source_kind: str,
    title: str,
) -> ParsedFile:
    """A CSV with a header, one item per non-blank row; the source dated by its newest row."""
    table = _read_table(_text_of(data, what), columns)
    _require(table, required)
    items = [
        parse_row(table, cells, line)
        for line, cells in table.records()
        if any(cell.strip() for cell in cells)
    ]
    items = _dedupe(items, f"this {row_name}")
    if not items:
        raise ImportFormatError(f"the file has a header but no {rows_name}")
    return ParsedFile(
        source_kind=source_kind,
        source_title=_title(title, filename),
        source_collected_on=max(item.collected_on for item in items if item.collected_on),
        source_key=hashlib.sha256(data).hexdigest(),
        items=items,
    )


def _ticket(table: _Table, cells: list[str], line: int) -> ParsedItem:
    table.check_width(cells, line)
    created_raw = table.cell(cells, "created")
    if not created_raw:
        raise ImportFormatError(f"{table.name('created')} is empty", line)
    created = parse_date(created_raw)
    if created is None:
        raise ImportFormatError(
            f"{table.name('created')} {_shown(created_raw)} is not a date (use YYYY-MM-DD)", line
        )
    subject = _one_line(table.cell(cells, "subject"))
    body = _paragraphs(table.cell(cells, "body"))
    if not subject and not body:
        names = " and ".join(
            table.name(field) for field in ("subject", "body") if field in table.columns
        )
        raise ImportFormatError(f"{names} {'are both' if ' and ' in names else 'is'} empty", line)
    text = _checked_text(_join_sentences(subject, body), line)

    ticket_id = _one_line(table.cell(cells, "id"))
    channel = _one_line(table.cell(cells, "channel"))
    locator = f"ticket {ticket_id}" if ticket_id else f"line {line}"
    if channel:
        locator += f" ({channel})"
    external_key = ticket_id or "row:" + _sha1(created.isoformat(), subject, body)[:16]
    return ParsedItem(
        text=text,
        external_key=_bounded_key(external_key),
        line=line,
        collected_on=created,
        segment=_checked_segment(table.cell(cells, "segment"), line),
        locator=locator[:MAX_NAME_CHARS],
        url=_web_url(table.cell(cells, "url")),
    )


def _join_sentences(subject: str, body: str) -> str:
    if not subject or not body:
        return subject or body
    if body.startswith(subject):  # exports that repeat the subject as the first line
        return body
    separator = " " if subject[-1] in ".!?:…" else ". "
    return subject + separator + body


# --- transcripts ----------------------------------------------------------------------------

INTERVIEWER_ROLE = re.compile(r"\b(interviewer|moderator|facilitator)\b", re.IGNORECASE)
_TIMESTAMP = r"(?:\d+:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
CUE_TIMING = re.compile(rf"\s*({_TIMESTAMP})\s*-->\s*({_TIMESTAMP})(?:\s.*)?")
VOICE = re.compile(r"<v(?:\.[^\s>]+)*(?:\s+([^>]*))?>", re.IGNORECASE)
TAG = re.compile(r"</?[A-Za-z][^>]*>|<\d[^>]*>|\{\\[^}]*\}")
_CLOCK = r"[\[(]?\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?[\])]?"
# "Maria:", "Dr. Ana de la Cruz:", "Interviewer (Sam):", "P3:", "[00:01:02] Maria:",
# "Maria (00:01:02):".
SPEAKER = re.compile(
    rf"\s*(?:{_CLOCK}\s+)?(?P<name>[^\W\d_][\w.'’&()/ -]{{0,59}}?)\s*(?:{_CLOCK})?\s*:"
    r"(?:\s+(?P<text>.*))?"
)
# Otter-style "Maria Lopez  0:03" on a line of its own.
SPEAKER_STAMP = re.compile(
    r"\s*(?P<name>[^\W\d_][\w.'’& -]{0,59}?)\s+[\[(]?\d{1,2}:\d{2}(?::\d{2})?[\])]?\s*"
)
NAME_PARTICLES = {"de", "del", "della", "la", "le", "van", "von", "der", "den", "da", "di", "du"}
NAME_PARTICLES |= {"dos", "das", "do", "el", "al", "bin", "ibn", "y", "e", "ter", "ten", "zu"}
# "Key: value" lines before the first turn that describe the interview instead.
METADATA_KEYS = {"date", "time", "location", "place", "project", "study", "duration", "title"}
METADATA_KEYS |= {"topic", "recording", "session", "attendees", "participants", "notes"}
METADATA_KEYS |= {"transcript", "subject", "company", "product", "language"}
PEOPLE_KEYS = {"participant", "interviewee", "interviewer", "moderator", "facilitator"}
FILENAME_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")


@dataclass
class _Turn:
    speaker: str
    line: int
    locator: str
    parts: list[str]
    size: int = 0  # characters so far, to stop merging before the evidence limit

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text) + 1


def _speaker_name(raw: str) -> str | None:
    """The raw name if it looks like a person's label, else None ("So what I mean is")."""
    name = re.sub(r"\s*[\[(]\d{1,2}:\d{2}(?::\d{2})?[\])]", "", raw)  # "Maria (00:01:02)"
    name = " ".join(name.split())
    if not name or len(name) > 60:
        return None
    if INTERVIEWER_ROLE.search(name):
        return name
    words = re.sub(r"\([^)]*\)", "", name).split()
    if not words or len(words) > 5:
        return None
    for word in words:
        if word in NAME_PARTICLES or word[0].isdigit():
            continue
        if not word[0].isupper():
            return None
    return name


def _split_speaker(text: str) -> tuple[str, str] | None:
    """(name, text) for a line that starts a turn, else None."""
    match = SPEAKER.fullmatch(text)
    if match:
        name = _speaker_name(match.group("name"))
        if name is not None:
            return name, match.group("text") or ""
    match = SPEAKER_STAMP.fullmatch(text)
    if match:
        name = _speaker_name(match.group("name"))
        if name is not None:
            return name, ""
    return None


def _is_interviewer(speaker: str, interviewers: set[str]) -> bool:
    return _name_key(speaker) in interviewers or bool(INTERVIEWER_ROLE.search(speaker))


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _collected_on(filename: str, collected_on: date | None, today: date) -> date:
    if collected_on is not None:
        return collected_on
    for match in FILENAME_DATE.finditer(_file_name(filename)):
        try:
            return date(*(int(group) for group in match.groups()))
        except ValueError:
            continue
    return today


def _cue_time(stamp: str) -> str:
    """Cue start times in one spelling: 1:02.5 and 00:01:02,500 become 00:01:02.500."""
    clock, _, fraction = stamp.replace(",", ".").partition(".")
    numbers = [int(part) for part in clock.split(":")]
    hours, minutes, seconds = ([0] * (3 - len(numbers)) + numbers)[-3:]
    millis = int(fraction.ljust(3, "0")[:3]) if fraction else 0
    minutes, seconds = minutes + seconds // 60, seconds % 60
    hours, minutes = hours + minutes // 60, minutes % 60
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def _blocks(lines: list[str]) -> Iterator[tuple[int, list[str]]]:
    """Runs of non-blank lines with the physical line number of their first line."""
    block: list[str] = []
    start = 0
    for number, line in enumerate(lines, start=1):
        if line.strip():
            if not block:
                start = number
            block.append(line)
        elif block:
            yield start, block
            block = []
    if block:
        yield start, block


def _cue_segments(cue_text: str) -> list[tuple[str | None, str]]:
    """(voice or None, cleaned text) for each voice span of a cue."""
    pieces = VOICE.split(cue_text)
    spans: list[tuple[str | None, str]] = [(None, pieces[0])]
    spans += [(pieces[i] or "", pieces[i + 1]) for i in range(1, len(pieces), 2)]
    segments = []
    for voice, raw in spans:
        text = _one_line(html.unescape(TAG.sub(" ", raw)))
        if text:
            name = _one_line(html.unescape(voice)) if voice is not None else None
            segments.append((name, text))
    return segments


def _cue_turns(lines: list[str], kind: str) -> list[_Turn]:
    turns: list[_Turn] = []
    cues = 0
    for number, (start, block) in enumerate(_blocks(lines)):
        head = block[0].strip()
        if number == 0 and head.startswith("WEBVTT"):
            continue
        if re.match(r"(NOTE|STYLE|REGION)(\s|$)", head):
            continue
        found = _cue_timing(block)
        if found is not None:
            cues += 1
            timing_at, timing = found
            body, locator = block[timing_at + 1 :], _cue_time(timing.group(1))
        elif cues:
            # A blank line inside a cue's text (seen in hand-edited SRT files).
            body, locator = block, turns[-1].locator if turns else ""
        else:
            raise ImportFormatError(
                f"expected a {kind} cue timing like {_example_timing(kind)}", start
            )
        for voice, text in _cue_segments("\n".join(body)):
            speaker, said = (voice, text) if voice is not None else _cue_speaker(text)
            if said:
                _add_cue_text(turns, speaker, said, start, locator)
    if not cues:
        raise ImportFormatError(
            f"no cues found; a {kind} file has timings like {_example_timing(kind)}"
        )
    return turns


def _cue_timing(block: list[str]) -> tuple[int, re.Match[str]] | None:
    """The timing line comes first, or after a cue identifier."""
    for index, line in enumerate(block[:2]):
        if match := CUE_TIMING.fullmatch(line):
            return index, match
    return None


def _cue_speaker(text: str) -> tuple[str, str]:
    """A cue without a voice tag may start with "Name: "."""
    return _split_speaker(text) or ("", text)


def _add_cue_text(turns: list[_Turn], speaker: str, said: str, line: int, locator: str) -> None:
    """Consecutive cues of one named speaker make one turn, located at its first cue."""
    current = turns[-1] if turns else None
    if (
        current is not None
        and speaker
        and _name_key(current.speaker) == _name_key(speaker)
        and current.size + len(said) < MAX_TEXT_CHARS
    ):
        current.add(said)
        return
    turn = _Turn(speaker, line, locator, [])
    turn.add(said)
    turns.append(turn)


def _example_timing(kind: str) -> str:
    return "00:01:02,500 --> 00:01:05,000" if kind == "SRT" else "00:01:02.500 --> 00:01:05.000"


def _plain_turns(lines: list[str]) -> tuple[list[_Turn], set[str]]:
    """The turns, and the interviewers named in a heading such as "Moderator: Sam Lee"."""
    turns: list[_Turn] = []
    named_interviewers: set[str] = set()
    current: _Turn | None = None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        named = _split_speaker(line)
        if named and current is None and _is_heading(*named):
            if INTERVIEWER_ROLE.fullmatch(named[0].strip()):
                named_interviewers.add(_name_key(named[1]))
            continue
        if named:
            current = _Turn(named[0], number, f"line {number}", [])
            current.add(named[1])
            turns.append(current)
        elif current is not None:
            current.add(line)
        # Lines before the first turn are a title or notes about the interview.
    if not turns:
        raise ImportFormatError(
            'no speaker turns found; expected lines like "Name: what they said"'
        )
    return turns, named_interviewers


def _is_heading(key: str, value: str) -> bool:
    """Whether a line above the first turn, such as "Date: 14 March" or "Participant: Dana",
    describes the interview rather than starting a turn."""
    key = key.strip().casefold()
    if key in METADATA_KEYS:
        return True
    if key not in PEOPLE_KEYS:
        return False
    value = value.strip()
    return bool(value) and value[-1] not in ".!?" and _speaker_name(value) is not None


def _transcript_kind(text: str, filename: str) -> str:
    if text.lstrip("\ufeff").startswith("WEBVTT"):
        return "WebVTT"
    extension = PureWindowsPath(_file_name(filename)).suffix.lower()
    if extension == ".vtt":
        return "WebVTT"
    if extension == ".srt":
        return "SRT"
    if any(CUE_TIMING.fullmatch(line) for line in text.split("\n")):
        return "SRT" if re.search(r"\d,\d{3}\s*-->", text) else "WebVTT"
    return "text"


def parse_transcript(
    data: bytes, *, filename: str, collected_on: date | None, interviewer: str, today: date
) -> ParsedFile:
    """One interview per file, one item per participant turn. `interviewer` may name several
    people separated by commas; speakers called Interviewer, Moderator or Facilitator (also
    "Interviewer (Sam)") are skipped too."""
    text = _text_of(data, "a transcript (.vtt, .srt or .txt)")
    kind = _transcript_kind(text, filename)
    lines = text.split("\n")
    interviewers = {_name_key(name) for name in interviewer.split(",") if name.strip()}
    if kind == "text":
        turns, named_interviewers = _plain_turns(lines)
        interviewers |= named_interviewers
    else:
        turns = _cue_turns(lines, kind)
    day = _collected_on(filename, collected_on, today)

    items = []
    for turn in turns:
        if _is_interviewer(turn.speaker, interviewers) or not turn.text:
            continue
        said = _checked_text(turn.text, turn.line)
        participant = turn.speaker[:MAX_NAME_CHARS]
        items.append(
            ParsedItem(
                text=said,
                external_key=f"{turn.locator}:{_sha1(participant, said)[:12]}",
                line=turn.line,
                collected_on=day,
                participant=participant,
                locator=turn.locator,
            )
        )
    if not items:
        interviewers_heard = sorted({turn.speaker for turn in turns if turn.speaker and turn.text})
        detail = "no participant turns found"
        if interviewers_heard:
            detail += f": every turn is the interviewer's ({', '.join(interviewers_heard)})"
        raise ImportFormatError(detail)
    return ParsedFile(
        source_kind="interview",
        source_title=_title("Interview", filename),
        source_collected_on=day,
        source_key=hashlib.sha256(data).hexdigest(),
        items=_dedupe(items, "this turn"),
    )


# --- usage data -----------------------------------------------------------------------------

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
        start, end = date(year, month, 1), _month_end(year, month)
        return Period(f"{year}-{month:02d}", start, end, f"In {MONTHS[month]} {year}")
    if match := re.fullmatch(r"(\d{4})-?Q([1-4])", value, re.IGNORECASE):
        year, quarter = int(match.group(1)), int(match.group(2))
        start, end = date(year, quarter * 3 - 2, 1), _month_end(year, quarter * 3)
        return Period(f"{year}-Q{quarter}", start, end, f"In Q{quarter} {year}")
    if match := re.fullmatch(r"(\d{4})-?W(\d{2})", value, re.IGNORECASE):
        year, week = int(match.group(1)), int(match.group(2))
        monday = date.fromisocalendar(year, week, 1)
        end = date.fromisocalendar(year, week, 7)
        return Period(f"{year}-W{week:02d}", monday, end, f"In the week of {_long_date(monday)}")
    if match := re.fullmatch(_ISO_DATE, value):
        day = date(*(int(group) for group in match.groups()))
        return Period(day.isoformat(), day, day, f"On {_long_date(day)}")
    if match := re.fullmatch(rf"{_ISO_DATE}\s*(?:\.\.|/)\s*{_ISO_DATE}", value):
        numbers = [int(group) for group in match.groups()]
        start, end = date(*numbers[:3]), date(*numbers[3:])
        if end < start:
            return None
        phrase = f"From {_long_date(start)} to {_long_date(end)}"
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


def parse_usage_csv(data: bytes, *, filename: str) -> ParsedFile:
    return _parse_table_file(
        data,
        filename=filename,
        what="a CSV with columns period, metric, value and segment",
        columns=USAGE_COLUMNS,
        required=USAGE_REQUIRED,
        parse_row=_usage_row,
        row_name="period, metric and segment",
        rows_name="rows",
        source_kind="usage_data",
        title="Usage data",
    )


def _usage_row(table: _Table, cells: list[str], line: int) -> ParsedItem:
    table.check_width(cells, line)
    period_raw = table.cell(cells, "period")
    period = parse_period(period_raw)
    if period is None:
        raise ImportFormatError(
            f"{table.name('period')} {_shown(period_raw)} is not a period "
            "(use 2026-03, 2026-Q1, 2026-W10, 2026-03-15 or 2026-03-01..2026-03-31)",
            line,
        )
    metric = _one_line(table.cell(cells, "metric"))
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
            f"{table.name('value')} {_shown(value_raw)} is not a number "
            '(use digits, e.g. "1234", "1,234.5" or "12.5%")',
            line,
        )
    segment = _checked_segment(table.cell(cells, "segment"), line)
    subject = f"{segment}: {metric}" if segment else metric
    return ParsedItem(
        text=f"{period.phrase}, {subject} was {value}.",
        external_key=_bounded_key(f"{period.key}|{metric}|{segment}"),
        line=line,
        collected_on=period.end,
        starts_on=period.start,
        segment=segment,
        locator=f"line {line}",
    )


# --- dispatch -------------------------------------------------------------------------------


def parse_import(
    fmt: str,
    data: bytes,
    *,
    filename: str,
    collected_on: date | None = None,
    interviewer: str = "",
    today: date,
) -> ParsedFile:
    """`collected_on` and `interviewer` only matter to transcripts: tickets and usage rows
    carry their own dates. Nothing may be dated after `today` (see `_not_in_the_future`)."""
    if fmt == "support_csv":
        parsed = parse_support_csv(data, filename=filename)
    elif fmt == "transcript":
        parsed = parse_transcript(
            data,
            filename=filename,
            collected_on=collected_on,
            interviewer=interviewer,
            today=today,
        )
    elif fmt == "usage_csv":
        parsed = parse_usage_csv(data, filename=filename)
    else:
        raise ImportFormatError(
            f"unknown format {_shown(str(fmt))}; use one of {', '.join(FORMATS)}"
        )
    return _not_in_the_future(parsed, today=today)


# A day's grace: a ticket written this morning in Auckland is dated tomorrow in London.
FUTURE_GRACE = timedelta(days=1)


def _not_in_the_future(parsed: ParsedFile, *, today: date) -> ParsedFile:
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
                raise ImportFormatError(f"the period {period} is in the future", item.line)
            if item.starts_on is None:
                raise ImportFormatError(f"the date {day} is in the future", item.line)
            item = replace(item, collected_on=today)
        items.append(item)
    dates = [item.collected_on for item in items if item.collected_on]
    source_collected_on = parsed.source_collected_on
    if source_collected_on is not None and source_collected_on > latest:
        source_collected_on = max(dates) if dates else today
    return replace(parsed, items=items, source_collected_on=source_collected_on)
