"""The past of a map, read back from its event log: a note's history, the map as it was at any
seq or moment (`as_of`), two moments compared, and the recycle bin.

Every note event carries the whole note as it was after the event; link events carry the link
(with its evidence: date, source kind, segment) and the note; an evidence correction is a
`note.updated` with `"cause": "evidence"` naming the item, its segment and (since this module)
its date; `map.updated` carries the map, and (since this module) the changed settings' old
values under `"before"`. So the state after any event is a replay of those payloads, and each
note's status then is `research.status.compute_status` of its links then, judged on that day.

Every reader takes the requesting user: the drafting phase hides other teams' notes from some
members, and that filter belongs in `visible_note_ids` below, one place for all of these reads.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils import timezone

from maps import visibility
from maps.events import event_message
from maps.models import EmpathyMap, EventKind, MapEvent, Note, Role
from maps.selectors import (
    OFFSET_WITH_SPACE,
    iso,
    map_for_user,
    map_notes,
    map_payload,
    note_for_user,
    parse_id,
    parse_since,
    require_membership,
)
from research import status as evidence_status
from research.status import LinkFact, compute_status

# The note fields a person changes (the rest follow from them or from the evidence).
EDITABLE_FIELDS = ("text", "team", "color", "section", "position")
REVIEW_FIELDS = ("state", "comment")


def visible_note_ids(*, user, empathy_map: EmpathyMap, note_ids):
    """The notes of `note_ids` the user may see now: while the map drafts, a member who is not a
    lead sees only their own team's notes (maps/visibility.py), in history, as_of, compare and
    the bin alike. A note is judged by its team today, so one that left the member's team is
    hidden from its past too."""
    note_ids = set(note_ids)
    role, team = getattr(empathy_map, "role", None), getattr(empathy_map, "team", None)
    if role is None:
        role, team = require_membership(user=user, workspace_id=empathy_map.workspace_id)
    viewer = visibility.viewer_for(role=role, team=team, phase=empathy_map.phase)
    if not viewer.drafting or not note_ids:
        return note_ids
    return set(
        Note.objects.filter(map_id=empathy_map.pk, pk__in=note_ids, team=viewer.team).values_list(
            "pk", flat=True
        )
    )


# A note's history -----------------------------------------------------------------------------


def _changes(before: dict | None, after: dict) -> dict:
    """What a person changed from one state of a note to the next: field -> [before, after]."""
    if before is None:
        return {}
    changed = {
        name: [before.get(name), after.get(name)]
        for name in EDITABLE_FIELDS
        if before.get(name) != after.get(name)
    }
    before_review, after_review = before.get("review") or {}, after.get("review") or {}
    for name in REVIEW_FIELDS:
        if before_review.get(name) != after_review.get(name):
            changed[f"review_{name}"] = [before_review.get(name), after_review.get(name)]
    if before.get("status") != after.get("status"):
        changed["status"] = [before.get("status"), after.get("status")]
    return changed


def note_history(*, user, note_id: int) -> list[dict]:
    """Every event about the note, oldest first, each as the websocket sends it plus `changes`:
    the fields it changed, with the values before and after (a text edit shows both texts)."""
    note = note_for_user(user=user, note_id=note_id)
    if note.pk not in visible_note_ids(user=user, empathy_map=note.map, note_ids=[note.pk]):
        from django.http import Http404

        raise Http404("Not found.")
    events = (
        MapEvent.objects.filter(map_id=note.map_id, note_id=note.pk)
        .select_related("actor")
        .order_by("seq")
    )
    history = []
    previous = None
    for event in events:
        message = event_message(event)
        state = event.payload.get("note") if isinstance(event.payload.get("note"), dict) else None
        message["changes"] = _changes(previous, state) if state else {}
        if state:
            previous = state
        history.append(message)
    return history


def note_text_at(*, user, note_id: int, seq) -> str:
    """The note's text as it was after event `seq` (an event about this note)."""
    note = note_for_user(user=user, note_id=note_id)
    number = parse_id(str(seq)) if not isinstance(seq, int) else seq
    event = (
        MapEvent.objects.filter(map_id=note.map_id, note_id=note.pk, seq=number).first()
        if number is not None
        else None
    )
    state = event.payload.get("note") if event else None
    if not isinstance(state, dict) or not isinstance(state.get("text"), str):
        raise ValidationError({"seq": "Give the seq of an event in this note's history."})
    return state["text"]


