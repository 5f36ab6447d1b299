"""Maps that travel: export then import gives an equal map; duplicate; new map from template."""

import datetime
import io
import json

import pytest
from django.test import Client

from maps.models import EmpathyMap, MapEvent, Role
from maps.persona_picture import persona_picture_set
from research.models import Evidence
from research.status import today
from tests.conftest import member
from tests.factories import (
    EvidenceFactory,
    MembershipFactory,
    SegmentFactory,
    SourceFactory,
    WorkspaceFactory,
)
from tests.picture_files import png

pytestmark = pytest.mark.django_db

MAP_VOLATILE = {"id", "workspace", "seq", "created_at", "updated_at", "last_review"}
NOTE_VOLATILE = {"id", "map", "created_at", "updated_at"}
LINK_VOLATILE = {"id", "note", "created_at"}
EVIDENCE_VOLATILE = {"id", "workspace", "source", "segment", "created_at"}


def without(data: dict, keys: set) -> dict:
    return {key: value for key, value in data.items() if key not in keys}


def comparable(export: dict) -> dict:
    """The export with ids, workspaces and timestamps aside."""
    return {
        "map": without(export["map"], MAP_VOLATILE),
        "notes": [
            {
                **without(note, NOTE_VOLATILE | {"links"}),
                "links": [
                    {
                        **without(link, LINK_VOLATILE | {"evidence"}),
                        "evidence": without(link["evidence"], EVIDENCE_VOLATILE),
                    }
                    for link in note["links"]
                ],
            }
            for note in export["notes"]
        ],
    }


@pytest.fixture
def full_map(api, team, empathy_map):
    """A map with notes in several sections and teams, a review, and stale, contested and
    supported notes backed by evidence from segments and sources of different kinds."""
    alice, bob, rita = team["alice"], team["bob"], team["rita"]
    api(alice).patch(
        f"/api/v1/maps/{empathy_map.pk}/",
        {"freshness_days": 120, "shelf_life": {"usage_data": 30}, "persona": "Priya"},
        format="json",
    )
    segment = SegmentFactory(workspace=empathy_map.workspace, name="Agencies")
    interview = SourceFactory(workspace=empathy_map.workspace, kind="interview", title="Priya")
    usage = SourceFactory(workspace=empathy_map.workspace, kind="usage_data", title="Dashboard")

    def item(source, age, **fields):
        return EvidenceFactory(
            source=source, collected_on=today() - datetime.timedelta(days=age), **fields
        )

    fresh = item(interview, 10, segment=segment, participant="Priya", locator="00:01")
    old = item(interview, 200)
    usage_month = item(usage, 40)
    base = f"/api/v1/maps/{empathy_map.pk}/notes/"
    specs = [
        ("says", "Closes the books on day five", "research", "yellow", [(fresh, "supports")]),
        ("pains", "Hates copying numbers", "support", "orange", [(old, "supports")]),
        ("does", "Opens the dashboard daily", "product", "blue", [(usage_month, "supports")]),
        ("thinks", "Wants consolidation", "sales", "pink", [(fresh, "contradicts")]),
        ("feels", "Anxious at month end", "design", "yellow", []),
    ]
    for section, text, team_name, color, links in specs:
        note = (
            api(bob)
            .post(base, {"section": section, "text": text, "team": team_name, "color": color})
            .data
        )
        for evidence, stance in links:
            api(rita).post(
                f"/api/v1/notes/{note['id']}/links/",
                {"evidence": evidence.pk, "stance": stance, "comment": "seen in research"},
                format="json",
            )
    first = api(bob).get(base).data[0]
    api(alice).post(
        f"/api/v1/notes/{first['id']}/review/",
        {"state": "validated", "comment": "Checked"},
        format="json",
    )
    return empathy_map


def export_of(api, user, map_id) -> dict:
    response = api(user).get(f"/api/v1/maps/{map_id}/export/?format=json")
    assert response.status_code == 200
    return json.loads(response.content)


def upload(api, user, data, workspace="acme"):
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    file = io.BytesIO(body)
    file.name = "map.json"
    return api(user).post(
        "/api/v1/maps/import/", {"file": file, "workspace": workspace}, format="multipart"
    )


def test_export_then_import_gives_an_equal_map_in_the_same_workspace(api, team, full_map):
    rita = team["rita"]
    exported = export_of(api, rita, full_map.pk)
    evidence_before = Evidence.objects.count()

    response = upload(api, rita, exported)

    assert response.status_code == 201, response.data
    assert response.data["id"] != full_map.pk
    assert comparable(export_of(api, rita, response.data["id"])) == comparable(exported)
    assert Evidence.objects.count() == evidence_before  # the same items, linked again
    statuses = sorted(note["status"] for note in response.data["notes"])
    assert statuses == ["assumption", "contested", "stale", "stale", "supported"]


