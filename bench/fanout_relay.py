"""The floor for bench/fanout.py: a bare relay speaking the board's protocol, no database.

A websocket server (the `websockets` library, one process) that welcomes every socket on
`/ws/maps/{id}/` with the map's seq, and answers an op by giving it the next seq, sending the
event, serialized once, to every socket of the map, then acking the sender. Nothing is stored,
nothing is checked: whatever empathymap spends beyond this is the price of its guarantees.

    python bench/fanout_relay.py PORT
"""

import asyncio
import itertools
import json
import sys
from datetime import UTC, datetime

from websockets.asyncio.server import broadcast, serve

maps: dict[int, set] = {}
seqs: dict[int, int] = {}
versions: dict[int, int] = {}


def note_for(map_id: int, data: dict) -> dict:
    """A note shaped like empathymap's, so that messages are about the same size."""
    note_id = data.get("id", 0)
    versions[note_id] = versions.get(note_id, 1) + 1
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    return {
        "id": note_id,
        "map": map_id,
        "section": "says",
        "text": data.get("text", ""),
        "team": "product",
        "color": "yellow",
        "position": 0.0,
        "version": versions[note_id],
        "status": "assumption",
        "narrow": False,
        "fresh_until": None,
        "evidence": {"supports": 0, "contradicts": 0},
        "review": {"state": "open", "by": None, "at": None, "comment": ""},
        "research": {"assignee": None, "due": None},
        "author": None,
        "deleted": False,
        "created_at": now,
        "updated_at": now,
    }


async def handle(websocket) -> None:
    parts = websocket.request.path.strip("/").split("/")
    map_id = int(parts[2])
    sockets = maps.setdefault(map_id, set())
    sockets.add(websocket)
    user = {"username": f"user{next(numbers)}", "name": "", "role": "viewer"}
    try:
        await websocket.send(
            json.dumps(
                {"type": "welcome", "seq": seqs.get(map_id, 0), "user": user, "presence": [user]}
            )
        )
        async for raw in websocket:
            message = json.loads(raw)
            if message.get("type") != "op":
                continue
            seq = seqs[map_id] = seqs.get(map_id, 0) + 1
            note = note_for(map_id, message.get("data") or {})
            event = {
                "type": "event",
                "seq": seq,
                "kind": "note.updated",
                "actor": user["username"],
                "op_id": message.get("op_id"),
                "at": note["updated_at"],
                "note": note,
            }
            broadcast(sockets, json.dumps(event))
            ack = {"type": "ack", "op_id": message.get("op_id"), "seq": seq, "note": note}
            await websocket.send(json.dumps(ack))
    except Exception:  # noqa: S110 - a dropped client is no concern of the floor
        pass
    finally:
        sockets.discard(websocket)


numbers = itertools.count(1)


async def main(port: int) -> None:
    async with serve(handle, "127.0.0.1", port, max_queue=None, open_timeout=30):
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
