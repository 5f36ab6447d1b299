"""maps/visibility.py's pure parts: which event a viewer receives, and how the phase moves."""

from hypothesis import given
from hypothesis import strategies as st

from maps.models import Team
from maps.visibility import Viewer, event_for_viewer, events_for_viewer, viewer_after

TEAMS = st.sampled_from(Team.values)
TEXT = st.text(min_size=1, max_size=40)


def note_event(seq: int, team: str, text: str, **extra) -> dict:
    return {
        "type": "event",
        "seq": seq,
        "kind": "note.created",
        "actor": "rita",
        "op_id": "op-1",
        "at": "2026-12-06T00:00:00Z",
        "note": {"id": 7, "team": team, "text": text, "section": "says", "author": "rita"},
        **extra,
    }


def phase_event(seq: int, phase: str) -> dict:
    return {
        "type": "event",
        "seq": seq,
        "kind": "map.updated",
        "actor": "alice",
        "op_id": None,
        "at": "2026-12-06T00:00:00Z",
        "map": {"id": 1, "phase": phase},
    }


@given(mine=TEAMS, theirs=TEAMS, text=TEXT)
def test_a_drafting_member_gets_another_teams_event_as_a_bare_placeholder(mine, theirs, text):
    viewer = Viewer(sees_all=False, team=mine, phase="drafting")
    message = note_event(5, theirs, text)
    shown = event_for_viewer(message, viewer)
    if theirs == mine:
        assert shown is message
    else:
        assert shown == {"type": "event", "seq": 5, "kind": "hidden", "at": message["at"]}


@given(team=TEAMS, theirs=TEAMS, phase=st.sampled_from(["open", "drafting"]), text=TEXT)
def test_a_lead_and_everyone_on_an_open_map_get_the_event_itself(team, theirs, phase, text):
    message = note_event(3, theirs, text)
    assert event_for_viewer(message, Viewer(sees_all=True, team=team, phase=phase)) is message
    assert event_for_viewer(message, Viewer(sees_all=False, team=team)) is message


def test_a_note_moved_out_of_the_viewers_team_is_withdrawn_by_id_only():
    viewer = Viewer(sees_all=False, team="product", phase="drafting")
    message = note_event(9, "design", "secret", team_before="product")
    assert event_for_viewer(message, viewer) == {
        "type": "event",
        "seq": 9,
        "kind": "note.hidden",
        "at": message["at"],
        "note": {"id": 7},
    }
    other = Viewer(sees_all=False, team="sales", phase="drafting")
    assert event_for_viewer(message, other)["kind"] == "hidden"


def test_map_events_are_never_hidden_and_move_the_phase():
    viewer = Viewer(sees_all=False, team="product")
    drafting = phase_event(2, "drafting")
    assert event_for_viewer(drafting, viewer) is drafting
    viewer = viewer_after(drafting, viewer)
    assert viewer.phase == "drafting"
    assert viewer_after(note_event(3, "design", "x"), viewer) is viewer
    assert viewer_after(phase_event(4, "open"), viewer).phase == "open"


def test_a_run_of_events_is_judged_under_the_phase_at_each_point():
    events = [
        note_event(1, "design", "before"),
        phase_event(2, "drafting"),
        note_event(3, "design", "during"),
        phase_event(4, "open"),
        note_event(5, "design", "after"),
    ]
    shown, viewer = events_for_viewer(events, Viewer(sees_all=False, team="product"))
    assert [event["kind"] for event in shown] == [
        "note.created",
        "map.updated",
        "hidden",
        "map.updated",
        "note.created",
    ]
    assert "during" not in repr(shown)
    assert viewer.phase == "open"


def test_an_event_naming_a_note_without_its_team_is_hidden_while_drafting():
    viewer = Viewer(sees_all=False, team="product", phase="drafting")
    message = {**note_event(4, "product", "x"), "note": 7, "comment": {"text": "secret"}}
    assert event_for_viewer(message, viewer)["kind"] == "hidden"
