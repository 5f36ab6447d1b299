"""Writes. Each function checks the actor's role, changes the data in one transaction with the
map row locked, records one MapEvent, and leaves the broadcast to run after commit."""

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError, IntegrityError, connection, transaction
from django.db.models import JSONField, Max
from django.http import Http404
from django.utils import timezone
from django.utils.text import slugify

from maps import limits as map_limits
from maps import visibility
from maps.events import (
    broadcast_events_on_commit,
    lock_map,
    membership_changed_on_commit,
    record_event,
)
from maps.limits import ensure_room_for_notes
from maps.models import (
    NOTE_TEXT_MAX,
    EmpathyMap,
    EventKind,
    Layout,
    MapEvent,
    Membership,
    Note,
    Phase,
    ReviewState,
    Role,
    Team,
    Workspace,
)
from maps.selectors import (
    NoteOpsState,
    lock_map_for_note_ops,
    map_for_user,
    map_payload,
    membership_role,
    note_data,
    note_for_user,
    note_payload,
    pipelined,
    placeholders,
    statement_cursor,
    workspace_for_user,
)
from maps.workshop import notes as workshop_notes
from research.models import SourceKind
from research.status import NO_EVIDENCE

# The colours a note may take; the board's pastel papers keep text at 4.5:1 or more.
NOTE_COLORS = ("yellow", "pink", "blue", "green", "orange", "purple")
UNSET = object()


class VersionConflict(Exception):
    """A text, team or colour change based on an old version of the note."""

    def __init__(self, note_id: int, *, current: dict | None = None):
        super().__init__(f"Note {note_id} has changed since this edit began.")
        self.note_id = note_id
        self.current = current  # the note as it is, when the raiser has it in hand


# Validation -----------------------------------------------------------------------------------


def clean_note_text(text) -> str:
    if not isinstance(text, str):
        raise ValidationError({"text": "Text must be a string."})
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Text may not be empty."})
    if len(text) > NOTE_TEXT_MAX:
        raise ValidationError(
            {"text": f"Text may be at most {NOTE_TEXT_MAX} characters (it has {len(text)})."}
        )
    return text


def clean_section(empathy_map: EmpathyMap, section) -> str:
    if section not in empathy_map.sections:
        raise ValidationError(
            {"section": f"Choose one of this map's sections: {', '.join(empathy_map.sections)}."}
        )
    return section


def clean_team(team) -> str:
    if team not in Team.values:
        raise ValidationError({"team": f"Choose one of: {', '.join(Team.values)}."})
    return team


def clean_color(color, *, keep: str | None = None) -> str:
    """One of NOTE_COLORS; `keep`, a note's colour from before the palette (such as #ffcc00),
    stays valid for that note, so that resending it unchanged is not refused."""
    if isinstance(color, str) and (color in NOTE_COLORS or (keep is not None and color == keep)):
        return color
    raise ValidationError({"color": f"Choose one of: {', '.join(NOTE_COLORS)}."})


def clean_position(position) -> float:
    if isinstance(position, bool) or not isinstance(position, int | float):
        raise ValidationError({"position": "Position must be a number."})
    if not math.isfinite(position) or abs(position) > 1e12:
        raise ValidationError({"position": "Position must be a finite number."})
    return float(position)


def clean_version(version) -> int:
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValidationError({"version": "Version must be a positive whole number."})
    return version


def clean_shelf_life(shelf_life) -> dict[str, int]:
    if not isinstance(shelf_life, dict):
        raise ValidationError({"shelf_life": "Give an object of source kind to days."})
    cleaned = {}
    for kind, days in shelf_life.items():
        if kind not in SourceKind.values:
            raise ValidationError(
                {"shelf_life": f"Unknown source kind {kind!r}; use {', '.join(SourceKind.values)}."}
            )
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 36500:
            raise ValidationError({"shelf_life": f"Days for {kind} must be 1 to 36500."})
        cleaned[kind] = days
    return cleaned


def ensure_workspace_is_open(workspace: Workspace) -> None:
    if workspace.archived:
        raise ValidationError(
            {"workspace": f"The workspace “{workspace.name}” is archived; a lead can restore it."}
        )


def ensure_map_is_open(empathy_map: EmpathyMap) -> None:
    ensure_workspace_is_open(empathy_map.workspace)
    if empathy_map.archived:
        raise ValidationError({"map": "This map is archived; a lead can unarchive it."})


def lock_open_map(map_id: int) -> EmpathyMap:
    """`lock_map`, then refuse if the map or its workspace is archived, as read under the lock:
    the check before the transaction may have been overtaken by an archive meanwhile."""
    locked = lock_map(map_id)
    ensure_map_is_open(locked)
    return locked


# Workspaces and members -----------------------------------------------------------------------


SLUG_MAX = 60
SLUG_ATTEMPTS = 5