def note_restore_text(*, actor, note_id: int, seq) -> dict:
    """Bring back the text the note had after event `seq`: a normal edit (`note_update`), based
    on the note's current version, so the restore is itself in the history."""
    from maps.services import note_update

    text = note_text_at(user=actor, note_id=note_id, seq=seq)
    current = note_for_user(user=actor, note_id=note_id, role=Role.EDITOR)
    return note_update(actor=actor, note_id=note_id, version=current.version, text=text)


# Moments --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Moment:
    seq: int
    at: datetime
    day: date  # the day statuses are judged on


def _event_time(empathy_map: EmpathyMap, seq: int) -> datetime:
    if seq == 0:
        return empathy_map.created_at
    return (
        MapEvent.objects.filter(map_id=empathy_map.pk, seq=seq)
        .values_list("created_at", flat=True)
        .get()
    )


def now_moment(empathy_map: EmpathyMap) -> Moment:
    return Moment(seq=empathy_map.seq, at=timezone.now(), day=evidence_status.today())


def resolve_moment(empathy_map: EmpathyMap, value, *, name: str = "as_of") -> Moment:
    """A seq (a whole number) or an ISO 8601 moment as a point in the map's life.

    A seq: after that event (0: the map as created), judged on the day of the event. A moment:
    after the last event at or before it, judged on that moment's day. Refused (400 naming
    `name`) beyond the map's seq, before the map's creation, or in the future.
    """
    text = str(value).strip() if value is not None else ""
    if not text:
        raise ValidationError({name: "Give a seq or an ISO 8601 date and time."})
    if text.isascii() and text.isdigit():
        seq = parse_id(text)
        if seq is None or seq > empathy_map.seq:
            raise ValidationError(
                {name: f"The map's latest event is seq {empathy_map.seq}; {text} is beyond it."}
            )
        at = _event_time(empathy_map, seq)
        return Moment(seq=seq, at=at, day=timezone.localdate(at))
    try:
        moment = parse_since(OFFSET_WITH_SPACE.sub(r"+\1", text))
    except ValidationError:
        raise ValidationError(
            {name: "Give a seq or an ISO 8601 date and time, e.g. 2026-06-01T09:00:00Z."}
        ) from None
    if moment < empathy_map.created_at:
        raise ValidationError(
            {name: f"The map was created at {iso(empathy_map.created_at)}; {text} is before it."}
        )
    if moment > timezone.now():
        raise ValidationError({name: f"{text} is in the future."})
    seq = (
        MapEvent.objects.filter(map_id=empathy_map.pk, created_at__lte=moment).aggregate(
            top=Max("seq")
        )["top"]
        or 0
    )
    return Moment(seq=seq, at=moment, day=timezone.localdate(moment))


# Replaying the log ----------------------------------------------------------------------------


@dataclass
class PastState:
    """The map after event `moment.seq`: its settings, its live notes (statuses as of
    `moment.day`) and each note's links then, as (link id -> LinkFact)."""

    moment: Moment
    map: dict
    notes: dict[int, dict] = field(default_factory=dict)
    links: dict[int, dict[int, tuple[int, LinkFact]]] = field(default_factory=dict)

    def link_facts(self, note_id: int) -> frozenset:
        return frozenset(self.links.get(note_id, {}).values())

    def settings(self) -> tuple:
        return (self.map["freshness_days"], sorted((self.map.get("shelf_life") or {}).items()))


def _link_fact(link: dict) -> tuple[int, LinkFact]:
    evidence = link["evidence"]
    return evidence["id"], LinkFact(
        link["stance"],
        date.fromisoformat(evidence["collected_on"]),
        evidence["kind"],
        evidence.get("segment"),
    )


def _map_settings_then(empathy_map: EmpathyMap, seq: int) -> dict:
    """The map's payload as it was after event `seq`: the last `map.updated` up to it, else the
    first one after it with the old values it records, else the map as it is."""
    updates = MapEvent.objects.filter(map_id=empathy_map.pk, kind=EventKind.MAP_UPDATED)
    last = updates.filter(seq__lte=seq).order_by("-seq").values_list("payload", flat=True).first()
    if last is not None:
        return dict(last["map"])
    following = updates.filter(seq__gt=seq).order_by("seq").values_list("payload", flat=True)
    for payload in following:
        before = payload.get("before")
        if before:
            return {**payload["map"], **before}
    return map_payload(empathy_map)


