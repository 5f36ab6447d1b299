"""Reads, with the access checks that every view and consumer goes through."""

import functools
import re
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections
from django.db.models import Count, Max, Min, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from maps import visibility
from maps.models import (
    Comment,
    EmpathyMap,
    EventKind,
    MapEvent,
    Membership,
    Note,
    NoteStance,
    NoteVote,
    ReviewState,
    Role,
    Workspace,
)
from maps.persona_picture import picture_url
from maps.workshop import notes as workshop_notes
from research import status as evidence_status
from research.models import Evidence, EvidenceLink, Source
from research.status import (
    NO_EVIDENCE,
    STATUSES,
    LinkFact,
    NoteStatus,
    segment_coverage,
    statuses_for_notes,
)

EVENTS_PAGE_SIZE = 1000
# The largest id (or seq) a database column holds: a bigger number names nothing.
MAX_ID = 2**63 - 1


def iso(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def parse_id(text: str | None) -> int | None:
    """A whole number from a query string or header (ASCII digits, at most MAX_ID), else None.

    `str.isdigit` alone accepts "²" and other digits that `int` refuses.
    """
    if not text or not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number <= MAX_ID else None


# Access ---------------------------------------------------------------------------------------


def membership_row(*, user, workspace_id: int) -> tuple[str, str] | None:
    """The caller's (role, team) in the workspace, in one query, or None for a non-member."""
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.filter(workspace_id=workspace_id, user_id=user.pk)
        .values_list("role", "team")
        .first()
    )


def membership_role(*, user, workspace_id: int) -> Role | None:
    row = membership_row(user=user, workspace_id=workspace_id)
    return Role(row[0]) if row else None


def require_membership(
    *, user, workspace_id: int, role: Role | str = Role.VIEWER
) -> tuple[Role, str]:
    """The caller's role and team: 404 for a non-member, 403 for too low a role."""
    row = membership_row(user=user, workspace_id=workspace_id)
    if row is None:
        raise Http404("Not found.")
    actual = Role(row[0])
    if not actual.includes(role):
        raise PermissionDenied(f"This needs the {Role(role).value} role in this workspace.")
    return actual, row[1]


def require_role(*, user, workspace_id: int, role: Role | str = Role.VIEWER) -> Role:
    """The caller's role in the workspace: 404 for a non-member, 403 for too low a role."""
    return require_membership(user=user, workspace_id=workspace_id, role=role)[0]


def workspaces_for_user(*, user) -> list[Workspace]:
    memberships = Membership.objects.filter(user_id=user.pk).select_related("workspace")
    workspaces = []
    for membership in memberships.order_by("workspace__name"):
        membership.workspace.role = membership.role
        workspaces.append(membership.workspace)
    return workspaces


def workspace_for_user(*, user, slug: str, role: Role | str = Role.VIEWER) -> Workspace:
    workspace = Workspace.objects.filter(slug=slug).first()
    if workspace is None:
        raise Http404("Not found.")
    workspace.role, workspace.team = require_membership(
        user=user, workspace_id=workspace.pk, role=role
    )
    return workspace


def map_for_user(*, user, map_id: int, role: Role | str = Role.VIEWER) -> EmpathyMap:
    empathy_map = (
        EmpathyMap.objects.select_related("workspace", "reviewed_by").filter(pk=map_id).first()
    )
    if empathy_map is None:
        raise Http404("Not found.")
    empathy_map.role, empathy_map.team = require_membership(
        user=user, workspace_id=empathy_map.workspace_id, role=role
    )
    return empathy_map


def maps_for_user(
    *, user, workspace_slug: str | None = None, include_archived: bool = False
) -> QuerySet[EmpathyMap]:
    maps = EmpathyMap.objects.filter(workspace__memberships__user_id=user.pk).select_related(
        "workspace", "reviewed_by"
    )
    if workspace_slug:
        maps = maps.filter(workspace__slug=workspace_slug)
    if not include_archived:
        maps = maps.filter(archived=False)
    return maps.order_by("workspace__name", "title", "id")


def map_and_roles(
    *, map_id: int, user_ids: list[int]
) -> tuple[EmpathyMap | None, dict[int, tuple[Role, str]]]:
    """The map and the role and team in its workspace of each of these users (absent: not a
    member), in two queries whatever their number: the sockets joining a map at once, and the
    heartbeat's re-check of a map's sockets. (None, {}) for a map that does not exist."""
    empathy_map = EmpathyMap.objects.filter(pk=map_id).first()
    if empathy_map is None:
        return None, {}
    memberships = Membership.objects.filter(
        workspace_id=empathy_map.workspace_id, user_id__in=user_ids
    )
    rows = memberships.values_list("user_id", "role", "team")
    return empathy_map, {user_id: (Role(role), team) for user_id, role, team in rows}


