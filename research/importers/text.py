"""Plain-text transcripts: "Name: what they said" turns, under a header of "Key: value" lines
(`Date: 20 May 2026`, `Moderator: Sam Lee`) or a `---` fenced front matter block."""

from __future__ import annotations

from research.importers.common import ImportFormatError
from research.importers.speakers import (
    INTERVIEWER_ROLE,
    Turn,
    TurnCounter,
    is_heading,
    name_key,
    split_speaker,
)


def text_turns(lines: list[str], counter: TurnCounter) -> tuple[list[Turn], list[str]]:
    """The turns and the header lines (those above the first turn). Interviewers named in a
    heading such as "Moderator: Sam Lee" join `counter.interviewers`."""
    turns: list[Turn] = []
    header: list[str] = []
    current: Turn | None = None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        named = split_speaker(line)
        if current is None and (named is None or is_heading(*named)):
            header.append(line)
            if named and INTERVIEWER_ROLE.fullmatch(named[0].strip()):
                counter.interviewers.add(name_key(named[1]))
            continue
        if named:
            current = Turn(named[0], number, f"line {number}", [])
            current.add(named[1])
            counter.started(current)
            turns.append(current)
        else:
            current.add(line)
        # Lines before the first turn are a title or notes about the interview.
    if not turns:
        raise ImportFormatError(
            'no speaker turns found; expected lines like "Name: what they said"'
        )
    return turns, header
