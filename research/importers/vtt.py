"""WebVTT transcripts: the `WEBVTT` header and `NOTE` blocks (where the date is), then cues.

See research/importers/cues.py for the timing rules and why webvtt-py is not used.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

from research.importers.cues import blocks, cue_turns
from research.importers.speakers import Turn, TurnCounter

NOTE = re.compile(r"NOTE(\s|$)")


def vtt_turns(lines: list[str], counter: TurnCounter) -> tuple[list[Turn], list[str]]:
    """The turns, and the header lines: the `WEBVTT` block (the words after "WEBVTT" too)
    and the `NOTE` blocks before the first cue, as "Key: value" lines. Blocks are read one
    at a time, so the item cap stops the reading."""
    header: list[str] = []
    stream = blocks(lines)
    first = next(stream, None)
    if first is not None and first[1][0].lstrip("\ufeff").strip().startswith("WEBVTT"):
        header += [re.sub(r"^\ufeff?WEBVTT\s*-?\s*", "", first[1][0].strip()), *first[1][1:]]
    elif first is not None:
        stream = itertools.chain([first], stream)
    return cue_turns(_noting(stream, header), "WebVTT", counter), header


def _noting(stream, header: list[str]) -> Iterator[tuple[int, list[str]]]:
    """The blocks as they are, keeping the lines of the NOTE blocks before the first cue."""
    cues_started = False
    for start, block in stream:
        head = block[0].strip()
        if not cues_started:
            if "-->" in head or (len(block) > 1 and "-->" in block[1]):
                cues_started = True
            elif NOTE.match(head):
                header += [re.sub(r"^NOTE\s*", "", head), *block[1:]]
        yield start, block
