"""A note's evidence status: a pure function of its links, plus one bulk loader.

`maps` asks `research` about evidence only through `statuses_for_notes`, so the dependency
between the two apps has one direction.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

ASSUMPTION = "assumption"
SUPPORTED = "supported"
STALE = "stale"
CONTESTED = "contested"
STATUSES = (ASSUMPTION, SUPPORTED, STALE, CONTESTED)


@dataclass(frozen=True)
class LinkFact:
    stance: str  # "supports" or "contradicts"
    collected_on: date
    source_kind: str
    segment_id: int | None = None


@dataclass(frozen=True)
class NoteStatus:
    status: str
    narrow: bool
    supports: int
    contradicts: int
    # The last day on which the freshest supporting evidence is still fresh.
    fresh_until: date | None


NO_EVIDENCE = NoteStatus(ASSUMPTION, False, 0, 0, None)


def shelf_days(kind: str, *, freshness_days: int, shelf_life: Mapping[str, int]) -> int:
    return int(shelf_life.get(kind) or freshness_days)


def compute_status(
    links: Iterable[LinkFact],
    *,
    today: date,
    freshness_days: int,
    shelf_life: Mapping[str, int] | None = None,
) -> NoteStatus:
    shelf_life = shelf_life or {}
    links = list(links)
    supports = [link for link in links if link.stance == "supports"]
    contradicts = [link for link in links if link.stance == "contradicts"]

    def fresh_until(link: LinkFact) -> date:
        days = shelf_days(link.source_kind, freshness_days=freshness_days, shelf_life=shelf_life)
        return link.collected_on + timedelta(days=days)

    fresh_supports = [link for link in supports if fresh_until(link) >= today]
    any_fresh_contradiction = any(fresh_until(link) >= today for link in contradicts)

    if any_fresh_contradiction:
        status = CONTESTED
    elif not supports:
        status = ASSUMPTION
    elif not fresh_supports:
        status = STALE
    else:
        status = SUPPORTED

    narrow = bool(supports) and (
        len({link.segment_id for link in supports if link.segment_id is not None}) <= 1
        and len({link.source_kind for link in supports}) == 1
    )
    return NoteStatus(
        status=status,
        narrow=narrow,
        supports=len(supports),
        contradicts=len(contradicts),
        fresh_until=max((fresh_until(link) for link in fresh_supports), default=None),
    )


def today() -> date:
    return timezone.localdate()


def statuses_for_notes(empathy_map, note_ids: Iterable[int] | None = None) -> dict[int, NoteStatus]:
    """Statuses of the map's notes (all, or those named) in one query, whatever their number.

    Notes without links are missing from the result: their status is `NO_EVIDENCE`.
    """
    from research.models import EvidenceLink

    links = EvidenceLink.objects.filter(note__map_id=empathy_map.pk)
    if note_ids is not None:
        links = links.filter(note_id__in=list(note_ids))
    rows = links.values_list(
        "note_id",
        "stance",
        "evidence__collected_on",
        "evidence__source__kind",
        "evidence__segment_id",
        "evidence__source__segment_id",
    )
    facts: dict[int, list[LinkFact]] = {}
    for note_id, stance, collected_on, kind, segment_id, source_segment_id in rows:
        facts.setdefault(note_id, []).append(
            LinkFact(stance, collected_on, kind, segment_id or source_segment_id)
        )
    day = today()
    return {
        note_id: compute_status(
            note_links,
            today=day,
            freshness_days=empathy_map.freshness_days,
            shelf_life=empathy_map.shelf_life or {},
        )
        for note_id, note_links in facts.items()
    }