def workspace_create(*, actor, name: str, slug: str = "") -> Workspace:
    """Create a workspace led by the actor. Without a slug, one is derived from the name and
    made unique with -2, -3, ...; a slug the caller chose is refused when invalid or taken."""
    name = _clean_workspace_name(name)
    if slug:
        slug = _clean_workspace_slug(slug)
        try:
            return _workspace_insert(actor=actor, name=name, slug=slug)
        except IntegrityError:
            raise ValidationError(
                {"slug": f"The slug {slug!r} is taken; choose another."}
            ) from None
    base = slugify(name)[:SLUG_MAX] or "workspace"
    for _attempt in range(SLUG_ATTEMPTS):
        try:
            return _workspace_insert(actor=actor, name=name, slug=_free_slug(base))
        except IntegrityError:
            continue  # another request took the slug between our read and our insert
    raise ValidationError({"slug": "Could not find a free slug for this name; try again."})


def _clean_workspace_slug(slug) -> str:
    cleaned = slugify(slug if isinstance(slug, str) else "")[:SLUG_MAX]
    if not cleaned:
        raise ValidationError({"slug": "Give a slug of letters, digits or hyphens."})
    return cleaned


def _slug_candidate(base: str, number: int) -> str:
    suffix = f"-{number}" if number > 1 else ""
    return base[: SLUG_MAX - len(suffix)].rstrip("-") + suffix


def _free_slug(base: str) -> str:
    """The first of base, base-2, base-3, ... that no workspace uses, any user's or not."""
    # Every candidate starts with this prefix while suffixes stay under 20 characters.
    prefix = base[:40].rstrip("-")
    taken = set(Workspace.objects.filter(slug__startswith=prefix).values_list("slug", flat=True))
    number = 1
    while _slug_candidate(base, number) in taken:
        number += 1
    return _slug_candidate(base, number)


def _workspace_insert(*, actor, name: str, slug: str) -> Workspace:
    with transaction.atomic():
        workspace = Workspace.objects.create(name=name, slug=slug)
        Membership.objects.create(workspace=workspace, user=actor, role=Role.LEAD)
    workspace.role = Role.LEAD
    return workspace


def workspace_update(
    *, actor, workspace_slug: str, name: str | None = None, archived: bool | None = None
) -> Workspace:
    """Rename a workspace, or archive or restore it (lead). The slug, its address, stays.

    Archiving or restoring changes whether every map in it may change, so each map gets a
    `map.updated` event (its `workspace_archived` flipped) and open boards learn of it live.
    """
    workspace = workspace_for_user(user=actor, slug=workspace_slug, role=Role.LEAD)
    changes: dict[str, object] = {}
    if name is not None:
        changes["name"] = _clean_workspace_name(name)
    if archived is not None:
        if not isinstance(archived, bool):
            raise ValidationError({"archived": "Must be true or false."})
        changes["archived"] = archived
    if not changes:
        return workspace
    with transaction.atomic():
        # Locked, so that two leads archiving and restoring at once both see what they flip.
        locked_workspace = Workspace.objects.select_for_update().get(pk=workspace.pk)
        flipped = "archived" in changes and changes["archived"] != locked_workspace.archived
        for field, value in changes.items():
            setattr(locked_workspace, field, value)
        locked_workspace.save(update_fields=list(changes))
        if flipped:
            map_ids = EmpathyMap.objects.filter(workspace_id=workspace.pk).values_list(
                "pk", flat=True
            )
            for map_id in sorted(map_ids):  # locked in id order, as everywhere
                locked = lock_map(map_id)
                locked.workspace = locked_workspace  # as just saved: no query per map
                payload = {"map": {**map_payload(locked), "seq": locked.seq + 1}}
                record_event(
                    locked_map=locked, kind=EventKind.MAP_UPDATED, actor=actor, payload=payload
                )
    locked_workspace.role = workspace.role
    return locked_workspace


def _clean_workspace_name(name) -> str:
    name = name.strip() if isinstance(name, str) else ""
    if not name:
        raise ValidationError({"name": "Name may not be empty."})
    if len(name) > 120:
        raise ValidationError({"name": "Name may be at most 120 characters."})
    return name


def _user_by_username(username) -> object:
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise ValidationError({"username": f"No user is called {username!r}."})
    return user


def _clean_role(role) -> Role:
    if role not in Role.values:
        raise ValidationError({"role": f"Choose one of: {', '.join(Role.values)}."})
    return Role(role)


def _ensure_another_lead(workspace: Workspace, leaving_user_id: int) -> None:
    others = (
        Membership.objects.select_for_update()
        .filter(workspace=workspace, role=Role.LEAD)
        .exclude(user_id=leaving_user_id)
    )
    if not others.exists():
        raise ValidationError({"role": "A workspace needs at least one lead."})


