"""The workshop's writes: stances, dot votes, the timer, the facilitation step and comments.

Like maps/services.py, each checks the actor's role, changes the data in one transaction with
the map row locked, records one MapEvent (its seq included) and leaves the broadcast to run after
commit. A change that changes nothing (the same stance again, stopping a stopped timer) records
no event.
"""

import re
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.db.models.functions import Lower
from django.http import Http404
from django.utils import timezone

from maps.events import record_event
from maps.limits import ensure_room_for_comments
from maps.models import (
    COMMENT_TEXT_MAX,
    Comment,
    EmpathyMap,
    EventKind,
    Membership,
    Mention,
    Note,
    NoteStance,
    NoteVote,
    Role,
    StanceValue,
)
from maps.selectors import map_for_user, map_payload, note_data, note_for_user
from maps.services import ensure_map_is_open, lock_open_map
from maps.workshop.selectors import comment_payload, mentions_for_user

VOTES_PER_PERSON_DEFAULT = 3
VOTES_PER_PERSON_MAX = 20
TIMER_SECONDS_MIN = 10
TIMER_SECONDS_MAX = 7200
STEPS = ("draft", "reveal", "vote", "discuss")
UNCHANGED = object()
# Django usernames are letters, digits and @.+-_; a mention ends before an @ or a space.
MENTION_PATTERN = re.compile(r"(?<![\w@.+-])@([\w.+-]+)")


class VoteRefused(ValidationError):
    """A vote the rules refuse: 400 with `code` (no_votes_left, vote_closed, no_vote)."""

    def __init__(self, code: str, message: str):
        super().__init__({"votes": [message]})
        self.error_code = code
        self.detail = message


def _live_note(note_id: int, map_id: int) -> Note:
    note = Note.objects.filter(pk=note_id, map_id=map_id, deleted_at__isnull=True).first()
    if note is None:
        raise Http404("This note has been deleted.")
    return note


def _note_for(actor, note_id: int, role: Role = Role.VIEWER) -> Note:
    note = note_for_user(user=actor, note_id=note_id, role=role)
    ensure_map_is_open(note.map)
    if note.deleted_at is not None:
        raise Http404("This note has been deleted.")
    return note


def note_for_actor(actor, note: Note) -> dict:
    """The note as its actor sees it: their own stance and votes, totals if they lead."""
    return note_data(note.pk, viewer=actor, viewer_is_lead=Role(note.role) == Role.LEAD)


def _map_event_payload(locked: EmpathyMap, **extra) -> dict:
    # The event carries the map as it is after the event, its seq included.
    return {"map": {**map_payload(locked), "seq": locked.seq + 1}, **extra}


# Stances --------------------------------------------------------------------------------------


def clean_stance(stance) -> str | None:
    if stance is not None and stance not in StanceValue.values:
        raise ValidationError({"stance": "Choose agree, disagree or null (no stance)."})
    return stance


def note_stance_set(*, actor, note_id: int, stance: str | None, op_id: str | None = None) -> dict:
    """The actor agrees or disagrees with a note, or (None) takes their stance back. Any member,
    viewers too; one stance per person and note. Returns the note as the actor sees it."""
    note = _note_for(actor, note_id)
    stance = clean_stance(stance)
    with transaction.atomic():
        locked = lock_open_map(note.map_id)
        _live_note(note_id, locked.pk)
        current = NoteStance.objects.filter(note_id=note_id, user_id=actor.pk).first()
        if (current.value if current else None) == stance:
            return note_for_actor(actor, note)
        if stance is None:
            current.delete()
        elif current is None:
            NoteStance.objects.create(note_id=note_id, user=actor, value=stance)
        else:
            current.value = stance
            current.save(update_fields=["value", "updated_at"])
        payload = {"note": note_data(note_id), "stance": stance}
        record_event(
            locked_map=locked, kind=EventKind.NOTE_STANCE, actor=actor, payload=payload, op_id=op_id
        )
    return note_for_actor(actor, note)


# Dot votes ------------------------------------------------------------------------------------


