"""Who may see which note, while a map is drafting: the one place that decides it.

While a map's phase is `drafting`, a member who is not a lead sees only the notes whose team is
their own membership team; a lead sees every note. When the phase is `open`, everyone sees
everything. Every path that shows notes goes through here: the map and its notes over HTTP, the
board page, the event log (HTTP, websocket live and resume), review, export, evidence pages,
research requests, and every request or op on one note (`maps.selectors.note_for_user`).

An event about a note the viewer may not see reaches them as a placeholder that keeps `seq`
gap-free and carries nothing else: `{"type": "event", "seq", "kind": "hidden", "at"}`. An event
is about a note when its payload carries `note` (note and link events; new kinds of event about
a note must carry it too, whole, with its `team`); the note's team in that payload decides, and
a `note` without a team counts as hidden. Live events are judged under the phase in effect at
that point of the log, which a `map.updated` event carrying `map.phase` changes for the events
after it; the stored log replayed to a reader (the events API, a websocket `resume`) is judged
by what they may see now, so a note hidden now is hidden in its past too.

One exception: a lead moving a note out of the viewer's team while drafting. The viewer had the
note and must lose it, so they get `{"type", "seq", "kind": "note.hidden", "at", "note": {"id"}}`:
only the id of a note they already held, so their board drops it (README, "Workshop").
"""

from dataclasses import dataclass, replace

from django.db.models import Exists, OuterRef, Q

from maps.models import EventKind, Membership, Phase, Role, Team

HIDDEN_KIND = "hidden"
WITHDRAWN_KIND = "note.hidden"
# The payload key a note update carries when it changed the note's team: the team before.
TEAM_BEFORE = "team_before"


@dataclass(frozen=True)
class Viewer:
    """What decides what one member sees of one map: a pure value, cheap to copy per event."""

    sees_all: bool
    team: str
    phase: str = Phase.OPEN

    @property
    def drafting(self) -> bool:
        return self.phase == Phase.DRAFTING and not self.sees_all


def viewer_for(*, role: str, team: str | None, phase: str) -> Viewer:
    return Viewer(
        sees_all=Role(role).includes(Role.LEAD), team=team or Team.OTHER, phase=phase or Phase.OPEN
    )


def viewer_of_map(empathy_map) -> Viewer:
    """The caller's viewer for a map from `map_for_user` (which sets `role` and `team`)."""
    return viewer_for(
        role=empathy_map.role, team=getattr(empathy_map, "team", None), phase=empathy_map.phase
    )


def may_see(viewer: Viewer, note_team: str | None) -> bool:
    return not viewer.drafting or note_team == viewer.team


# Notes ----------------------------------------------------------------------------------------


def visible_notes(viewer: Viewer, notes: list[dict]) -> list[dict]:
    if not viewer.drafting:
        return notes
    return [note for note in notes if note["team"] == viewer.team]


def hidden_counts(viewer: Viewer, notes: list[dict]) -> dict[str, int]:
    """Live notes the viewer may not see, per team: how much each team has drafted so far."""
    counts: dict[str, int] = {}
    if not viewer.drafting:
        return counts
    for note in notes:
        if note["team"] != viewer.team and not note.get("deleted"):
            counts[note["team"]] = counts.get(note["team"], 0) + 1
    return counts


def visible_notes_q(user, *, prefix: str = "") -> Q:
    """The notes `user` may see now, as a filter on a Note queryset (or `prefix` + note fields),
    for lists across maps and workspaces. Membership itself is checked by the caller."""
    memberships = Membership.objects.filter(
        workspace_id=OuterRef(f"{prefix}map__workspace_id"), user_id=user.pk
    )
    return (
        Q(**{f"{prefix}map__phase": Phase.OPEN})
        | Exists(memberships.filter(role=Role.LEAD))
        | Exists(memberships.filter(team=OuterRef(f"{prefix}team")))
    )


# Events ---------------------------------------------------------------------------------------


def placeholder(message: dict) -> dict:
    return {"type": "event", "seq": message["seq"], "kind": HIDDEN_KIND, "at": message["at"]}


def event_for_viewer(message: dict, viewer: Viewer) -> dict:
    """The event message as this viewer may receive it: the message itself (not a copy), a
    `hidden` placeholder, or, for a note moved out of their team, its withdrawal."""
    if not viewer.drafting or "note" not in message:
        return message
    note = message["note"]
    # Fail closed: an event naming a note without its team (say, only its id) is hidden.
    if isinstance(note, dict) and note.get("team") == viewer.team:
        return message
    if message.get(TEAM_BEFORE) == viewer.team:
        return {
            "type": "event",
            "seq": message["seq"],
            "kind": WITHDRAWN_KIND,
            "at": message["at"],
            "note": {"id": note["id"]},
        }
    return placeholder(message)


def viewer_after(message: dict, viewer: Viewer) -> Viewer:
    """The viewer for the events after this one: a `map.updated` may have changed the phase."""
    phase = phase_in(message)
    if phase is None or phase == viewer.phase:
        return viewer
    return replace(viewer, phase=phase)


def phase_in(message: dict) -> str | None:
    if message.get("kind") != EventKind.MAP_UPDATED:
        return None
    empathy_map = message.get("map")
    if not isinstance(empathy_map, dict):
        return None
    return empathy_map.get("phase", Phase.OPEN)


def events_for_viewer(messages: list[dict], viewer: Viewer) -> tuple[list[dict], Viewer]:
    """A run of consecutive events as the viewer may receive them, and the viewer after them."""
    shown = []
    for message in messages:
        shown.append(event_for_viewer(message, viewer))
        viewer = viewer_after(message, viewer)
    return shown, viewer