def member_add(
    *, actor, workspace_slug: str, username: str, role: str, team: str = Team.OTHER
) -> Membership:
    workspace = workspace_for_user(user=actor, slug=workspace_slug, role=Role.LEAD)
    role = _clean_role(role)
    team = clean_team(team)
    user = _user_by_username(username)
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                workspace=workspace, user=user, role=role, team=team
            )
            membership_changed_on_commit(workspace_id=workspace.pk, user_id=user.pk)
    except IntegrityError:
        raise ValidationError({"username": f"{username} is already a member."}) from None
    return membership


def _membership(workspace: Workspace, username: str) -> Membership:
    membership = (
        Membership.objects.select_for_update()
        .select_related("user")
        .filter(workspace=workspace, user__username=username)
        .first()
    )
    if membership is None:
        raise Http404("No such member.")
    return membership


def member_update(
    *, actor, workspace_slug: str, username: str, role: str | None = None, team: str | None = None
) -> Membership:
    """Change a member's role (lead) or team (a lead for anyone, a member for themself)."""
    workspace = workspace_for_user(user=actor, slug=workspace_slug)
    if role is None and team is None:
        raise ValidationError({"team": "Send role or team."})
    only_own_team = role is None and username == actor.username
    if not only_own_team and not Role(workspace.role).includes(Role.LEAD):
        raise PermissionDenied("Only a lead changes roles, or another member's team.")
    fields = {}
    if role is not None:
        fields["role"] = _clean_role(role)
    if team is not None:
        fields["team"] = clean_team(team)
    with transaction.atomic():
        membership = _membership(workspace, username)
        if membership.role == Role.LEAD and fields.get("role", Role.LEAD) != Role.LEAD:
            _ensure_another_lead(workspace, membership.user_id)
        for name, value in fields.items():
            setattr(membership, name, value)
        membership.save(update_fields=list(fields))
        # Open boards re-read the member's role and team: presence, and what they see.
        membership_changed_on_commit(workspace_id=workspace.pk, user_id=membership.user_id)
    return membership


def member_remove(*, actor, workspace_slug: str, username: str) -> None:
    workspace = workspace_for_user(user=actor, slug=workspace_slug, role=Role.LEAD)
    with transaction.atomic():
        membership = _membership(workspace, username)
        if membership.role == Role.LEAD:
            _ensure_another_lead(workspace, membership.user_id)
        membership.delete()
        membership_changed_on_commit(workspace_id=workspace.pk, user_id=membership.user_id)


# Maps -----------------------------------------------------------------------------------------


def _clean_map_fields(fields: dict) -> dict:
    cleaned = {}
    for name in ("title", "persona", "description"):
        if name in fields:
            value = fields[name]
            if not isinstance(value, str):
                raise ValidationError({name: "Must be text."})
            cleaned[name] = value.strip()
    if "title" in cleaned and not cleaned["title"]:
        raise ValidationError({"title": "Title may not be empty."})
    limits = {"title": 200, "persona": 200, "description": 4000}
    for name, limit in limits.items():
        if len(cleaned.get(name, "")) > limit:
            raise ValidationError({name: f"At most {limit} characters."})
    if "freshness_days" in fields:
        days = fields["freshness_days"]
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 36500:
            raise ValidationError({"freshness_days": "Give a whole number of days, 1 to 36500."})
        cleaned["freshness_days"] = days
    if "shelf_life" in fields:
        cleaned["shelf_life"] = clean_shelf_life(fields["shelf_life"])
    if "layout" in fields:
        if fields["layout"] not in Layout.values:
            raise ValidationError({"layout": f"Choose one of: {', '.join(Layout.values)}."})
        cleaned["layout"] = fields["layout"]
    if "archived" in fields:
        if not isinstance(fields["archived"], bool):
            raise ValidationError({"archived": "Must be true or false."})
        cleaned["archived"] = fields["archived"]
    if "phase" in fields:
        if fields["phase"] not in Phase.values:
            raise ValidationError({"phase": f"Choose one of: {', '.join(Phase.values)}."})
        cleaned["phase"] = fields["phase"]
    return cleaned


def map_create(
    *,
    actor,
    workspace_slug: str,
    title: str,
    persona: str = "",
    description: str = "",
    layout: str = Layout.EXTENDED,
    freshness_days: int = 180,
    shelf_life: dict | None = None,
) -> EmpathyMap:
    workspace = workspace_for_user(user=actor, slug=workspace_slug, role=Role.EDITOR)
    ensure_workspace_is_open(workspace)
    if layout not in Layout.values:
        raise ValidationError({"layout": f"Choose one of: {', '.join(Layout.values)}."})
    fields = _clean_map_fields(
        {
            "title": title,
            "persona": persona,
            "description": description,
            "freshness_days": freshness_days,
            "shelf_life": shelf_life or {},
        }
    )
    empathy_map = EmpathyMap.objects.create(
        workspace=workspace, layout=layout, created_by=actor, **fields
    )
    empathy_map.role = workspace.role
    return empathy_map


