"""Cue files (WebVTT and SRT): blocks, strict timing lines, voices, and the turns they make.

Why not `webvtt-py` or `srt`: both were tried (webvtt-py 0.6, srt 3.5) and neither serves the
contract, which refuses a malformed file whole with its physical line named. Given the cue
timing `00:01:06.980 --> 00:01:1O.100` (a letter O), webvtt-py drops the cue without a word,
and srt reads the end as 00:01:01 and keeps "O,100" as cue settings; neither reports line
numbers for any error. Both also lose what real interview exports carry: several `<v>` voices
in one cue, "Name:" speaker prefixes, blank lines inside a cue's text. So timings are checked
here with a strict pattern, line by line, and every error names its line.

Timing rules (both formats): `[hh:]mm:ss[.mmm]` (`,` or `.` before the milliseconds, one to
three digits), minutes and seconds below 60, an end not before its start, `-->` between the
two. A block whose first or second line has `-->` but is not such a timing is an error on
that line, as is a line of two timestamps without the arrow. In SRT the line above a timing is
the cue number and must be a whole number.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

from research.importers.common import MAX_TEXT_CHARS, ImportFormatError, one_line
from research.importers.speakers import Turn, TurnCounter, name_key, split_speaker

_TIMESTAMP = r"(?:\d+:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
CUE_TIMING = re.compile(rf"\s*({_TIMESTAMP})\s*-->\s*({_TIMESTAMP})(?:\s.*)?")
# Two timestamps with something other than "-->" between them ("->", "=>", "–", nothing).
NO_ARROW = re.compile(rf"\s*{_TIMESTAMP}\s*(?:-{{1,2}}>?|={{1,2}}>|[–—→>]|to)?\s*{_TIMESTAMP}\s*")
VOICE = re.compile(r"<v(?:\.[^\s>]+)*(?:\s+([^>]*))?>", re.IGNORECASE)
TAG = re.compile(r"</?[A-Za-z][^>]*>|<\d[^>]*>|\{\\[^}]*\}")
SKIPPED_BLOCKS = re.compile(r"(NOTE|STYLE|REGION)(\s|$)")


def blocks(lines: list[str]) -> Iterator[tuple[int, list[str]]]:
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


def example_timing(kind: str) -> str:
    return "00:01:02,500 --> 00:01:05,000" if kind == "SRT" else "00:01:02.500 --> 00:01:05.000"


def milliseconds(stamp: str, line: int, kind: str) -> int:
    clock, _, fraction = stamp.replace(",", ".").partition(".")
    numbers = [int(part) for part in clock.split(":")]
    if any(number >= 60 for number in numbers[-2:]):
        raise ImportFormatError(
            f"the cue time {stamp} has minutes or seconds of 60 or more; "
            f"expected a timing like {example_timing(kind)}",
            line,
        )
    hours, minutes, seconds = ([0] * (3 - len(numbers)) + numbers)[-3:]
    millis = int(fraction.ljust(3, "0")[:3]) if fraction else 0
    return ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis


def cue_time(millis: int) -> str:
    """Cue start times in one spelling: 1:02.5 and 00:01:02,500 become 00:01:02.500."""
    seconds, millis = divmod(millis, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def _timing(block: list[str], start: int, kind: str) -> tuple[int, int] | None:
    """(index of the timing line in the block, start in ms), None for a block without one;
    a malformed timing raises naming its line."""
    for index, line in enumerate(block[:2]):
        number = start + index
        if match := CUE_TIMING.fullmatch(line):
            begins = milliseconds(match.group(1), number, kind)
            ends = milliseconds(match.group(2), number, kind)
            if ends < begins:
                raise ImportFormatError(
                    f"the cue ends ({match.group(2)}) before it starts ({match.group(1)})",
                    number,
                )
            if kind == "SRT" and index == 1 and not block[0].strip().isdigit():
                raise ImportFormatError(
                    f"the SRT cue number {block[0].strip()[:40]!r} is not a whole number", start
                )
            return index, begins
        if "-->" in line and line.lstrip()[:1].isdigit():
            raise ImportFormatError(
                f"malformed cue timing {line.strip()[:60]!r}; "
                f"expected a timing like {example_timing(kind)}",
                number,
            )
        if NO_ARROW.fullmatch(line):
            raise ImportFormatError(
                f"the cue timing {line.strip()[:60]!r} has no '-->' between its times", number
            )
    return None


def _cue_segments(cue_text: str) -> list[tuple[str | None, str]]:
    """(voice or None, cleaned text) for each voice span of a cue."""
    pieces = VOICE.split(cue_text)
    spans: list[tuple[str | None, str]] = [(None, pieces[0])]
    spans += [(pieces[i] or "", pieces[i + 1]) for i in range(1, len(pieces), 2)]
    segments = []
    for voice, raw in spans:
        text = one_line(html.unescape(TAG.sub(" ", raw)))
        if text:
            name = one_line(html.unescape(voice)) if voice is not None else None
            segments.append((name, text))
    return segments


def cue_turns(
    cue_blocks: Iterator[tuple[int, list[str]]], kind: str, counter: TurnCounter
) -> list[Turn]:
    """The turns of a cue file's blocks (its header and front matter already taken off)."""
    turns: list[Turn] = []
    cues = 0
    for start, block in cue_blocks:
        if SKIPPED_BLOCKS.match(block[0].strip()):
            continue
        found = _timing(block, start, kind)
        if found is not None:
            cues += 1
            timing_at, begins = found
            body, locator = block[timing_at + 1 :], cue_time(begins)
        elif cues:
            # A blank line inside a cue's text (seen in hand-edited SRT files).
            body, locator = block, turns[-1].locator if turns else ""
        else:
            raise ImportFormatError(
                f"expected a {kind} cue timing like {example_timing(kind)}", start
            )
        for voice, text in _cue_segments("\n".join(body)):
            speaker, said = (voice, text) if voice is not None else _cue_speaker(text)
            if said:
                _add_cue_text(turns, speaker, said, start, locator, counter)
    if not cues:
        raise ImportFormatError(
            f"no cues found; a {kind} file has timings like {example_timing(kind)}"
        )
    return turns


def _cue_speaker(text: str) -> tuple[str, str]:
    """A cue without a voice tag may start with "Name: "."""
    return split_speaker(text) or ("", text)


def _add_cue_text(
    turns: list[Turn], speaker: str, said: str, line: int, locator: str, counter: TurnCounter
) -> None:
    """Consecutive cues of one named speaker make one turn, located at its first cue."""
    current = turns[-1] if turns else None
    if (
        current is not None
        and speaker
        and name_key(current.speaker) == name_key(speaker)
        and current.size + len(said) < MAX_TEXT_CHARS
    ):
        current.add(said)
        return
    turn = Turn(speaker, line, locator, [])
    turn.add(said)
    counter.started(turn)
    turns.append(turn)