def replay(*, user, empathy_map: EmpathyMap, moment: Moment) -> PastState:
    """The map after event `moment.seq`, in four queries whatever the length of its log:
    the latest state of each note, the link events, the evidence corrections, the settings."""
    events = MapEvent.objects.filter(map_id=empathy_map.pk, seq__lte=moment.seq)
    latest = (
        events.filter(note_id__isnull=False, payload__note__has_key="text")
        .values("note_id")
        .annotate(last=Max("seq"))
        .values_list("last", flat=True)
    )
    notes: dict[int, dict] = {}
    for payload in events.filter(seq__in=latest).values_list("payload", flat=True):
        note = payload.get("note")
        if isinstance(note, dict) and "id" in note and not note.get("deleted"):
            notes[note["id"]] = dict(note)

    links: dict[int, dict[int, tuple[int, LinkFact]]] = {}
    link_events = events.filter(
        kind__in=[EventKind.LINK_CREATED, EventKind.LINK_DELETED, EventKind.NOTE_UPDATED],
        note_id__isnull=False,
    ).order_by("seq")
    for kind, note_id, payload in link_events.values_list("kind", "note_id", "payload"):
        note_links = links.setdefault(note_id, {})
        if kind == EventKind.LINK_CREATED:
            note_links[payload["link"]["id"]] = _link_fact(payload["link"])
        elif kind == EventKind.LINK_DELETED:
            note_links.pop(payload["link"]["id"], None)
        elif payload.get("cause") == "evidence" and isinstance(payload.get("evidence"), dict):
            _apply_correction(note_links, payload["evidence"])

    settings = _map_settings_then(empathy_map, moment.seq)
    settings["seq"] = moment.seq
    visible = visible_note_ids(user=user, empathy_map=empathy_map, note_ids=notes)
    state = PastState(moment=moment, map=settings)
    for note_id, note in notes.items():
        if note_id not in visible:
            continue
        status = compute_status(
            [fact for _evidence, fact in links.get(note_id, {}).values()],
            today=moment.day,
            freshness_days=settings["freshness_days"],
            shelf_life=settings.get("shelf_life") or {},
        )
        note.update(
            status=status.status,
            narrow=status.narrow,
            fresh_until=iso(status.fresh_until),
            stale_since=iso(status.stale_since),
            evidence={"supports": status.supports, "contradicts": status.contradicts},
        )
        state.notes[note_id] = note
        state.links[note_id] = links.get(note_id, {})
    return state


def _apply_correction(note_links: dict, evidence: dict) -> None:
    """An evidence correction: the item's new segment (and date, when the event records it)."""
    for link_id, (evidence_id, fact) in list(note_links.items()):
        if evidence_id != evidence.get("id"):
            continue
        collected_on = evidence.get("collected_on")
        note_links[link_id] = (
            evidence_id,
            LinkFact(
                fact.stance,
                date.fromisoformat(collected_on) if collected_on else fact.collected_on,
                fact.source_kind,
                evidence.get("segment"),
            ),
        )


def ordered_notes(state: PastState) -> list[dict]:
    return sorted(
        state.notes.values(), key=lambda note: (note["section"], note["position"], note["id"])
    )


def map_as_of(*, user, map_id: int, as_of) -> dict:
    """`GET /api/v1/maps/{id}/?as_of=`: the map and its live notes after that event."""
    empathy_map = map_for_user(user=user, map_id=map_id)
    moment = resolve_moment(empathy_map, as_of)
    state = replay(user=user, empathy_map=empathy_map, moment=moment)
    return {
        **state.map,
        "as_of": {"seq": moment.seq, "at": iso(moment.at), "day": iso(moment.day)},
        "notes": ordered_notes(state),
    }


# Comparing two moments ------------------------------------------------------------------------

COMPARED_FIELDS = ("text", "team", "color", "section")


def status_cause(before: PastState, after: PastState, note_id: int) -> str:
    """Why a note's status changed between two moments: `evidence` when its links or the linked
    items' dates or segments changed; else `edit` when a lead changed the map's freshness
    settings; else `time`: the same evidence, judged on a later (or earlier) day."""
    if before.link_facts(note_id) != after.link_facts(note_id):
        return "evidence"
    if before.settings() != after.settings():
        return "edit"
    return "time"


def map_compare(*, user, map_id: int, start, end=None) -> dict:
    """`GET /api/v1/maps/{id}/compare/?from=&to=`: what changed between two moments."""
    empathy_map = map_for_user(user=user, map_id=map_id)
    return compare_moments(user=user, empathy_map=empathy_map, start=start, end=end)