def map_update(*, actor, map_id: int, op_id: str | None = None, **changes) -> EmpathyMap:
    """Change a map's settings (lead).

    A change of `layout` never touches a note: notes of sections the new layout leaves out
    (classic leaves out goals, pains, gains, sees and hears) keep their section, boards show
    them apart, and switching back shows them in place again.
    """
    ensure_workspace_is_open(map_for_user(user=actor, map_id=map_id, role=Role.LEAD).workspace)
    unknown = set(changes) - {
        "title",
        "persona",
        "description",
        "freshness_days",
        "shelf_life",
        "archived",
        "phase",
        "layout",
    }
    if unknown:
        field = sorted(unknown)[0]
        raise ValidationError({field: "This field cannot be changed."})
    fields = _clean_map_fields(changes)
    with transaction.atomic():
        locked = lock_map(map_id)
        ensure_workspace_is_open(locked.workspace)  # again under the lock
        # The old values too, so that the map can be replayed as of before this event.
        before = {name: getattr(locked, name) for name in fields}
        for name, value in fields.items():
            setattr(locked, name, value)
        if fields:
            locked.save(update_fields=[*fields, "updated_at"])
            # The event carries the map as it is after the event, its seq included.
            payload = {"map": {**map_payload(locked), "seq": locked.seq + 1}, "before": before}
            record_event(
                locked_map=locked,
                kind=EventKind.MAP_UPDATED,
                actor=actor,
                payload=payload,
                op_id=op_id,
            )
    locked.role = Role.LEAD
    return locked


def map_archive(*, actor, map_id: int) -> EmpathyMap:
    return map_update(actor=actor, map_id=map_id, archived=True)


def map_mark_reviewed(*, actor, map_id: int, op_id: str | None = None) -> EmpathyMap:
    """A lead's review checkpoint: the review dashboard's changes count from here on."""
    map_for_user(user=actor, map_id=map_id, role=Role.LEAD)
    with transaction.atomic():
        locked = lock_open_map(map_id)
        locked.reviewed_seq = locked.seq + 1  # the seq of the event below
        locked.reviewed_at = timezone.now()
        locked.reviewed_by = actor
        payload = {"map": {**map_payload(locked), "seq": locked.seq + 1}, "reviewed": True}
        record_event(
            locked_map=locked, kind=EventKind.MAP_UPDATED, actor=actor, payload=payload, op_id=op_id
        )
        # After record_event has saved the new seq: the database checks reviewed_seq <= seq.
        locked.save(update_fields=["reviewed_seq", "reviewed_at", "reviewed_by"])
    locked.role = Role.LEAD
    return locked


# Notes ----------------------------------------------------------------------------------------


def _next_position(empathy_map: EmpathyMap, section: str) -> float:
    highest = (
        Note.objects.filter(map=empathy_map, section=section, deleted_at__isnull=True)
        .aggregate(top=Max("position"))
        .get("top")
    )
    return (highest or 0) + 1


def _live_note(note_id: int, map_id: int) -> Note:
    note = Note.objects.filter(pk=note_id, map_id=map_id, deleted_at__isnull=True).first()
    if note is None:
        raise Http404("This note has been deleted.")
    return note


def _record_note_event(*, locked_map, kind, actor, note_id, op_id, extra=None) -> dict:
    data = note_data(note_id)
    payload = {"note": data, **(extra or {})}
    record_event(locked_map=locked_map, kind=kind, actor=actor, payload=payload, op_id=op_id)
    return data


def _note_op(map_id: int, op: "NoteOp") -> dict:
    """Apply one note op (note_ops_apply): the note as its event carries it, or the error."""
    [result] = note_ops_apply(map_id=map_id, ops=[op])
    if result.error is not None:
        raise result.error
    return result.event.payload["note"]


def _map_of_note(note_id: int) -> int:
    map_id = Note.objects.filter(pk=note_id).values_list("map_id", flat=True).first()
    if map_id is None:
        raise Http404("Not found.")
    return map_id


def note_create(
    *,
    actor,
    map_id: int,
    section: str,
    text: str,
    team: str | None = None,
    color: str = "yellow",
    position: float | None = None,
    op_id: str | None = None,
) -> dict:
    """Add a note; without a team it takes its author's team in the workspace."""
    data = {"section": section, "text": text, "team": team, "color": color, "position": position}
    return _note_op(map_id, NoteOp(actor=actor, op_id=op_id, action="note.create", data=data))


def note_update(
    *,
    actor,
    note_id: int,
    version: int | None = None,
    op_id: str | None = None,
    **changes,
) -> dict:
    """Edit a note. Text, team and colour need the version they were based on; a move does not.

    Raises VersionConflict for a stale version, with nothing changed.
    """
    data = {**changes, "id": note_id, "version": version}
    op = NoteOp(actor=actor, op_id=op_id, action="note.update", data=data, strict=True)
    return _note_op(_map_of_note(note_id), op)


def note_delete(
    *, actor, note_id: int, version: int | None = None, op_id: str | None = None
) -> dict:
    data = {"id": note_id, "version": version}
    op = NoteOp(actor=actor, op_id=op_id, action="note.delete", data=data)
    return _note_op(_map_of_note(note_id), op)