def test_export_then_import_gives_an_equal_map_in_another_workspace(api, team, full_map):
    alice = team["alice"]
    other = WorkspaceFactory(name="Elsewhere Inc", slug="elsewhere-inc")
    # The same people work there: authors, reviewers and linkers are kept (only members are).
    for name, role in [("alice", Role.LEAD), ("bob", Role.EDITOR), ("rita", Role.RESEARCHER)]:
        MembershipFactory(workspace=other, user=team[name], role=role)
    exported = export_of(api, alice, full_map.pk)

    response = upload(api, alice, exported, workspace="elsewhere-inc")

    assert response.status_code == 201, response.data
    imported = export_of(api, alice, response.data["id"])
    assert comparable(imported) == comparable(exported)
    assert imported["map"]["workspace"] == "elsewhere-inc"
    items = Evidence.objects.filter(workspace=other)
    assert items.count() == 3  # copied once each, with their sources and segment
    assert {item.source.title for item in items} == {"Priya", "Dashboard"}
    assert all(item.embedding for item in items)


def test_authors_who_are_not_members_there_become_the_importer(api, team, full_map):
    alice = team["alice"]
    other = WorkspaceFactory(slug="solo")
    MembershipFactory(workspace=other, user=alice, role=Role.LEAD)
    response = upload(api, alice, export_of(api, alice, full_map.pk), workspace="solo")
    assert {note["author"] for note in response.data["notes"]} == {"alice"}


def test_a_second_import_makes_a_second_map(api, team, full_map):
    rita = team["rita"]
    exported = export_of(api, rita, full_map.pk)
    first = upload(api, rita, exported).data
    second = upload(api, rita, exported).data
    assert first["id"] != second["id"]
    assert EmpathyMap.objects.filter(title=full_map.title).count() == 3
    assert len(second["notes"]) == 5


def test_an_imported_map_has_a_history(api, team, full_map):
    rita = team["rita"]
    created = upload(api, rita, export_of(api, rita, full_map.pk)).data
    kinds = set(MapEvent.objects.filter(map_id=created["id"]).values_list("kind", flat=True))
    assert kinds == {"link.created", "note.created"}
    as_of = api(rita).get(f"/api/v1/maps/{created['id']}/?as_of={created['seq']}").data
    assert as_of["notes"] == created["notes"]


@pytest.mark.parametrize(
    "body",
    [
        b"not json at all",
        b"[1, 2]",
        json.dumps({"map": {"title": "x", "layout": "classic"}}).encode(),
        json.dumps(
            {"map": {"title": "x", "layout": "classic"}, "notes": [{"section": "pains"}]}
        ).encode(),
    ],
)
def test_a_file_that_is_not_an_export_is_a_400(api, team, body):
    response = upload(api, team["rita"], body)
    assert response.status_code == 400
    assert "file" in response.data


def test_an_import_is_all_or_nothing(api, team, full_map):
    rita = team["rita"]
    exported = export_of(api, rita, full_map.pk)
    exported["notes"][-1]["text"] = "   "
    maps_before, events_before = EmpathyMap.objects.count(), MapEvent.objects.count()

    response = upload(api, rita, exported)

    assert response.status_code == 400
    assert (EmpathyMap.objects.count(), MapEvent.objects.count()) == (maps_before, events_before)


def test_importing_needs_a_researcher(api, team, full_map):
    exported = export_of(api, team["vera"], full_map.pk)
    assert upload(api, team["bob"], exported).status_code == 403
    assert upload(api, team["mallory"], exported).status_code == 404


def test_duplicate_with_and_without_notes(api, team, full_map):
    rita = team["rita"]
    url = f"/api/v1/maps/{full_map.pk}/duplicate/"

    copy = api(rita).post(url, {}, format="json")
    empty = api(rita).post(url, {"title": "Blank copy", "notes": False}, format="json")

    assert copy.status_code == 201 and empty.status_code == 201
    assert copy.data["title"] == f"{full_map.title} (copy)"
    assert (
        comparable(export_of(api, rita, copy.data["id"]))["notes"]
        == comparable(export_of(api, rita, full_map.pk))["notes"]
    )
    assert empty.data["title"] == "Blank copy"
    assert empty.data["notes"] == []
    assert empty.data["freshness_days"] == 120
    assert empty.data["shelf_life"] == {"usage_data": 30}
    # The new map as GET gives it (the schema's MapDetail), every key present.
    assert set(copy.data) == set(api(rita).get(f"/api/v1/maps/{copy.data['id']}/").data)