def votes_used(*, actor, empathy_map: EmpathyMap) -> int:
    """The actor's votes in the map's current round, on notes not deleted (a deleted note gives
    its votes back)."""
    used = NoteVote.objects.filter(
        user_id=actor.pk,
        round=empathy_map.vote_round,
        note__map_id=empathy_map.pk,
        note__deleted_at__isnull=True,
    ).aggregate(total=Sum("count"))["total"]
    return used or 0


def _vote_event(*, locked: EmpathyMap, actor, note_id: int, delta: int, op_id) -> None:
    """`note.voted`: the note with its new total, or, while a blind vote is open, only the
    delta: which note got a vote would let anyone count the totals."""
    if locked.vote_blind:
        payload = {"blind": True, "delta": delta}
    else:
        payload = {"note": note_data(note_id), "delta": delta}
    record_event(
        locked_map=locked, kind=EventKind.NOTE_VOTED, actor=actor, payload=payload, op_id=op_id
    )


def note_vote_add(*, actor, note_id: int, op_id: str | None = None) -> dict:
    """One more of the actor's dots on the note (several may go to one note). Any member.

    Raises VoteRefused: `vote_closed` without an open vote, `no_votes_left` past per_person.
    """
    note = _note_for(actor, note_id)
    with transaction.atomic():
        locked = lock_open_map(note.map_id)
        _live_note(note_id, locked.pk)
        if not locked.vote_open:
            raise VoteRefused("vote_closed", "No vote is open on this map.")
        if votes_used(actor=actor, empathy_map=locked) >= locked.vote_per_person:
            raise VoteRefused(
                "no_votes_left",
                f"You have used all {locked.vote_per_person} of your votes; take one back first.",
            )
        updated = NoteVote.objects.filter(
            note_id=note_id, user_id=actor.pk, round=locked.vote_round
        ).update(count=F("count") + 1)
        if not updated:
            NoteVote.objects.create(note_id=note_id, user=actor, round=locked.vote_round)
        _vote_event(locked=locked, actor=actor, note_id=note_id, delta=1, op_id=op_id)
    return note_for_actor(actor, note)


def note_vote_remove(*, actor, note_id: int, op_id: str | None = None) -> dict:
    """Take back one of the actor's dots on the note, while the vote is open."""
    note = _note_for(actor, note_id)
    with transaction.atomic():
        locked = lock_open_map(note.map_id)
        _live_note(note_id, locked.pk)
        if not locked.vote_open:
            raise VoteRefused("vote_closed", "No vote is open on this map.")
        vote = (
            NoteVote.objects.select_for_update()
            .filter(note_id=note_id, user_id=actor.pk, round=locked.vote_round)
            .first()
        )
        if vote is None:
            raise VoteRefused("no_vote", "You have no vote on this note to take back.")
        if vote.count > 1:
            vote.count -= 1
            vote.save(update_fields=["count"])
        else:
            vote.delete()
        _vote_event(locked=locked, actor=actor, note_id=note_id, delta=-1, op_id=op_id)
    return note_for_actor(actor, note)


def vote_totals(empathy_map: EmpathyMap) -> dict[str, int]:
    """{note id: total} of the current round's votes on live notes (JSON keys)."""
    rows = (
        NoteVote.objects.filter(
            round=empathy_map.vote_round,
            note__map_id=empathy_map.pk,
            note__deleted_at__isnull=True,
        )
        .values("note_id")
        .annotate(total=Sum("count"))
        .order_by("note_id")
    )
    return {str(row["note_id"]): row["total"] for row in rows}


def clean_per_person(value) -> int:
    whole = not isinstance(value, bool) and isinstance(value, int)
    if not whole or not 1 <= value <= VOTES_PER_PERSON_MAX:
        message = f"per_person must be a whole number, 1 to {VOTES_PER_PERSON_MAX}."
        raise ValidationError({"vote": message})
    return value


