"""WebVTT transcripts: the `WEBVTT` header and `NOTE` blocks (where the date is), then cues.

See research/importers/cues.py for the timing rules and why webvtt-py is not used.
"""

from __future__ import annotations

import re

from research.importers.cues import blocks, cue_turns
from research.importers.speakers import Turn, TurnCounter


def vtt_turns(lines: list[str], counter: TurnCounter) -> tuple[list[Turn], list[str]]:
    """The turns, and the header lines: the `WEBVTT` block (the words after "WEBVTT" too)
    and the `NOTE` blocks before the first cue, as "Key: value" lines."""
    all_blocks = list(blocks(lines))
    header: list[str] = []
    cue_blocks = all_blocks
    if all_blocks and all_blocks[0][1][0].lstrip("\ufeff").strip().startswith("WEBVTT"):
        first = all_blocks[0][1]
        header += [re.sub(r"^\ufeff?WEBVTT\s*-?\s*", "", first[0].strip()), *first[1:]]
        cue_blocks = all_blocks[1:]
    for _, block in cue_blocks:
        head = block[0].strip()
        if "-->" in head or (len(block) > 1 and "-->" in block[1]):
            break
        if re.match(r"NOTE(\s|$)", head):
            header += [re.sub(r"^NOTE\s*", "", head), *block[1:]]
    return cue_turns(iter(cue_blocks), "WebVTT", counter), header