def note_restore(*, actor, note_id: int, op_id: str | None = None) -> dict:
    note = note_for_user(user=actor, note_id=note_id, role=Role.EDITOR)
    ensure_map_is_open(note.map)
    with transaction.atomic():
        locked = lock_open_map(note.map_id)
        current = Note.objects.get(pk=note_id)
        if current.deleted_at is None:
            return note_data(note_id)
        ensure_room_for_notes(locked)
        current.deleted_at = None
        current.version += 1
        current.save(update_fields=["deleted_at", "version", "updated_at"])
        return _record_note_event(
            locked_map=locked,
            kind=EventKind.NOTE_RESTORED,
            actor=actor,
            note_id=note_id,
            op_id=op_id,
        )


def note_review(
    *,
    actor,
    note_id: int,
    state: str,
    comment: str = "",
    assignee: str | None = None,
    due: date | None = None,
    op_id: str | None = None,
) -> dict:
    """A lead's verdict on a note; `needs_research` may name a researcher and a due date."""
    note = note_for_user(user=actor, note_id=note_id, role=Role.LEAD)
    if state not in ReviewState.values:
        raise ValidationError({"state": f"Choose one of: {', '.join(ReviewState.values)}."})
    if not isinstance(comment, str) or len(comment) > 2000:
        raise ValidationError({"comment": "Comment must be text of at most 2000 characters."})
    assignee_user = None
    if assignee:
        if state != ReviewState.NEEDS_RESEARCH:
            raise ValidationError({"assignee": "Only a needs_research review has an assignee."})
        # Said the same way for an unknown username: the field is `assignee`, not `username`.
        assignee_user = get_user_model().objects.filter(username=assignee).first()
        role = assignee_user and membership_role(
            user=assignee_user, workspace_id=note.map.workspace_id
        )
        if not role or not role.includes(Role.RESEARCHER):
            raise ValidationError(
                {"assignee": f"{assignee} is not a researcher in this workspace."}
            )
    if due is not None and state != ReviewState.NEEDS_RESEARCH:
        raise ValidationError({"due": "Only a needs_research review has a due date."})
    if due is not None and due < timezone.localdate():
        raise ValidationError({"due": f"{due.isoformat()} has passed; give today or later."})
    with transaction.atomic():
        locked = lock_open_map(note.map_id)
        current = _live_note(note_id, locked.pk)
        current.review_state = state
        current.review_comment = comment.strip()
        current.reviewed_by = actor
        current.reviewed_at = timezone.now()
        current.research_assignee = assignee_user
        current.research_due = due
        current.save(
            update_fields=[
                "review_state",
                "review_comment",
                "reviewed_by",
                "reviewed_at",
                "research_assignee",
                "research_due",
                "updated_at",
            ]
        )
        return _record_note_event(
            locked_map=locked,
            kind=EventKind.NOTE_REVIEWED,
            actor=actor,
            note_id=note_id,
            op_id=op_id,
        )


# Note ops that arrive together (the live board) -----------------------------------------------

NOTE_OP_ACTIONS = ("note.create", "note.update", "note.delete")
OP_CREATE_FIELDS = ("section", "text", "team", "color", "position")
OP_UPDATE_FIELDS = ("text", "team", "color", "section", "position")


@dataclass
class NoteOp:
    """One websocket op on a note: `data` as in the HTTP calls (contract: websocket section)."""

    actor: Any
    op_id: str | None
    action: str
    data: dict
    strict: bool = False  # refuse fields a note does not have (HTTP), rather than ignore them


@dataclass
class NoteOpResult:
    """The stored event of an applied op (or of its twin, applied before), or why it was not."""

    event: MapEvent | None = None
    error: Exception | None = None
    new: bool = False  # the event was written by this batch


def note_ops_apply(*, map_id: int, ops: list[NoteOp], broadcast: bool = True) -> list[NoteOpResult]:
    """Apply note ops on one map, in order, in one transaction: one lock of the map row, one
    seq bump for all their events, one commit. Each op is checked as note_create, note_update
    and note_delete check it, against the notes as the ops before it left them; a refused op
    changes nothing and gets its error while the others apply. An op whose (actor, op_id) is
    stored already is not applied again: its result is the stored event.

    If the database refuses the batch (a value it cannot store, or a twin of one of these ops
    committed by another process meanwhile), each op is applied again on its own, so that only
    the op at fault fails.

    The new events go to the map's group after commit, unless `broadcast` is False: then the
    caller sends them (maps.feeds.MapFeed.publish, from the event loop, so that the database
    thread does not wait on the channel layer).
    """
    try:
        with transaction.atomic():
            return _apply_note_ops(map_id, ops, broadcast=broadcast)
    except (DataError, IntegrityError):
        return [_apply_note_op_alone(map_id, op, broadcast=broadcast) for op in ops]


