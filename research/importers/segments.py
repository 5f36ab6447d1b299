"""Segment names from a file matched to a workspace's segments, without the database.

Names match case- and space-insensitively: "enterprise  Finance" is "Enterprise finance". A
name that is not an existing segment is never created silently: the caller says, for each,
which existing segment it means (`segment_map`, matched the same way) or that new segments may
be created (`create`); otherwise it is listed in `SegmentPlan.unresolved`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


def segment_key(name: str) -> str:
    return " ".join((name or "").split()).casefold()


class UnknownMappedSegment(ValueError):
    """A `segment_map` value that names no existing segment."""

    def __init__(self, name: str):
        self.name = name
        super().__init__(f"{name!r} is not a segment of this workspace")


@dataclass
class SegmentPlan:
    # key of a name in the file -> the name of the segment it becomes (existing or to create)
    names: dict[str, str] = field(default_factory=dict)
    create: list[str] = field(default_factory=list)  # new segments, as first spelled
    unresolved: list[str] = field(default_factory=list)  # new names without an instruction


def plan_segments(
    names: Iterable[str],
    *,
    existing: Iterable[str],
    segment_map: dict[str, str] | None = None,
    create: bool = False,
) -> SegmentPlan:
    known = {}
    for name in existing:
        known.setdefault(segment_key(name), name)
    mapped = {}
    for source, target in (segment_map or {}).items():
        if segment_key(target) not in known:
            raise UnknownMappedSegment(target)
        mapped[segment_key(source)] = known[segment_key(target)]
    plan = SegmentPlan()
    for name in names:
        key = segment_key(name)
        if not key or key in plan.names:
            continue
        if key in mapped:
            plan.names[key] = mapped[key]
        elif key in known:
            plan.names[key] = known[key]
        elif create:
            spelled = " ".join(name.split())
            plan.names[key] = spelled
            plan.create.append(spelled)
        else:
            plan.names[key] = ""
            plan.unresolved.append(" ".join(name.split()))
    return plan


def closest_segment(name: str, existing: Iterable[str]) -> str | None:
    """The one existing segment a new name most likely means ("Enterprise" for "Enterprise
    finance": every word of one is a word of the other), or None when none or several are."""
    words = set(segment_key(name).split())
    if not words:
        return None
    matches = []
    for candidate in existing:
        other = set(segment_key(candidate).split())
        if other and (words <= other or other <= words):
            matches.append(candidate)
    return matches[0] if len(matches) == 1 else None