def note_for_user(*, user, note_id: int, role: Role | str = Role.VIEWER) -> Note:
    """The note, if the caller may see it now: a note hidden by drafting is a 404, as for a
    non-member (maps/visibility.py). `note.map` carries the caller's `role` and `team`."""
    note = Note.objects.select_related("map", "map__workspace").filter(pk=note_id).first()
    if note is None:
        raise Http404("Not found.")
    note.role, team = require_membership(user=user, workspace_id=note.map.workspace_id, role=role)
    note.map.role, note.map.team = note.role, team
    if not visibility.may_see(visibility.viewer_of_map(note.map), note.team):
        raise Http404("Not found.")
    return note


def members_of(*, workspace: Workspace) -> QuerySet[Membership]:
    return workspace.memberships.select_related("user").order_by("user__username")


# Payloads -------------------------------------------------------------------------------------


def map_payload(empathy_map: EmpathyMap) -> dict:
    return {
        "id": empathy_map.pk,
        "workspace": empathy_map.workspace.slug,
        "title": empathy_map.title,
        "persona": empathy_map.persona,
        "persona_picture": picture_url(empathy_map),
        "description": empathy_map.description,
        "layout": empathy_map.layout,
        "sections": empathy_map.sections,
        "freshness_days": empathy_map.freshness_days,
        "shelf_life": empathy_map.shelf_life or {},
        "seq": empathy_map.seq,
        "phase": empathy_map.phase,
        "archived": empathy_map.archived,
        # An archived workspace makes every map in it read-only too.
        "workspace_archived": empathy_map.workspace.archived,
        "created_at": iso(empathy_map.created_at),
        "updated_at": iso(empathy_map.updated_at),
        "last_review": last_review(empathy_map),
        **workshop_notes.map_fields(empathy_map),
    }


def last_review(empathy_map: EmpathyMap) -> dict | None:
    """The lead's last "reviewed" checkpoint on the map: when, by whom, at which seq."""
    if empathy_map.reviewed_seq is None:
        return None
    return {
        "seq": empathy_map.reviewed_seq,
        "at": iso(empathy_map.reviewed_at),
        "by": username(empathy_map.reviewed_by),
    }


def username(user) -> str | None:
    return user.username if user is not None else None


def note_payload(note: Note, status: NoteStatus) -> dict:
    return {
        "id": note.pk,
        "map": note.map_id,
        "section": note.section,
        "text": note.text,
        "team": note.team,
        "color": note.color,
        "position": note.position,
        "version": note.version,
        "status": status.status,
        "narrow": status.narrow,
        "fresh_until": iso(status.fresh_until),
        "stale_since": iso(status.stale_since),
        "evidence": {"supports": status.supports, "contradicts": status.contradicts},
        "review": {
            "state": note.review_state,
            "by": username(note.reviewed_by),
            "at": iso(note.reviewed_at),
            "comment": note.review_comment,
        },
        "research": {
            "assignee": username(note.research_assignee),
            "due": iso(note.research_due),
        },
        "author": username(note.author),
        "deleted": note.deleted_at is not None,
        "created_at": iso(note.created_at),
        "updated_at": iso(note.updated_at),
    }


def notes_with_users() -> QuerySet[Note]:
    return Note.objects.select_related("author", "reviewed_by", "research_assignee")


def map_notes(*, empathy_map: EmpathyMap, include_deleted: bool = False, viewer=None) -> list[dict]:
    """Every live note of the map with its status and workshop fields, in a fixed number of
    queries whatever their number. `viewer` (the caller) gets their own stance and votes."""
    notes = notes_with_users().filter(map_id=empathy_map.pk).order_by("section", "position", "id")
    if not include_deleted:
        notes = notes.filter(deleted_at__isnull=True)
    notes = list(workshop_notes.annotate_notes(notes, viewer=viewer))
    statuses = statuses_for_notes(empathy_map)
    extras = workshop_notes.note_extras(
        notes,
        empathy_map=empathy_map,
        viewer=viewer,
        viewer_is_lead=workshop_notes.viewer_leads(empathy_map, viewer),
    )
    return [
        {**note_payload(note, statuses.get(note.pk, NO_EVIDENCE)), **extras[note.pk]}
        for note in notes
    ]


