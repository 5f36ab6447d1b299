"""The demo seed: idempotent, and a map that shows every status, section and source kind."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.http import HttpRequest

from maps.models import EmpathyMap, MapEvent, Membership, Note, Role
from maps.selectors import map_notes
from research.models import Evidence, EvidenceLink, Source, SourceKind
from research.status import STATUSES


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "notes": Note.objects.count(),
        "events": MapEvent.objects.count(),
        "evidence": Evidence.objects.count(),
        "sources": Source.objects.count(),
        "links": EvidenceLink.objects.count(),
        "memberships": Membership.objects.count(),
        "maps": EmpathyMap.objects.count(),
    }


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True


@pytest.mark.django_db
def test_seed_is_idempotent_and_covers_every_status(client, debug_on):
    first_output = seed()
    first = counts()
    second_output = seed()
    assert counts() == first
    assert "created" in first_output
    assert "left alone" in second_output

    assert client.login(request=HttpRequest(), username="demo", password="demo")

    empathy_map = EmpathyMap.objects.get(workspace__slug="demo")
    assert empathy_map.workspace.name == "Ledgerly Product"
    assert empathy_map.layout == "extended"
    roles = dict(
        Membership.objects.filter(workspace=empathy_map.workspace).values_list(
            "user__username", "role"
        )
    )
    assert roles["demo"] == Role.LEAD
    assert len(roles) >= 4

    notes = map_notes(empathy_map=empathy_map)
    assert 20 <= len(notes) <= 40
    assert {note["section"] for note in notes} == set(empathy_map.sections)
    assert len(empathy_map.sections) == 9
    assert len({note["team"] for note in notes}) >= 6
    assert {note["status"] for note in notes} == set(STATUSES)
    supported = [note for note in notes if note["status"] == "supported"]
    assert any(note["narrow"] for note in supported)
    assert any(not note["narrow"] for note in supported)
    assert sum(note["status"] == "stale" for note in notes) >= 2
    assert sum(note["status"] == "contested" for note in notes) >= 2

    reviews = {note["review"]["state"] for note in notes}
    assert {"validated", "needs_research", "dismissed"} <= reviews
    needs_research = next(n for n in notes if n["review"]["state"] == "needs_research")
    assert needs_research["research"]["assignee"] == "maya"
    assert needs_research["research"]["due"]

    evidence = Evidence.objects.filter(workspace=empathy_map.workspace)
    assert set(evidence.values_list("source__kind", flat=True)) == set(SourceKind.values)
    used = {item.segment_id or item.source.segment_id for item in evidence.select_related("source")}
    assert len(used - {None}) >= 3
    # The map's seq matches its event log: every write went through the services.
    assert empathy_map.seq == MapEvent.objects.filter(map=empathy_map).count()


@pytest.mark.django_db
def test_seed_refuses_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo", stdout=StringIO())
    assert not EmpathyMap.objects.exists()
