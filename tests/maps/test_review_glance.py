"""The review's at-a-glance tiles link to their lists, and each tile's number is the number of
notes in its list: every live note of the status, those a lead dismissed listed apart."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from maps.models import EmpathyMap, ReviewState
from tests.factories import EvidenceFactory, LinkFactory, NoteFactory, SourceFactory

pytestmark = pytest.mark.django_db

LISTS = {"assumption": "assumptions", "contested": "contested", "stale": "stale"}


def glance_tiles(html: str) -> dict[str, tuple[str, int]]:
    """{label: (anchor, number)} of the at-a-glance tiles that link to a list."""
    found = re.findall(
        r'<a class="stat-link" href="#([\w-]+)"><span class="stat-number">(\d+)</span> '
        r'<span class="stat-label">([^<]+)</span>',
        html,
    )
    return {label: (anchor, int(number)) for anchor, number, label in found}


def list_section(html: str, anchor: str) -> str:
    start = html.index(f'<h2 id="{anchor}"')
    return html[start : html.index("</section>", start)]


def listed_notes(section: str) -> int:
    return section.count('<li class="note-row">')


def assert_tiles_match_lists(html: str) -> dict[str, tuple[str, int]]:
    tiles = glance_tiles(html)
    assert set(tiles) == {"Assumption", "Contested", "Stale", "Narrow"}
    for label, (anchor, number) in tiles.items():
        section = list_section(html, anchor)
        assert listed_notes(section) == number, label
        assert f'<span class="section-count">{number}</span>' in section, label
    return tiles


def test_on_the_demo_the_counts_equal_the_lists(client, api, settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    demo = get_user_model().objects.get(username="demo")
    empathy_map = EmpathyMap.objects.get(workspace__slug="demo")

    review = api(demo).get(f"/api/v1/maps/{empathy_map.pk}/review/").data
    assert review["dismissed"], "the demo has a dismissed assumption"
    for status in LISTS:
        queued = [e for e in review["assumption_queue"] if e["reason"] == status]
        dismissed = [e for e in review["dismissed"] if e["reason"] == status]
        assert review["counts"][status] == len(queued) + len(dismissed), status
    assert review["narrow"] == sum(
        1 for e in review["assumption_queue"] + review["dismissed"] if e["note"]["narrow"]
    )

    client.force_login(demo)
    html = client.get(f"/maps/{empathy_map.pk}/review/").content.decode()
    tiles = assert_tiles_match_lists(html)
    for status, anchor in LISTS.items():
        assert tiles[status.capitalize()] == (f"list-{anchor}", review["counts"][status])
    assert tiles["Narrow"][1] == review["narrow"]


def test_a_dismissed_assumption_is_counted_and_listed_apart(client, alice, empathy_map):
    NoteFactory(map=empathy_map, text="Owners want a mobile app")
    NoteFactory(
        map=empathy_map,
        text="Owners print every invoice",
        review_state=ReviewState.DISMISSED,
        reviewed_by=alice,
    )
    supported = NoteFactory(map=empathy_map, text="Owners chase late payers")
    evidence = EvidenceFactory(source=SourceFactory(workspace=empathy_map.workspace))
    LinkFactory(note=supported, evidence=evidence)

    client.force_login(alice)
    html = client.get(f"/maps/{empathy_map.pk}/review/").content.decode()

    tiles = assert_tiles_match_lists(html)
    assert tiles["Assumption"] == ("list-assumptions", 2)
    assumptions = list_section(html, "list-assumptions")
    open_part, dismissed_part = assumptions.split("Dismissed by a lead")
    assert "Owners want a mobile app" in open_part
    assert "Owners print every invoice" in dismissed_part
    assert "1 dismissed, listed last" in html
