"""Interview transcripts (.vtt, .srt, .txt): one source per file, one item per participant
turn, dated by the `collected_on` field, else the file's header, else its name, else today."""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import PureWindowsPath

from research.importers.common import (
    MAX_NAME_CHARS,
    ImportFormatError,
    ItemCounter,
    ParsedFile,
    ParsedItem,
    RowErrors,
    checked_text,
    dedupe,
    file_name,
    sha1,
    text_of,
    title,
)
from research.importers.cues import CUE_TIMING
from research.importers.dates import file_name_date, header_date
from research.importers.speakers import TurnCounter, is_interviewer, name_key
from research.importers.srt import srt_turns
from research.importers.text import text_turns
from research.importers.vtt import vtt_turns


def transcript_kind(text: str, filename: str) -> str:
    if text.lstrip("\ufeff").startswith("WEBVTT"):
        return "WebVTT"
    extension = PureWindowsPath(file_name(filename)).suffix.lower()
    if extension == ".vtt":
        return "WebVTT"
    if extension == ".srt":
        return "SRT"
    if any(CUE_TIMING.fullmatch(line) for line in text.split("\n")):
        return "SRT" if re.search(r"\d,\d{3}\s*-->", text) else "WebVTT"
    return "text"


def transcript_date(
    *, collected_on: date | None, header: list[str], filename: str, today: date
) -> tuple[date, str, list[str]]:
    """(the day, where it came from, warnings) by the precedence in the module docstring."""
    if collected_on is not None:
        return collected_on, "field", []
    day, problem = header_date(header)
    if day is not None:
        return day, "header", []
    warnings = [f"Not dated by its header: {problem}."] if problem else []
    day = file_name_date(filename)
    if day is not None:
        return day, "file_name", warnings
    warnings.append(
        f"No date found in the file's header or name: every turn is dated today "
        f"({today.isoformat()}), so it counts as fresh evidence. If the interview was "
        "earlier, give its date in “Collected on” (or correct each item's date)."
    )
    return today, "today", warnings


def parse_transcript(
    data: bytes,
    *,
    filename: str,
    collected_on: date | None,
    interviewer: str,
    today: date,
    max_items: int | None = None,
) -> ParsedFile:
    """One interview per file, one item per participant turn. `interviewer` may name several
    people separated by commas; speakers called Interviewer, Moderator or Facilitator (also
    "Interviewer (Sam)") are skipped too. A malformed file is refused whole (there is no
    skipping of bad cues: a broken timing leaves the turns around it unknown)."""
    text = text_of(data, "a transcript (.vtt, .srt or .txt)")
    kind = transcript_kind(text, filename)
    lines = text.split("\n")
    interviewers = {name_key(name) for name in interviewer.split(",") if name.strip()}
    counter = TurnCounter(ItemCounter(max_items), interviewers)
    if kind == "WebVTT":
        turns, header = vtt_turns(lines, counter)
    elif kind == "SRT":
        turns, header = srt_turns(lines, counter)
    else:
        turns, header = text_turns(lines, counter)
    day, date_source, warnings = transcript_date(
        collected_on=collected_on, header=header, filename=filename, today=today
    )

    items = []
    for turn in turns:
        if is_interviewer(turn.speaker, interviewers) or not turn.text:
            continue
        said = checked_text(turn.text, turn.line)
        participant = turn.speaker[:MAX_NAME_CHARS]
        items.append(
            ParsedItem(
                text=said,
                external_key=f"{turn.locator}:{sha1(participant, said)[:12]}",
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
        source_title=title("Interview", filename),
        source_collected_on=day,
        source_key=hashlib.sha256(data).hexdigest(),
        items=dedupe(items, "this turn", RowErrors(skip=False)),
        date_source=date_source,
        warnings=warnings,
    )