def test_a_duplicate_keeps_the_persona_picture(api, team, full_map):
    picture = png(rgb=(20, 120, 200))
    persona_picture_set(actor=team["alice"], map_id=full_map.pk, data=picture)

    copy = api(team["rita"]).post(f"/api/v1/maps/{full_map.pk}/duplicate/", {}, format="json")

    assert copy.status_code == 201
    url = copy.data["persona_picture"]
    assert url.startswith(f"/maps/{copy.data['id']}/persona-picture/")
    client = Client()
    client.force_login(team["vera"])
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content if response.streaming else [response.content]) == (
        picture
    )


def test_duplicate_into_another_workspace_needs_a_researcher_there(api, team, full_map):
    rita = team["rita"]
    other = WorkspaceFactory(slug="other-ws")
    MembershipFactory(workspace=other, user=rita, role=Role.EDITOR)
    url = f"/api/v1/maps/{full_map.pk}/duplicate/"
    assert api(rita).post(url, {"workspace": "other-ws"}, format="json").status_code == 403
    assert api(team["bob"]).post(url, {}, format="json").status_code == 403
    assert api(team["mallory"]).post(url, {}, format="json").status_code == 404


def test_a_new_map_from_a_template_on_the_home_page(team, full_map):
    bob = team["bob"]
    client = Client()
    client.force_login(bob)
    page = client.get("/").content.decode()
    assert f'<option value="{full_map.pk}">' in page

    response = client.post(
        "/",
        {
            "map-workspace": "acme",
            "map-title": "Next quarter",
            "map-layout": "classic",
            "map-template": str(full_map.pk),
        },
    )

    created = EmpathyMap.objects.get(title="Next quarter")
    assert response.status_code == 302
    assert (created.layout, created.freshness_days, created.persona) == (
        full_map.layout,
        120,
        "Priya",
    )
    assert created.notes.count() == 0


def test_a_template_from_another_workspace_is_not_offered(team, full_map):
    outsider = member(WorkspaceFactory(slug="far"), "olga", Role.EDITOR)
    client = Client()
    client.force_login(outsider)
    assert f'<option value="{full_map.pk}">' not in client.get("/").content.decode()


def test_the_home_page_imports_an_export(api, team, full_map):
    rita = team["rita"]
    client = Client()
    client.force_login(rita)
    assert "Import a map" in client.get("/").content.decode()
    file = io.BytesIO(json.dumps(export_of(api, rita, full_map.pk)).encode())
    file.name = "map.json"

    response = client.post("/maps/import/", {"file": file, "workspace": "acme"})

    imported = EmpathyMap.objects.exclude(pk=full_map.pk).get()
    assert response.status_code == 302 and response["Location"] == f"/maps/{imported.pk}/"
    assert imported.notes.count() == 5


def test_the_board_menu_duplicates_for_researchers(team, full_map):
    client = Client()
    client.force_login(team["rita"])
    assert "Duplicate map" in client.get(f"/maps/{full_map.pk}/").content.decode()
    response = client.post(f"/maps/{full_map.pk}/duplicate/")
    copy = EmpathyMap.objects.get(title=f"{full_map.title} (copy)")
    assert response["Location"] == f"/maps/{copy.pk}/"
    viewer = Client()
    viewer.force_login(team["vera"])
    assert "Duplicate map" not in viewer.get(f"/maps/{full_map.pk}/").content.decode()


def test_the_duplicate_page_asks_for_a_title_a_workspace_and_whether_to_copy_notes(team, full_map):
    client = Client()
    client.force_login(team["rita"])
    page = client.get(f"/maps/{full_map.pk}/duplicate/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'value="{full_map.title} (copy)"' in html
    assert "The layout only, no notes" in html
    assert EmpathyMap.objects.count() == 1  # opening the page copies nothing

    response = client.post(
        f"/maps/{full_map.pk}/duplicate/",
        {"title": "Q3 starting point", "workspace": "acme", "notes": "0"},
    )

    copy = EmpathyMap.objects.get(title="Q3 starting point")
    assert response["Location"] == f"/maps/{copy.pk}/"
    assert copy.notes.count() == 0 and copy.layout == full_map.layout


def test_the_duplicate_page_says_what_was_wrong_and_copies_nothing(team, full_map):
    client = Client()
    client.force_login(team["rita"])

    response = client.post(
        f"/maps/{full_map.pk}/duplicate/", {"title": "x" * 201, "workspace": "elsewhere"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Ensure this value has at most 200 characters" in html
    assert "Select a valid choice" in html
    assert EmpathyMap.objects.count() == 1
    viewer = Client()
    viewer.force_login(team["mallory"])
    assert viewer.get(f"/maps/{full_map.pk}/duplicate/").status_code == 404
    reader = Client()
    reader.force_login(team["vera"])  # a viewer of this map, a researcher nowhere
    assert reader.get(f"/maps/{full_map.pk}/duplicate/").status_code == 403