def note_data(note_id: int, *, viewer=None, viewer_is_lead: bool = False) -> dict:
    """One note as clients see it, read fresh from the database; without a viewer, as every
    member may see it (events): no `mine`, and no totals of an open blind vote."""
    notes = notes_with_users().select_related("map").filter(pk=note_id)
    note = workshop_notes.annotate_notes(notes, viewer=viewer).get()
    statuses = statuses_for_notes(note.map, note_ids=[note.pk])
    extras = workshop_notes.note_extras(
        [note], empathy_map=note.map, viewer=viewer, viewer_is_lead=viewer_is_lead
    )
    return {**note_payload(note, statuses.get(note.pk, NO_EVIDENCE)), **extras[note.pk]}


def events_since(*, empathy_map: EmpathyMap, since: int, limit: int = EVENTS_PAGE_SIZE):
    return (
        MapEvent.objects.filter(map_id=empathy_map.pk, seq__gt=since)
        .select_related("actor")
        .order_by("seq")[:limit]
    )


STALE_SOON_DAYS = 30
# The assumption queue: what most needs evidence first.
QUEUE_ORDER = {"assumption": 0, "contested": 1, "stale": 2, "narrow": 3}


def queue_reason(note: dict) -> str | None:
    if note["status"] in ("assumption", "contested", "stale"):
        return note["status"]
    return "narrow" if note["narrow"] else None


def event_for_op(*, map_id: int, actor, op_id: str) -> MapEvent | None:
    """The stored event of an op already applied (ops are idempotent per map, actor and op_id)."""
    return MapEvent.objects.filter(map_id=map_id, actor_id=actor.pk, op_id=op_id).first()


def map_review(
    *,
    empathy_map: EmpathyMap,
    stale_soon_days: int = STALE_SOON_DAYS,
    since: datetime | None = None,
    viewer: visibility.Viewer | None = None,
) -> dict:
    """The lead's overview of a map's live notes (contract: review), in a fixed number of queries.

    Dismissed notes are counted but left out of the assumption queue (the lead has ruled on
    them); `dismissed` lists them, so that each status's count equals its notes in both lists.
    `changes` covers what happened since `since`, else since the last review (`map_changes`).
    `viewer` (maps/visibility.py) leaves out the notes hidden from the caller while drafting.
    """
    every_note = map_notes(empathy_map=empathy_map, include_deleted=True)
    if viewer is not None:
        # While drafting, a member's review covers their own team's notes only.
        every_note = visibility.visible_notes(viewer, every_note)
    notes = [note for note in every_note if not note["deleted"]]
    counts = dict.fromkeys(STATUSES, 0)
    by_section = {section: dict.fromkeys(STATUSES, 0) for section in empathy_map.sections}
    by_team: dict[str, int] = {}
    by_team_status: dict[str, dict[str, int]] = {}
    review_states = dict.fromkeys(ReviewState.values, 0)
    for note in notes:
        counts[note["status"]] += 1
        by_section.setdefault(note["section"], dict.fromkeys(STATUSES, 0))[note["status"]] += 1
        by_team[note["team"]] = by_team.get(note["team"], 0) + 1
        by_team_status.setdefault(note["team"], dict.fromkeys(STATUSES, 0))[note["status"]] += 1
        review_states[note["review"]["state"]] += 1

    section_order = {section: index for index, section in enumerate(by_section)}

    def board_order(note: dict) -> tuple:
        return (section_order[note["section"]], note["position"], note["id"])

    needing_work = [note for note in notes if queue_reason(note) is not None]
    needing_work.sort(key=lambda note: (QUEUE_ORDER[queue_reason(note)], *board_order(note)))
    queue = [note for note in needing_work if note["review"]["state"] != ReviewState.DISMISSED]
    dismissed = [note for note in needing_work if note["review"]["state"] == ReviewState.DISMISSED]

    day = evidence_status.today()
    horizon = (day + timedelta(days=stale_soon_days)).isoformat()
    stale_soon = [
        note
        for note in notes
        if note["status"] == "supported" and note["fresh_until"] and note["fresh_until"] <= horizon
    ]
    stale_soon.sort(key=lambda note: (note["fresh_until"], *board_order(note)))

    coverage = segment_coverage(empathy_map, [(note["id"], note["section"]) for note in notes])
    return {
        "map": map_payload(empathy_map),
        "today": iso(day),
        "total": len(notes),
        "counts": counts,
        "narrow": sum(1 for note in notes if note["narrow"]),
        "by_section": by_section,
        "by_team": by_team,
        "by_team_status": by_team_status,
        "review_states": review_states,
        "sections_without_evidence": [
            section
            for section, section_counts in by_section.items()
            if section_counts["supported"] + section_counts["stale"] + section_counts["contested"]
            == 0
        ],
        "segments": coverage.segments,
        "coverage": coverage.by_section,
        "coverage_unsegmented": coverage.unsegmented,
        "segments_without_evidence": [
            segment["name"]
            for segment in coverage.segments
            if not any(row[segment["name"]] for row in coverage.by_section.values())
        ],
        "assumption_queue": [{"reason": queue_reason(note), "note": note} for note in queue],
        # The queue's notes that the lead dismissed: counted in `counts`, listed apart.
        "dismissed": [{"reason": queue_reason(note), "note": note} for note in dismissed],
        "stale_soon_days": stale_soon_days,
        "stale_soon": stale_soon,
        "teams": team_view(notes),
        "teams_by_section": teams_by_section(notes, sections=list(by_section)),
        "changes": map_changes(
            empathy_map=empathy_map,
            notes={note["id"]: note for note in every_note},
            since=since,
        ),
    }