def _apply_note_op_alone(map_id: int, op: NoteOp, *, broadcast: bool) -> NoteOpResult:
    # Twice at most: a twin committed while this op waited for the lock makes its insert fail
    # once, and the second attempt finds the twin's event.
    for attempt in range(2):
        try:
            with transaction.atomic():
                return _apply_note_ops(map_id, [op], broadcast=broadcast)[0]
        except IntegrityError as error:
            if attempt:
                return NoteOpResult(error=error)
        except DataError as error:
            return NoteOpResult(error=error)
    raise AssertionError("unreachable")


class _NoteOpBatch:
    """The state of one batch under the map's lock: the actors' memberships, the notes the ops
    name (as the ops before left them), and the events recorded so far."""

    def __init__(self, state: NoteOpsState, ops: list[NoteOp], *, broadcast: bool):
        self.locked = state.locked
        self.ops = ops
        self.broadcast = broadcast
        self.events: list[MapEvent] = []
        self.applied: dict[tuple[int, str], MapEvent] = {}
        # The highest position in each section, as the batch leaves it; read with the lock when
        # the batch creates notes, else on first use.
        self.positions: dict[str, float] = {}
        # Notes changed by the batch, written in one UPDATE at the end, and the fields changed.
        self.changed: dict[int, Note] = {}
        self.changed_fields: set[str] = set()
        # Live notes of the map for MAX_NOTES_PER_MAP, as of the batch's first create.
        self.live_notes: int | None = None
        self.deleted = 0
        self.sections = state.sections
        if state.sections is not None:
            # Every section of the map, so that each note placed in one is followed.
            self.positions = dict.fromkeys(self.locked.sections, 0.0)
            for section, (top, _count) in state.sections.items():
                self.positions[section] = top
        self.members = state.members
        self.stored = self._stored_events(state.replayed)
        self.notes, self.statuses = state.notes, state.statuses
        self.extras = self._read_extras()

    def op_ids(self) -> list[str]:
        return sorted({op.op_id for op in self.ops if op.op_id})

    def _stored_events(self, actor_ids: list[int]) -> dict[tuple[int, str], MapEvent]:
        """The events of ops stored already (a retry), for the actors the read under the lock
        found with one: a twin of an op committed through another connection or process is
        always found."""
        if not actor_ids:
            return {}
        events = MapEvent.objects.filter(
            map_id=self.locked.pk, actor_id__in=actor_ids, op_id__in=self.op_ids()
        )
        return {(event.actor_id, event.op_id): event for event in events}

    def _read_extras(self) -> dict[int, dict]:
        """The workshop fields of the notes the ops name: links and stances do not change with
        a note op, so they are read once for the batch, and stances only for the notes that
        have some."""
        if not self.notes:
            return {}
        stanced = any(note.has_stances for note in self.notes.values())
        return workshop_notes.note_extras(
            list(self.notes.values()),
            empathy_map=self.locked,
            stance_rows=None if stanced else [],
        )

    def apply(self) -> list[NoteOpResult]:
        results = []
        for op in self.ops:
            key = (op.actor.pk, op.op_id)
            earlier = (self.stored.get(key) or self.applied.get(key)) if op.op_id else None
            if earlier is not None:
                results.append(NoteOpResult(event=earlier))
                continue
            try:
                event = self._apply(op)
            except (ValidationError, PermissionDenied, Http404, VersionConflict) as error:
                results.append(NoteOpResult(error=error))
                continue
            self.applied[key] = event
            results.append(NoteOpResult(event=event, new=True))
        if self.events:
            self._record()
        return results

    def _member(self, actor) -> tuple[Role, str]:
        """The actor's role and team, as `require_membership` gives them, for an editor."""
        membership = self.members.get(actor.pk)
        if membership is None:
            raise Http404("Not found.")
        if not membership[0].includes(Role.EDITOR):
            raise PermissionDenied(f"This needs the {Role.EDITOR.value} role in this workspace.")
        return membership

    def _viewer(self, actor) -> visibility.Viewer:
        role, team = self.members[actor.pk]
        return visibility.viewer_for(role=role, team=team, phase=self.locked.phase)

    def _apply(self, op: NoteOp) -> MapEvent:
        if op.action == "note.create":
            return self._create(op)
        note_id = op.data.get("id")
        if not _whole_number(note_id):
            raise ValidationError({"id": "Give the note's id, a whole number."})
        note = self.notes.get(note_id)
        if note is None:
            raise Http404("Not found.")
        self._member(op.actor)
        if not visibility.may_see(self._viewer(op.actor), note.team):
            raise Http404("Not found.")
        ensure_map_is_open(self.locked)
        if op.action == "note.update":
            return self._update(op, note)
        return self._delete(op, note)

    def _create(self, op: NoteOp) -> MapEvent:
        fields = {name: op.data[name] for name in OP_CREATE_FIELDS if name in op.data}
        for name in ("section", "text"):
            if name not in fields:
                raise ValidationError({name: "This field is required."})
        _role, own_team = self._member(op.actor)
        locked = self.locked
        ensure_map_is_open(locked)
        section = clean_section(locked, fields["section"])
        text = clean_note_text(fields["text"])
        team = own_team if fields.get("team") is None else clean_team(fields["team"])
        color = clean_color(fields.get("color", "yellow"))
        self._ensure_team_visible(op.actor, team)
        position = fields.get("position")
        position = self._next_position(section) if position is None else clean_position(position)
        self._ensure_room_for_a_note()
        note = Note.objects.create(
            map=locked,
            section=section,
            text=text,
            team=team,
            color=color,
            position=position,
            author=op.actor,
        )
        note.map = locked
        self.live_notes += 1
        self._placed(section, position)
        self.notes[note.pk] = note
        self.extras[note.pk] = workshop_notes.new_note_extras(locked)
        return self._event(op, EventKind.NOTE_CREATED, note)

    def _update(self, op: NoteOp, note: Note) -> MapEvent:
        if op.strict:
            unknown = set(op.data) - {"id", "version", *OP_UPDATE_FIELDS}
            if unknown:
                raise ValidationError(
                    {sorted(unknown)[0]: "This field cannot be changed on a note."}
                )
        changes = {name: op.data[name] for name in OP_UPDATE_FIELDS if name in op.data}
        if not changes:
            raise ValidationError(
                {"text": "Send at least one of text, team, color, section, position."}
            )
        cleaners = {
            "text": clean_note_text,
            "team": clean_team,
            "color": lambda value: clean_color(value, keep=note.color),
            "section": lambda value: clean_section(self.locked, value),
            "position": clean_position,
        }
        fields = {name: cleaners[name](value) for name, value in changes.items()}
        content_change = bool({"text", "team", "color"} & set(fields))
        version = op.data.get("version")
        if content_change and version is None:
            raise ValidationError(
                {"version": "A change of text, team or color must carry version."}
            )
        self._ensure_current(note, version)
        team_before = note.team
        if fields.get("team", team_before) != team_before:
            self._ensure_team_visible(op.actor, fields["team"])
        section_before = note.section
        if "section" in fields and "position" not in fields and fields["section"] != section_before:
            fields["position"] = self._next_position(fields["section"])
        for name, value in fields.items():
            setattr(note, name, value)
        note.version += 1
        self._changed(note, [*fields, "version"])
        if note.section != section_before:
            self.positions.pop(section_before, None)
        self._placed(note.section, note.position)
        kind = EventKind.NOTE_UPDATED if content_change else EventKind.NOTE_MOVED
        # A new team tells the members of the old one, while drafting, that the note left them.
        extra = {visibility.TEAM_BEFORE: team_before} if note.team != team_before else {}
        return self._event(op, kind, note, extra)

    def _delete(self, op: NoteOp, note: Note) -> MapEvent:
        self._ensure_current(note, op.data.get("version"))
        note.deleted_at = timezone.now()
        note.version += 1
        self._changed(note, ["deleted_at", "version"])
        self.deleted += 1
        if self.live_notes is not None:
            self.live_notes -= 1
        self.positions.pop(note.section, None)
        return self._event(op, EventKind.NOTE_DELETED, note)

    def _ensure_room_for_a_note(self) -> None:
        """MAX_NOTES_PER_MAP (maps/limits.py), counted once per batch under the map's lock and
        then kept up to date: the notes this batch deleted are written only at its end."""
        if self.live_notes is None:
            if self.sections is not None:
                present = sum(count for _top, count in self.sections.values())
            else:
                present = map_limits.live_note_count(self.locked.pk)
            self.live_notes = present - self.deleted
        limit = map_limits.max_notes_per_map()
        if self.live_notes + 1 > limit:
            raise map_limits.LimitReached(
                field="notes",
                code="too_many_notes",
                limit=limit,
                detail=map_limits.notes_detail(limit=limit, present=self.live_notes, adding=1),
            )

    def _ensure_current(self, note: Note, version) -> None:
        """The note is live and, when the op names a version, at that version."""
        if version is not None:
            version = clean_version(version)
        if note.deleted_at is not None:
            raise Http404("This note has been deleted.")
        if version is not None and version != note.version:
            raise VersionConflict(note.pk, current=self._payload(note))

    def _ensure_team_visible(self, actor, team: str) -> None:
        """While drafting, a member who is not a lead writes only into their own team: a note
        they could not see afterwards would be lost to them."""
        viewer = self._viewer(actor)
        if not visibility.may_see(viewer, team):
            detail = f"While the map is drafting, your notes go to your own team ({viewer.team})."
            raise ValidationError({"team": detail})

    def _changed(self, note: Note, fields: list[str]) -> None:
        note.updated_at = timezone.now()  # as save() would
        self.changed[note.pk] = note
        self.changed_fields.update([*fields, "updated_at"])

    def _next_position(self, section: str) -> float:
        """As `_next_position`, read once per section and batch, then kept up to date."""
        if section not in self.positions:
            self.positions[section] = _next_position(self.locked, section) - 1
        return self.positions[section] + 1

    def _placed(self, section: str, position: float) -> None:
        if section in self.positions:
            self.positions[section] = max(self.positions[section], position)

    def _payload(self, note: Note) -> dict:
        """The note as `note_data` reads it, from the row in hand."""
        status = self.statuses.get(note.pk, NO_EVIDENCE)
        return {**note_payload(note, status), **self.extras[note.pk]}

    def _event(self, op: NoteOp, kind: str, note: Note, extra: dict | None = None) -> MapEvent:
        payload = {"note": self._payload(note), **(extra or {})}
        event = MapEvent(
            map=self.locked,
            seq=self.locked.seq + len(self.events) + 1,
            kind=kind,
            actor=op.actor,
            op_id=op.op_id,
            payload=payload,
            note_id=note.pk,
        )
        self.events.append(event)
        return event

    def _record(self) -> None:
        """The seq bump, the notes as the batch left them and its events, sent together; their
        broadcast after commit, unless the caller sends them."""
        locked = self.locked
        now = timezone.now()
        locked.seq += len(self.events)
        locked.updated_at = now
        statements = [_update_statement(EmpathyMap, [locked], ["seq", "updated_at"])]
        if self.changed:
            # Each note as the batch left it; a field one op changed is written for every note
            # of the batch, with the value it has, which is harmless.
            notes, fields = list(self.changed.values()), sorted(self.changed_fields)
            statements.append(_update_statement(Note, notes, fields))
        for event in self.events:
            event.created_at = now  # as auto_now_add would
        statements.append(_insert_statement(MapEvent, self.events, EVENT_COLUMNS))
        write_together(statements)
        if self.broadcast:
            broadcast_events_on_commit(locked.pk, self.events)