def compare_moments(*, user, empathy_map: EmpathyMap, start, end=None) -> dict:
    """`map_compare` for a map already read with its access checked."""
    first = resolve_moment(empathy_map, start, name="from")
    second = (
        now_moment(empathy_map)
        if end in (None, "")
        else resolve_moment(empathy_map, end, name="to")
    )
    if second.seq < first.seq or second.at < first.at:
        raise ValidationError({"to": "Give a moment after `from`."})
    return compare_states(
        replay(user=user, empathy_map=empathy_map, moment=first),
        replay(user=user, empathy_map=empathy_map, moment=second),
    )


def compare_states(before: PastState, after: PastState) -> dict:
    added = [note for note in ordered_notes(after) if note["id"] not in before.notes]
    removed = [note for note in ordered_notes(before) if note["id"] not in after.notes]
    edited = []
    status_changes = []
    counts: dict[str, int] = {}
    for note in ordered_notes(after):
        old = before.notes.get(note["id"])
        if old is None:
            continue
        if any(old.get(name) != note.get(name) for name in COMPARED_FIELDS):
            edited.append({"note": note["id"], "before": old, "after": note})
        if old["status"] != note["status"]:
            status_changes.append(
                {
                    "note": note["id"],
                    "from": old["status"],
                    "to": note["status"],
                    "cause": status_cause(before, after, note["id"]),
                }
            )
            key = f"{old['status']}->{note['status']}"
            counts[key] = counts.get(key, 0) + 1
    return {
        "from": {"seq": before.moment.seq, "at": iso(before.moment.at)},
        "to": {"seq": after.moment.seq, "at": iso(after.moment.at)},
        "added": added,
        "removed": removed,
        "edited": edited,
        "status_changes": status_changes,
        "counts": counts,
    }


def review_transitions(*, user, empathy_map: EmpathyMap, changes: dict) -> dict:
    """The status changes over the review's `changes` window (since its `since`, else the last
    review, else the map's creation) until now, time alone included."""
    if changes["basis"] == "last_review":
        start = str(changes["last_review"]["seq"])
    elif changes["basis"] == "since":
        start = changes["since"]
    else:
        start = "0"
    try:
        return compare_moments(user=user, empathy_map=empathy_map, start=start)
    except ValidationError:  # a `since` before the map existed: its whole life
        return compare_moments(user=user, empathy_map=empathy_map, start="0")


TRANSITION_WORDS = {
    "stale": "went stale",
    "supported": "became supported",
    "contested": "became contested",
    "assumption": "became assumptions",
}


def transition_sentences(counts: dict[str, int]) -> list[str]:
    """ "4 supported notes went stale", one per FROM->TO, most first."""
    sentences = []
    for key, number in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        source, target = key.split("->")
        noun = "note" if number == 1 else "notes"
        words = TRANSITION_WORDS[target]
        if target == "assumption" and number == 1:
            words = "became an assumption"
        if source == "assumption":
            subject = f"{number} assumption{'s' if number != 1 else ''}"
        else:
            subject = f"{number} {source} {noun}"
        sentences.append(f"{subject} {words}")
    return sentences


# The recycle bin ------------------------------------------------------------------------------


def deleted_notes(*, user, empathy_map: EmpathyMap) -> list[dict]:
    """The map's deleted notes, most recently deleted first, each with `deleted_by` (who sent
    the last `note.deleted` event about it) and `deleted_at`. Nothing purges deleted notes:
    they stay restorable for as long as the map exists."""
    notes = [
        note for note in map_notes(empathy_map=empathy_map, include_deleted=True) if note["deleted"]
    ]
    visible = visible_note_ids(
        user=user, empathy_map=empathy_map, note_ids=[note["id"] for note in notes]
    )
    notes = [note for note in notes if note["id"] in visible]
    deleted_at = dict(
        Note.objects.filter(pk__in=[note["id"] for note in notes]).values_list("id", "deleted_at")
    )
    deleters: dict[int, str | None] = {}
    rows = (
        MapEvent.objects.filter(
            map_id=empathy_map.pk, kind=EventKind.NOTE_DELETED, note_id__in=list(deleted_at)
        )
        .order_by("seq")
        .values_list("note_id", "actor__username")
    )
    for note_id, username in rows:
        deleters[note_id] = username  # the last deletion wins
    result = [
        {**note, "deleted_by": deleters.get(note["id"]), "deleted_at": iso(deleted_at[note["id"]])}
        for note in notes
    ]
    result.sort(key=lambda note: (note["deleted_at"] or "", note["id"]), reverse=True)
    return result