# Where teams see the customer differently -----------------------------------------------------


# One note is a single opinion; a team's view is what two or more of its notes say.
MIN_TEAM_NOTES = 2


def mostly(counts: dict, status: str) -> bool:
    """The team wrote at least MIN_TEAM_NOTES notes, and more than half have this status."""
    return counts["notes"] >= MIN_TEAM_NOTES and counts[status] * 2 > counts["notes"]


def team_view(notes: list[dict]) -> dict:
    """Each team's notes by status, most notes first, and where the teams' views diverge.

    Two signals, both from the notes' evidence status, nothing else:
    `assumed_vs_supported`: one team's notes are mostly assumptions while another team's are
    mostly supported (see `mostly`); `contested`: fresh evidence contradicts some team's notes
    where two or more teams write (the teams listed are those whose notes are contested).
    """
    teams: dict[str, dict[str, int]] = {}
    for note in notes:
        counts = teams.setdefault(note["team"], {"notes": 0, **dict.fromkeys(STATUSES, 0)})
        counts["notes"] += 1
        counts[note["status"]] += 1
    ordered = dict(sorted(teams.items(), key=lambda item: (-item[1]["notes"], item[0])))
    assuming = [team for team, counts in ordered.items() if mostly(counts, "assumption")]
    supported = [team for team, counts in ordered.items() if mostly(counts, "supported")]
    contested = [team for team, counts in ordered.items() if counts["contested"]]
    signals = []
    if assuming and supported:
        signals.append(
            {"kind": "assumed_vs_supported", "assuming": assuming, "supported": supported}
        )
    if contested and len(ordered) > 1:
        signals.append({"kind": "contested", "teams": contested})
    return {"teams": ordered, "signals": signals}


def teams_by_section(notes: list[dict], *, sections: list[str]) -> dict[str, dict]:
    """`team_view` of each section's notes, every section of the layout included."""
    grouped: dict[str, list[dict]] = {section: [] for section in sections}
    for note in notes:
        grouped.setdefault(note["section"], []).append(note)
    return {section: team_view(section_notes) for section, section_notes in grouped.items()}


# What changed since the last review -----------------------------------------------------------

# What each kind of event did to a note, as the review dashboard words it.
CHANGE_NAMES = {
    EventKind.NOTE_CREATED: "created",
    EventKind.NOTE_UPDATED: "edited",
    EventKind.NOTE_MOVED: "moved",
    EventKind.NOTE_DELETED: "deleted",
    EventKind.NOTE_RESTORED: "restored",
    EventKind.NOTE_REVIEWED: "reviewed",
    EventKind.LINK_CREATED: "linked",
    EventKind.LINK_DELETED: "unlinked",
    EventKind.MAP_UPDATED: "map_updated",
}
# Events of one kind told apart by their payload: (kind, payload key, value) -> change name.
SPECIAL_CHANGES = {
    (EventKind.MAP_UPDATED, "reviewed", True): "map_reviewed",
    (EventKind.NOTE_UPDATED, "cause", "evidence"): "evidence_corrected",
}
# Every change the review counts, in the order of its `counts`; and those that befall a note.
CHANGE_KINDS = [*CHANGE_NAMES.values(), *SPECIAL_CHANGES.values()]
NOTE_CHANGE_KINDS = [name for name in CHANGE_KINDS if not name.startswith("map_")]
CHANGED_NOTES_LIMIT = 100
# "2026-06-01T09:00:00+02:00" sent unencoded in a query string arrives with a space for the "+".
OFFSET_WITH_SPACE = re.compile(r" (\d{2}:?\d{2})$")