def map_vote_configure(
    *,
    actor,
    map_id: int,
    open: bool,  # noqa: A002 - the contract's name
    per_person: int | None = None,
    blind: bool | None = None,
    op_id: str | None = None,
) -> EmpathyMap:
    """Open, change or close the map's dot vote (lead).

    Opening a vote when none is open starts a new round: the votes of an earlier round stop
    counting (they stay stored) and every total starts at 0; per_person defaults to 3 and blind
    to false. Changing an open vote keeps its votes (fewer per_person only stops new votes).
    Closing keeps the totals, shown to everyone. The `map.updated` event carries `vote_totals`
    ({note id: n}, notes without votes left out) unless the vote is now open and blind.
    """
    empathy_map = map_for_user(user=actor, map_id=map_id, role=Role.LEAD)
    ensure_map_is_open(empathy_map)
    if not isinstance(open, bool):
        raise ValidationError({"vote": "open must be true or false."})
    if per_person is not None:
        per_person = clean_per_person(per_person)
    if blind is not None and not isinstance(blind, bool):
        raise ValidationError({"vote": "blind must be true or false."})
    with transaction.atomic():
        locked = lock_open_map(map_id)
        fields = {}
        if open and not locked.vote_open:
            fields = {
                "vote_round": locked.vote_round + 1,
                "vote_open": True,
                "vote_per_person": per_person or VOTES_PER_PERSON_DEFAULT,
                "vote_blind": bool(blind),
            }
        elif open:
            if per_person is not None:
                fields["vote_per_person"] = per_person
            if blind is not None:
                fields["vote_blind"] = blind
        elif locked.vote_open:
            fields = {"vote_open": False}
        changed = {name: value for name, value in fields.items() if getattr(locked, name) != value}
        if not changed:
            locked.role = Role.LEAD
            return locked
        for name, value in changed.items():
            setattr(locked, name, value)
        locked.save(update_fields=[*changed, "updated_at"])
        extra = {}
        if not (locked.vote_open and locked.vote_blind):
            extra["vote_totals"] = vote_totals(locked)
        record_event(
            locked_map=locked,
            kind=EventKind.MAP_UPDATED,
            actor=actor,
            payload=_map_event_payload(locked, **extra),
            op_id=op_id,
        )
    locked.role = Role.LEAD
    return locked


# Facilitation: the timer and the step ---------------------------------------------------------


def _map_change(*, actor, map_id: int, fields: dict, op_id: str | None) -> EmpathyMap:
    empathy_map = map_for_user(user=actor, map_id=map_id, role=Role.LEAD)
    ensure_map_is_open(empathy_map)
    with transaction.atomic():
        locked = lock_open_map(map_id)
        if any(getattr(locked, name) != value for name, value in fields.items()):
            for name, value in fields.items():
                setattr(locked, name, value)
            locked.save(update_fields=[*fields, "updated_at"])
            record_event(
                locked_map=locked,
                kind=EventKind.MAP_UPDATED,
                actor=actor,
                payload=_map_event_payload(locked),
                op_id=op_id,
            )
    locked.role = Role.LEAD
    return locked


def map_timer_start(*, actor, map_id: int, seconds, op_id: str | None = None) -> EmpathyMap:
    """Start (or restart) a countdown of `seconds` for everyone on the map (lead). It ends at a
    moment of the server's clock, so it survives reloads; an ended timer stays on the map, its
    ends_at in the past, until a lead stops or restarts it."""
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise ValidationError({"seconds": "Give a whole number of seconds."})
    if not TIMER_SECONDS_MIN <= seconds <= TIMER_SECONDS_MAX:
        raise ValidationError(
            {"seconds": f"Give {TIMER_SECONDS_MIN} to {TIMER_SECONDS_MAX} seconds."}
        )
    ends_at = timezone.now() + timedelta(seconds=seconds)
    fields = {"timer_ends_at": ends_at, "timer_seconds": seconds}
    return _map_change(actor=actor, map_id=map_id, fields=fields, op_id=op_id)


def map_timer_stop(*, actor, map_id: int, op_id: str | None = None) -> EmpathyMap:
    fields = {"timer_ends_at": None, "timer_seconds": None}
    return _map_change(actor=actor, map_id=map_id, fields=fields, op_id=op_id)


