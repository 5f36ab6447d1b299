"""SRT transcripts: an optional front matter block (where the date is), then numbered cues.

Front matter is the file's first block when it is fenced by `---` lines or made only of
"Key: value" lines describing the interview (`Date: 20 May 2026`, `Participant: Dana`). See
research/importers/cues.py for the timing rules and why the `srt` package is not used.
"""

from __future__ import annotations

import itertools
import re

from research.importers.cues import blocks, cue_turns
from research.importers.speakers import METADATA_KEYS, PEOPLE_KEYS, Turn, TurnCounter

KEY_VALUE = re.compile(r"\s*(?P<key>[A-Za-z][A-Za-z ]{0,30}?)\s*:\s*(?P<value>.*)")


def front_matter(block: list[str]) -> bool:
    if block[0].strip() == "---":
        return True
    for line in block:
        match = KEY_VALUE.fullmatch(line)
        key = " ".join(match["key"].split()).casefold() if match else ""
        if key not in METADATA_KEYS | PEOPLE_KEYS:
            return False
    return True


def srt_turns(lines: list[str], counter: TurnCounter) -> tuple[list[Turn], list[str]]:
    """The turns and the front matter's lines; blocks are read one at a time."""
    stream = blocks(lines)
    first = next(stream, None)
    header: list[str] = []
    if first is not None and front_matter(first[1]):
        header = [line for line in first[1] if line.strip() != "---"]
    elif first is not None:
        stream = itertools.chain([first], stream)
    return cue_turns(stream, "SRT", counter), header
