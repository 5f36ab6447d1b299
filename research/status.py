"""A note's evidence status: a pure function of its links, plus one bulk loader.

`maps` asks `research` about evidence through `statuses_for_notes`, so the dependency between
the two apps has one direction. One exception: the live board's batched note ops read the
link facts in the same statement as their notes (`maps.selectors.lock_map_for_note_ops`, to
save a round trip under the map's lock) and judge them here, with `statuses_from_facts`.
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
# How pages name each status.
STATUS_LABELS = {
    ASSUMPTION: "Assumption",
    SUPPORTED: "Supported",
    STALE: "Stale",
    CONTESTED: "Contested",
}


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
    # The last day on which the freshest supporting evidence is (or was) fresh; None without.
    fresh_until: date | None
    # For a stale note: the first day none of its supporting evidence was fresh any more.
    stale_since: date | None = None


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
        # In the past for a stale note: the last day its freshest support counted (contract).
        fresh_until=max((fresh_until(link) for link in supports), default=None),
        stale_since=(
            max(fresh_until(link) for link in supports) + timedelta(days=1)
            if status == STALE
            else None
        ),
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
    return statuses_from_facts(empathy_map, facts)


def statuses_from_facts(empathy_map, facts: Mapping[int, list[LinkFact]]) -> dict[int, NoteStatus]:
    """The status of each note from the facts of its links, judged today under the map's
    freshness settings: `statuses_for_notes` once it has read them, or a caller that read them
    with its own query (the live board's batched note ops, maps/selectors.py)."""
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


def is_fresh(
    collected_on: date,
    kind: str,
    *,
    today: date,
    freshness_days: int,
    shelf_life: Mapping[str, int] | None = None,
) -> bool:
    days = shelf_days(kind, freshness_days=freshness_days, shelf_life=shelf_life or {})
    return collected_on + timedelta(days=days) >= today


@dataclass(frozen=True)
class Coverage:
    """Section by segment: how many live notes have supporting evidence from each segment."""

    segments: list[dict]  # every segment of the workspace, by name: {"id", "name"}
    by_section: dict[str, dict[str, int]]  # section -> segment name -> notes
    unsegmented: dict[str, int]  # section -> notes with support that names no segment


def segment_coverage(empathy_map, notes: Iterable[tuple[int, str]]) -> Coverage:
    """Coverage of the map's sections by the workspace's segments, in two queries.

    `notes` are the (id, section) pairs to count, usually the live notes. Any supporting link
    counts, fresh or not (the status already says which are stale); a note counts once per
    segment however many of its links come from it.
    """
    from research.models import EvidenceLink, Segment, Stance

    notes = list(notes)
    section_of = dict(notes)
    segments = list(
        Segment.objects.filter(workspace_id=empathy_map.workspace_id)
        .order_by("name")
        .values("id", "name")
    )
    name_of = {segment["id"]: segment["name"] for segment in segments}
    sections = list(dict.fromkeys([*empathy_map.sections, *section_of.values()]))
    by_section = {section: dict.fromkeys(name_of.values(), 0) for section in sections}
    unsegmented = dict.fromkeys(sections, 0)

    rows = (
        EvidenceLink.objects.filter(note__map_id=empathy_map.pk, stance=Stance.SUPPORTS)
        .values_list("note_id", "evidence__segment_id", "evidence__source__segment_id")
        .distinct()
    )
    seen: set[tuple[int, int | None]] = set()
    for note_id, segment_id, source_segment_id in rows:
        segment = segment_id or source_segment_id
        if note_id not in section_of or (note_id, segment) in seen:
            continue
        seen.add((note_id, segment))
        section = section_of[note_id]
        if segment in name_of:
            by_section[section][name_of[segment]] += 1
        else:
            unsegmented[section] += 1
    return Coverage(segments=segments, by_section=by_section, unsegmented=unsegmented)