# The columns of an event as a batch writes it (the id comes from the database).
EVENT_COLUMNS = ("map", "seq", "kind", "actor", "op_id", "payload", "note_id", "created_at")

# A statement and the parameters of each row it writes (one execute, or an executemany).
Statement = tuple[str, list[list]]


def _update_statement(model, instances: list, field_names: list[str]) -> Statement:
    """An UPDATE of these fields of each instance's row, with the values it holds."""
    meta = model._meta
    fields = [meta.get_field(name) for name in field_names]
    assignments = ", ".join(f'"{field.column}" = %s' for field in fields)
    sql = f'UPDATE "{meta.db_table}" SET {assignments} WHERE "{meta.pk.column}" = %s'  # noqa: S608
    return sql, [[*_db_values(instance, fields), instance.pk] for instance in instances]


def _insert_statement(model, instances: list, field_names: tuple[str, ...]) -> Statement:
    """An INSERT of a row for each instance."""
    meta = model._meta
    fields = [meta.get_field(name) for name in field_names]
    columns = ", ".join(f'"{field.column}"' for field in fields)
    sql = f'INSERT INTO "{meta.db_table}" ({columns}) VALUES ({placeholders(fields)})'  # noqa: S608
    return sql, [_db_values(instance, fields) for instance in instances]