def parse_since(value: str) -> datetime:
    """An ISO 8601 datetime (or date: its start) from a query string; naive means TIME_ZONE."""
    text = OFFSET_WITH_SPACE.sub(r"+\1", value.strip())
    try:
        moment = parse_datetime(text)
        day = None if moment else parse_date(text)
    except ValueError:
        moment = day = None
    if day is not None:
        moment = datetime.combine(day, time.min)
    if moment is None:
        raise ValidationError(
            {"since": "Give an ISO 8601 date and time, e.g. 2026-06-01T09:00:00Z or 2026-06-01."}
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def map_changes(
    *, empathy_map: EmpathyMap, notes: dict[int, dict], since: datetime | None = None
) -> dict:
    """What changed on the map since `since`, else since a lead last marked it reviewed.

    Three queries on the event log. A map never marked reviewed reports over its whole life, so
    that the first review sees everything. `notes` are the map's notes, deleted ones too, by id:
    the latest state of each note touched. The list is the most recently touched first, at most
    CHANGED_NOTES_LIMIT; `notes_touched` counts them all.
    """
    review = last_review(empathy_map)
    events = MapEvent.objects.filter(map_id=empathy_map.pk)
    if since is not None:
        basis = "since"
        events = events.filter(created_at__gt=since)
    elif review is not None:
        basis = "last_review"
        since = empathy_map.reviewed_at
        events = events.filter(seq__gt=review["seq"])
    else:
        basis = "never_reviewed"

    # The database does the counting: a year of edits is tens of thousands of events, and
    # reading each into Python costs about 6 microseconds (bench/review.py).
    counts = dict.fromkeys(CHANGE_KINDS, 0)
    special = {
        name: Count("id", filter=Q(kind=kind, **{f"payload__{key}": value}))
        for (kind, key, value), name in SPECIAL_CHANGES.items()
    }
    for row in events.values("kind").annotate(number=Count("id"), **special).order_by():
        if row["kind"] in CHANGE_NAMES:
            counts[CHANGE_NAMES[row["kind"]]] += row["number"] - sum(
                row[name] for name in SPECIAL_CHANGES.values()
            )
            for name in SPECIAL_CHANGES.values():
                counts[name] += row[name]

    # One row per note touched, the latest first; then, for the first few, one row per kind of
    # change and person, each with when it first happened (so the lists keep that order).
    # Stances, votes and comments (maps/workshop/) are the workshop's talk, not changes to notes.
    note_events = events.filter(note_id__isnull=False, kind__in=list(CHANGE_NAMES))
    touched = [
        (note_id, last_at)
        for note_id, last_at in note_events.values("note_id")
        .annotate(last_seq=Max("seq"), last_at=Max("created_at"))
        .order_by("-last_seq")
        .values_list("note_id", "last_at")
        if note_id in notes
    ]
    shown = touched[:CHANGED_NOTES_LIMIT]
    entries = {note_id: {"changes": [], "by": [], "at": iso(at)} for note_id, at in shown}
    firsts = (
        note_events.filter(note_id__in=[note_id for note_id, _ in shown])
        .values("note_id", "kind", "payload__cause", "actor__username")
        .annotate(first_seq=Min("seq"))
        .order_by("first_seq")
        .values_list("note_id", "kind", "payload__cause", "actor__username")
    )
    for note_id, kind, cause, actor in firsts:
        entry = entries[note_id]
        change = SPECIAL_CHANGES.get((kind, "cause", cause)) or CHANGE_NAMES.get(kind)
        if change is not None and change not in entry["changes"]:
            entry["changes"].append(change)
        if actor and actor not in entry["by"]:
            entry["by"].append(actor)
    return {
        "basis": basis,
        "since": iso(since),
        "last_review": review,
        "events": sum(counts.values()),
        "counts": counts,
        "notes_touched": len(touched),
        "notes": [{**entries[note_id], "note": notes[note_id]} for note_id, _ in shown],
    }


# The reads of a batch of note ops (services.note_ops_apply) ----------------------------------
#
# Written in SQL: these run for every op on the live board, and building them with the ORM
# (subqueries, three joined users, the links' evidence and sources) cost more CPU than
# everything else the op does. Only table and column names from the models' _meta go into the
# text; every value is a parameter.


@contextmanager
def pipelined() -> Iterator[None]:
    """On PostgreSQL, the statements executed in the block go to the server together and their
    results come back together (psycopg's pipeline mode): one round trip for all of them rather
    than one each. Each still runs as a statement of its own, in order, and sees what committed
    before it began, as if sent alone. Results arrive at the first fetch; an error surfaces
    there or at the end of the block, as Django's exception. Elsewhere it changes nothing."""
    if connection.vendor != "postgresql" or not _pipeline_supported():
        yield
        return
    connection.ensure_connection()
    with connection.wrap_database_errors, connection.connection.pipeline():
        yield


@functools.cache
def _pipeline_supported() -> bool:
    """Whether Django's PostgreSQL backend runs on psycopg 3 and its libpq has pipeline mode."""
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    if not is_psycopg3:
        return False
    from psycopg import Pipeline

    return Pipeline.is_supported()


def statement_cursor():
    """A cursor whose statements PostgreSQL may keep prepared: on PostgreSQL with psycopg 3,
    one that binds its parameters on the server, so that a statement run again with other
    values is the same statement, prepared after DB_PREPARE_THRESHOLD runs in the connection
    and not planned again. Django's own cursors bind on the client, and never are. Elsewhere,
    or with preparing turned off, Django's cursor. Queries are logged and wrapped as Django's."""
    if connection.vendor != "postgresql" or not _pipeline_supported():
        return connection.cursor()
    if connection.settings_dict["OPTIONS"].get("prepare_threshold") is None:
        return connection.cursor()
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    return connection._prepare_cursor(ServerBindingCursor(connection.connection))


def rows_of(queries: list[tuple[str, list]]) -> list[list[tuple]]:
    """The rows of each query, the queries sent together (`pipelined`)."""
    cursors = []
    try:
        with pipelined():
            for sql, params in queries:
                cursor = statement_cursor()
                cursors.append(cursor)
                cursor.execute(sql, params)
            return [cursor.fetchall() for cursor in cursors]
    finally:
        for cursor in cursors:
            cursor.close()


def _columns(model, alias: str) -> list[str]:
    return [f'{alias}."{field.column}"' for field in model._meta.concrete_fields]


def placeholders(values) -> str:
    """One `%s` per value, for a statement written in SQL."""
    return ", ".join(["%s"] * len(values))


# The ORM's converters (a JSON text, SQLite's dates and booleans) for each field, per connection.
_converters_by_connection: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _converters(key, fields) -> list[tuple[int, list, Any]]:
    """(index, converters, column) of the fields whose values the ORM converts when it reads
    them, as its compiler finds them (`SQLCompiler.get_converters`); `key` names the fields."""
    wrapper = connections[connection.alias]
    cache = _converters_by_connection.setdefault(wrapper, {})
    found = cache.get(key)
    if found is None:
        found = []
        for index, field in enumerate(fields):
            column = field.get_col(field.model._meta.db_table)
            converters = wrapper.ops.get_db_converters(column) + column.get_db_converters(wrapper)
            if converters:
                found.append((index, converters, column))
        cache[key] = found
    return found


def _converted(key, fields, values) -> list:
    values = list(values)
    for index, converters, column in _converters(key, fields):
        value = values[index]
        for converter in converters:
            value = converter(value, column, connection)
        values[index] = value
    return values


def _model_from_row(model, row) -> Any:
    """A model instance from a row of its concrete fields, in order, as the ORM reads it."""
    fields = model._meta.concrete_fields
    values = _converted(model, fields, row)
    return model.from_db(connection.alias, [field.attname for field in fields], values)


@dataclass
class NoteOpsState:
    """What a batch of note ops starts from, read under the map's lock."""

    locked: EmpathyMap
    members: dict[int, tuple[Role, str]]  # each actor's role and team; non-members left out
    replayed: list[int]  # the actors with an event of one of the batch's op_ids stored already
    notes: dict[int, Note]  # the notes of the map the ops name
    statuses: dict[int, NoteStatus]  # theirs, for notes with links
    # For a batch that places notes: the highest position and the number of live notes in each
    # section that has some.
    sections: dict[str, tuple[float, int]] | None = None


def lock_map_for_note_ops(
    *,
    map_id: int,
    actor_ids: list[int],
    op_ids: list[str],
    note_ids: list[int],
    places_notes: bool = False,
) -> NoteOpsState:
    """Lock the map's row (as `events.lock_map`), then read what a batch of note ops needs:
    each actor's role and team, the workspace, which actors have one of these op_ids stored
    already, the map's notes among `note_ids` with their workshop counts and statuses, and,
    when it `places_notes` (creates), each section's highest position and live notes.

    The statements run one after the other, the reads after the lock is granted, so that they
    see everything committed before it (an op's twin stored through another process included);
    on PostgreSQL they travel in one round trip (`pipelined`). Raises EmpathyMap.DoesNotExist.
    """
    queries = [_lock_query(map_id), _memberships_query(map_id, actor_ids, op_ids)]
    if note_ids:
        queries.append(_notes_query(note_ids))
    if places_notes:
        queries.append(_sections_query(map_id))
    map_rows, member_rows, *more = rows_of(queries)
    if not map_rows:
        raise EmpathyMap.DoesNotExist("EmpathyMap matching query does not exist.")
    locked = _model_from_row(EmpathyMap, map_rows[0])
    members, workspace, replayed = _memberships_from_rows(member_rows)
    if workspace is not None:
        locked.workspace = workspace  # no query for ensure_map_is_open
    notes, statuses = _notes_from_rows(more.pop(0), locked) if note_ids else ({}, {})
    sections = None
    if places_notes:
        sections = {section: (top, count) for section, top, count in more.pop(0)}
    return NoteOpsState(locked, members, replayed, notes, statuses, sections)


def _sections_query(map_id: int) -> tuple[str, list]:
    """Each section's highest position and number of live notes (for `_next_position` and
    MAX_NOTES_PER_MAP)."""
    sql = (
        'SELECT n."section", MAX(n."position"), COUNT(*)'  # noqa: S608
        f' FROM "{Note._meta.db_table}" n WHERE n."map_id" = %s AND n."deleted_at" IS NULL'
        ' GROUP BY n."section"'
    )
    return sql, [map_id]


def _lock_query(map_id: int) -> tuple[str, list]:
    # Only the map's row: locking its workspace's too would deadlock two writes on two maps of
    # one workspace (events.lock_map).
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    table = EmpathyMap._meta.db_table
    sql = f'SELECT {", ".join(_columns(EmpathyMap, "m"))} FROM "{table}" m WHERE m."id" = %s'  # noqa: S608
    return sql + lock, [map_id]


def _memberships_query(map_id: int, actor_ids: list[int], op_ids: list[str]) -> tuple[str, list]:
    """Each actor's role and team in the map's workspace (non-members left out), the workspace
    as it is now, and whether the actor has an event of one of these op_ids on the map."""
    replayed = "0"
    params: list = []
    if op_ids:
        # One lookup of (map, actor, op_id) in event_unique_op per op_id: generic plans (the
        # statement is prepared) apply an `IN` list on the index's last column as a filter,
        # reading every event of the actor on the map to find one op_id.
        lookup = (
            f'EXISTS (SELECT 1 FROM "{MapEvent._meta.db_table}" e WHERE e."map_id" = %s'  # noqa: S608
            ' AND e."actor_id" = m."user_id" AND e."op_id" = %s)'
        )
        replayed = "(" + " OR ".join([lookup] * len(op_ids)) + ")"
        for op_id in op_ids:
            params += [map_id, op_id]
    sql = (
        f'SELECT m."user_id", m."role", m."team", {replayed}, w."id", w."name", w."archived"'  # noqa: S608
        f' FROM "{Membership._meta.db_table}" m'
        f' INNER JOIN "{Workspace._meta.db_table}" w ON w."id" = m."workspace_id"'
        f' INNER JOIN "{EmpathyMap._meta.db_table}" mp ON mp."workspace_id" = w."id"'
        f' WHERE mp."id" = %s AND m."user_id" IN ({placeholders(actor_ids or [None])})'
    )
    return sql, [*params, map_id, *(actor_ids or [None])]


def _memberships_from_rows(rows) -> tuple[dict[int, tuple[Role, str]], Workspace | None, list]:
    members, workspace, replayed_actors = {}, None, []
    for user_id, role, team, was_replayed, *workspace_row in rows:
        members[user_id] = (Role(role), team)
        if was_replayed:
            replayed_actors.append(user_id)
        if workspace is None:
            # The fields an op needs; the others load if anything asks for them.
            ws_id, name, archived = workspace_row
            workspace = Workspace.from_db(
                connection.alias, ["id", "name", "archived"], [ws_id, name, bool(archived)]
            )
    return members, workspace, replayed_actors


# The columns of a link that its note's status depends on (research.status.statuses_for_notes).
LINK_FACT_FIELDS = (
    (EvidenceLink, "stance"),
    (Evidence, "collected_on"),
    (Source, "kind"),
)


def _notes_query(note_ids: list[int]) -> tuple[str, list]:
    """The notes with these ids (`_notes_from_rows` keeps the map's), as
    `annotate_notes(notes_with_users())` reads them (author, reviewer and assignee with their
    usernames; comments and votes of the current round counted) and `has_stances`; one row
    per link of the note (one without links), with what its status needs, as
    `statuses_for_notes` reads it."""
    user_model = Note._meta.get_field("author").related_model
    users = user_model._meta.db_table
    votes, comments = NoteVote._meta.db_table, Comment._meta.db_table
    stances, maps = NoteStance._meta.db_table, EmpathyMap._meta.db_table
    links, evidence, sources = (
        EvidenceLink._meta.db_table,
        Evidence._meta.db_table,
        Source._meta.db_table,
    )
    sql = (
        f"SELECT {', '.join(_columns(Note, 'n'))},"  # noqa: S608
        ' a."username", r."username", ra."username",'
        f' (SELECT COUNT(*) FROM "{comments}" c WHERE c."note_id" = n."id"),'
        f' (SELECT COALESCE(SUM(v."count"), 0) FROM "{votes}" v WHERE v."note_id" = n."id"'
        f'   AND v."round" = (SELECT mp."vote_round" FROM "{maps}" mp WHERE mp."id" = n."map_id")),'
        f' EXISTS (SELECT 1 FROM "{stances}" s WHERE s."note_id" = n."id"),'
        ' l."stance", e."collected_on", src."kind", COALESCE(e."segment_id", src."segment_id")'
        f' FROM "{Note._meta.db_table}" n'
        f' LEFT JOIN "{users}" a ON a."id" = n."author_id"'
        f' LEFT JOIN "{users}" r ON r."id" = n."reviewed_by_id"'
        f' LEFT JOIN "{users}" ra ON ra."id" = n."research_assignee_id"'
        f' LEFT JOIN "{links}" l ON l."note_id" = n."id"'
        f' LEFT JOIN "{evidence}" e ON e."id" = l."evidence_id"'
        f' LEFT JOIN "{sources}" src ON src."id" = e."source_id"'
        f' WHERE n."id" IN ({placeholders(note_ids)})'
    )
    # By id alone: with `map_id` beside it, the generic plan read every note of the map through
    # that index and filtered the ids. Notes of another map are dropped when read.
    return sql, [*note_ids]


def _notes_from_rows(rows, empathy_map: EmpathyMap) -> tuple[dict[int, Note], dict]:
    user_model = Note._meta.get_field("author").related_model
    width = len(Note._meta.concrete_fields)
    fact_fields = [model._meta.get_field(name) for model, name in LINK_FACT_FIELDS]
    notes: dict[int, Note] = {}
    facts: dict[int, list[LinkFact]] = {}
    for row in rows:
        note = notes.get(row[0])
        if note is None:
            note = _model_from_row(Note, row[:width])
            if note.map_id != empathy_map.pk:
                continue  # not this map's: as if it did not exist
            usernames = row[width : width + 3]
            for field, username in zip(NOTE_USER_FIELDS, usernames, strict=True):
                user_id = getattr(note, f"{field}_id")
                user = None if user_id is None else user_model(pk=user_id, username=username)
                setattr(note, field, user)
            note.workshop_comments, note.workshop_votes = row[width + 3], row[width + 4]
            note.has_stances = bool(row[width + 5])
            note.map = empathy_map
            notes[note.pk] = note
        stance, collected_on, kind, segment_id = row[width + 6 :]
        if stance is not None:
            facts_in = (stance, collected_on, kind)
            stance, collected_on, kind = _converted(LINK_FACT_FIELDS, fact_fields, facts_in)
            facts.setdefault(note.pk, []).append(LinkFact(stance, collected_on, kind, segment_id))
    return notes, evidence_status.statuses_from_facts(empathy_map, facts)


NOTE_USER_FIELDS = ("author", "reviewed_by", "research_assignee")
