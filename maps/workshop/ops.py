"""The workshop's websocket ops (maps/consumers.py dispatches them here): `note.stance`
{id, stance}, `note.vote` {id}, `note.unvote` {id} and `comment.create` {note, text, parent?}.

Applied through the same services as HTTP and idempotent by op_id: an op whose event is stored
is not applied again, and is acked again. The ack carries the note as the sender sees it (their
own stance and votes; totals of a blind vote if they lead), read when the ack is made, and for
`comment.create` the comment. An op that changes nothing (the same stance again) records no
event and is acked with the map's current seq.
"""

from django.core.exceptions import ValidationError
from django.http import Http404

from maps import selectors
from maps.models import Comment
from maps.workshop import services
from maps.workshop.selectors import comment_payload

ACTIONS = ("note.stance", "note.vote", "note.unvote", "comment.create")


def whole_number(data: dict, field: str) -> int:
    value = data.get(field)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError({field: "Give the note's id, a whole number."})
    return value


def note_on_map(*, actor, note_id: int, map_id: int):
    note = selectors.note_for_user(user=actor, note_id=note_id)
    if note.map_id != map_id:
        raise Http404("This note is on another map.")
    return note


def run(*, actor, map_id: int, op_id: str, action: str, data: dict) -> None:
    field = "note" if action == "comment.create" else "id"
    note_id = whole_number(data, field)
    note_on_map(actor=actor, note_id=note_id, map_id=map_id)
    if action == "note.stance":
        if "stance" not in data:
            raise ValidationError({"stance": "Give stance: agree, disagree or null."})
        services.note_stance_set(actor=actor, note_id=note_id, stance=data["stance"], op_id=op_id)
    elif action == "note.vote":
        services.note_vote_add(actor=actor, note_id=note_id, op_id=op_id)
    elif action == "note.unvote":
        services.note_vote_remove(actor=actor, note_id=note_id, op_id=op_id)
    else:
        if "text" not in data:
            raise ValidationError({"text": "This field is required."})
        services.comment_create(
            actor=actor, note_id=note_id, text=data["text"], parent=data.get("parent"), op_id=op_id
        )


def ack(*, actor, map_id: int, op_id: str, action: str, data: dict, event) -> dict:
    """The ack of an applied op (`event` its stored event, None if it changed nothing)."""
    field = "note" if action == "comment.create" else "id"
    note = note_on_map(actor=actor, note_id=whole_number(data, field), map_id=map_id)
    # An op that changed nothing is acked at the map's current seq.
    seq = event.seq if event is not None else selectors.map_for_user(user=actor, map_id=map_id).seq
    message = {
        "type": "ack",
        "op_id": op_id,
        "seq": seq,
        "note": services.note_for_actor(actor, note),
    }
    if action == "comment.create" and event is not None:
        comment = Comment.objects.select_related("author").get(pk=event.payload["comment"]["id"])
        message["comment"] = comment_payload(comment)
    return message


def apply(*, actor, map_id: int, op_id: str, action: str, data: dict) -> dict:
    """The ack for a workshop op, applying it unless it was applied before (see apply_op)."""
    lookup = {"map_id": map_id, "actor": actor, "op_id": op_id}
    stored = selectors.event_for_op(**lookup)
    if stored is None:
        try:
            run(actor=actor, map_id=map_id, op_id=op_id, action=action, data=data)
        except Exception:
            # A twin of this op, applied through another connection, may have won the race.
            stored = selectors.event_for_op(**lookup)
            if stored is None:
                raise
        else:
            stored = selectors.event_for_op(**lookup)
    return ack(actor=actor, map_id=map_id, op_id=op_id, action=action, data=data, event=stored)