def _db_values(instance, fields) -> list:
    """The values of these fields as the database takes them. A None, int, float or str goes
    as it is, which is what get_db_prep_save makes of one on every backend, except in a JSON
    field; the others (datetimes, JSON) go through the field."""
    values = []
    for field in fields:
        value = getattr(instance, field.attname)
        plain = value is None or type(value) in (int, float, str)
        if not plain or isinstance(field, JSONField):
            value = field.get_db_prep_save(value, connection)
        values.append(value)
    return values


def write_together(statements: list[Statement]) -> None:
    """Run these writes in order; on PostgreSQL they travel in one round trip (`pipelined`).
    A statement of several rows is one executemany: one query text, so the driver's parsing of
    it is cached whatever the batch's size (a statement of many rows and parameters is not)."""
    with statement_cursor() as cursor, pipelined():
        for sql, rows in statements:
            if len(rows) == 1:
                cursor.execute(sql, rows[0])
            else:
                cursor.executemany(sql, rows)


def _whole_number(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _apply_note_ops(map_id: int, ops: list[NoteOp], *, broadcast: bool) -> list[NoteOpResult]:
    note_ids = {
        op.data.get("id")
        for op in ops
        if op.action != "note.create" and _whole_number(op.data.get("id"))
    }
    try:
        state = lock_map_for_note_ops(
            map_id=map_id,
            actor_ids=sorted({op.actor.pk for op in ops}),
            op_ids=sorted({op.op_id for op in ops if op.op_id}),
            note_ids=sorted(note_ids),
            places_notes=any(op.action == "note.create" for op in ops),
        )
    except EmpathyMap.DoesNotExist:
        return [NoteOpResult(error=Http404("Not found.")) for _op in ops]
    return _NoteOpBatch(state, ops, broadcast=broadcast).apply()
