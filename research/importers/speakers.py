"""Who speaks in a transcript: speaker labels, interviewers, and turns being built."""

from __future__ import annotations

import re
from dataclasses import dataclass

from research.importers.dates import DATE_KEYS

INTERVIEWER_ROLE = re.compile(r"\b(interviewer|moderator|facilitator)\b", re.IGNORECASE)
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
METADATA_KEYS |= set(DATE_KEYS)
PEOPLE_KEYS = {"participant", "interviewee", "interviewer", "moderator", "facilitator"}


@dataclass
class Turn:
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


def speaker_name(raw: str) -> str | None:
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


def split_speaker(text: str) -> tuple[str, str] | None:
    """(name, text) for a line that starts a turn, else None."""
    match = SPEAKER.fullmatch(text)
    if match:
        name = speaker_name(match.group("name"))
        if name is not None:
            return name, match.group("text") or ""
    match = SPEAKER_STAMP.fullmatch(text)
    if match:
        name = speaker_name(match.group("name"))
        if name is not None:
            return name, ""
    return None


def is_heading(key: str, value: str) -> bool:
    """Whether a line above the first turn, such as "Date: 14 March" or "Participant: Dana",
    describes the interview rather than starting a turn."""
    key = " ".join(key.split()).casefold()
    if key in METADATA_KEYS:
        return True
    if key not in PEOPLE_KEYS:
        return False
    value = value.strip()
    return bool(value) and value[-1] not in ".!?" and speaker_name(value) is not None


def is_interviewer(speaker: str, interviewers: set[str]) -> bool:
    return name_key(speaker) in interviewers or bool(INTERVIEWER_ROLE.search(speaker))


def name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


class TurnCounter:
    """Counts the participants' turns against the item limit as they start."""

    def __init__(self, counter, interviewers: set[str]):
        self.counter = counter
        self.interviewers = interviewers

    def started(self, turn: Turn) -> None:
        if not is_interviewer(turn.speaker, self.interviewers):
            self.counter.add(turn.line)
