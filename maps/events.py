"""The map event log and its broadcast: the one place that writes MapEvents and calls group_send.

Every change to a map is one MapEvent with the next `seq`, written in the same transaction as
the change, with the map row locked. The event is sent to the map's channel-layer group only
after the transaction commits; delivery through the layer is best effort, and clients that
miss an event notice the gap in `seq` and resume from the stored log.
"""

import json
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from maps.models import EmpathyMap, MapEvent

logger = logging.getLogger(__name__)


def map_group(map_id: int) -> str:
    return f"map_{map_id}"


def workspace_group(workspace_id: int) -> str:
    return f"workspace_{workspace_id}"


def event_message(event: MapEvent, *, actor_username: str | None = None) -> dict:
    """The websocket `event` message for a stored event (contract: websocket section)."""
    if actor_username is None and event.actor_id is not None:
        actor_username = event.actor.username
    created_at = event.created_at.isoformat().replace("+00:00", "Z")
    return {
        "type": "event",
        "seq": event.seq,
        "kind": event.kind,
        "actor": actor_username,
        "op_id": event.op_id,
        "at": created_at,
        **event.payload,
    }


def lock_map(map_id: int) -> EmpathyMap:
    """The map row, locked until the transaction ends, so that events get consecutive seqs.

    Only the map row: joining its workspace would lock that row too on PostgreSQL, and two
    writes on two maps of one workspace would then deadlock. `locked.workspace` is read on
    first use, after the lock is granted, so it shows a workspace archived meanwhile.
    """
    return EmpathyMap.objects.select_for_update().get(pk=map_id)


def event_note_id(payload: dict) -> int | None:
    """The id of the note an event is about: note and link events carry it as payload.note."""
    note = payload.get("note")
    return note.get("id") if isinstance(note, dict) else None


def record_event(
    *, locked_map: EmpathyMap, kind: str, actor, payload: dict, op_id: str | None = None
) -> MapEvent:
    """Bump the map's seq, store the event, and schedule its broadcast after commit.

    Must run inside `transaction.atomic()` with `locked_map` from `lock_map`.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_event must run inside a transaction")
    locked_map.seq += 1
    locked_map.updated_at = timezone.now()
    locked_map.save(update_fields=["seq", "updated_at"])
    event = MapEvent.objects.create(
        map=locked_map,
        seq=locked_map.seq,
        kind=kind,
        actor=actor if actor is not None and actor.is_authenticated else None,
        op_id=op_id,
        payload=json.loads(json.dumps(payload, cls=DjangoJSONEncoder)),
        note_id=event_note_id(payload),
    )
    message = event_message(event, actor_username=getattr(actor, "username", None))
    transaction.on_commit(lambda: broadcast_event(locked_map.pk, message), robust=True)
    return event


def broadcast_events_on_commit(map_id: int, events: list[MapEvent]) -> None:
    """After commit, send events written together (maps.services.note_ops_apply) to the map's
    group as one message: one channel-layer send however many they are."""
    messages = [event_message(event, actor_username=event.actor.username) for event in events]
    transaction.on_commit(lambda: broadcast_events(map_id, messages), robust=True)


def broadcast_events(map_id: int, messages: list[dict]) -> None:
    if len(messages) == 1:
        broadcast_event(map_id, messages[0])
        return
    send_to_group(map_group(map_id), {"type": "map.events", "events": messages})


def send_to_group(group: str, message: dict) -> None:
    # Round-trip through JSON so that a payload which could not travel fails here, in tests too.
    message = json.loads(json.dumps(message, cls=DjangoJSONEncoder))
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(group, message)


def broadcast_event(map_id: int, message: dict) -> None:
    send_to_group(map_group(map_id), {"type": "map.event", "event": message})


def membership_changed_on_commit(*, workspace_id: int, user_id: int) -> None:
    """Tell the user's open sockets on the workspace's maps to check their access again (e.g.
    after removal): the feeds of those maps (maps/feeds.py) hand it to the user's sockets."""
    message = {"type": "membership.changed", "workspace_id": workspace_id, "user_id": user_id}
    transaction.on_commit(
        lambda: send_to_group(workspace_group(workspace_id), message), robust=True
    )