def map_step_set(*, actor, map_id: int, step, op_id: str | None = None) -> EmpathyMap:
    """The facilitation panel's step (draft, reveal, vote, discuss, or null): a label everyone
    sees; it changes nothing else (drafting visibility is the map's `phase`)."""
    if step is not None and step not in STEPS:
        raise ValidationError({"step": f"Choose one of: {', '.join(STEPS)}, or null."})
    return _map_change(
        actor=actor, map_id=map_id, fields={"workshop_step": step or ""}, op_id=op_id
    )


# Comments and mentions ------------------------------------------------------------------------


def clean_comment_text(text) -> str:
    if not isinstance(text, str):
        raise ValidationError({"text": "Text must be a string."})
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Text may not be empty."})
    if len(text) > COMMENT_TEXT_MAX:
        raise ValidationError(
            {"text": f"Text may be at most {COMMENT_TEXT_MAX} characters (it has {len(text)})."}
        )
    return text


def mentioned_usernames(text: str) -> list[str]:
    """Every `@name` in the text, each also without trailing dots and dashes ("@bob." → bob)."""
    names: list[str] = []
    for match in MENTION_PATTERN.finditer(text):
        for name in (match.group(1), match.group(1).rstrip(".-+")):
            if name and name not in names:
                names.append(name)
    return names


def mentioned_members(*, text: str, workspace_id: int, author_id: int) -> dict[int, str]:
    """The workspace's members named in the text, the author left out: {user id: username}."""
    names = mentioned_usernames(text)
    if not names:
        return {}
    # "@Maya" is maya: people type names as they say them.
    members = (
        Membership.objects.filter(workspace_id=workspace_id)
        .annotate(lowered=Lower("user__username"))
        .filter(lowered__in={name.lower() for name in names})
        .exclude(user_id=author_id)
    )
    return dict(sorted(members.values_list("user_id", "user__username")))


def comment_create(
    *, actor, note_id: int, text, parent: int | None = None, op_id: str | None = None
) -> dict:
    """A comment under a note (editor and up), optionally a reply to another comment of that
    note; `@username` of a member (not the author) puts a mention in their inbox, once."""
    note = _note_for(actor, note_id, role=Role.EDITOR)
    text = clean_comment_text(text)
    if parent is not None and (isinstance(parent, bool) or not isinstance(parent, int)):
        raise ValidationError({"parent": "Give the id of a comment on this note."})
    with transaction.atomic():
        locked = lock_open_map(note.map_id)
        _live_note(note_id, locked.pk)
        if parent is not None and not Comment.objects.filter(pk=parent, note_id=note_id).exists():
            raise ValidationError({"parent": "Give the id of a comment on this note."})
        ensure_room_for_comments(locked)
        comment = Comment.objects.create(note_id=note_id, author=actor, parent_id=parent, text=text)
        mentioned = mentioned_members(
            text=text, workspace_id=locked.workspace_id, author_id=actor.pk
        )
        Mention.objects.bulk_create(Mention(comment=comment, user_id=uid) for uid in mentioned)
        data = comment_payload(comment)
        note_json = note_data(note_id)
        payload = {"note": note_json, "comment": data, "comments": note_json["comments"]}
        # Who was mentioned, so an open board of theirs counts the mention at once.
        payload["mentioned"] = sorted(mentioned.values())
        record_event(
            locked_map=locked,
            kind=EventKind.COMMENT_CREATED,
            actor=actor,
            payload=payload,
            op_id=op_id,
        )
    return data


def mention_mark_read(*, actor, mention_id: int) -> Mention:
    """Mark one of the actor's mentions read (not a map event: it is the actor's own inbox)."""
    mention = mentions_for_user(user=actor).filter(pk=mention_id).first()
    if mention is None:
        raise Http404("Not found.")
    if mention.read_at is None:
        mention.read_at = timezone.now()
        mention.save(update_fields=["read_at"])
    return mention
