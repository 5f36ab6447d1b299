"""Renaming and archiving a workspace: archived means read-only, everything in it."""

import io

import pytest

from maps.models import MapEvent, Workspace
from research.models import Evidence, Source
from tests.factories import EvidenceFactory, NoteFactory, SourceFactory

pytestmark = pytest.mark.django_db


def patch(api, user, body):
    return api(user).patch("/api/v1/workspaces/acme/", body, format="json")


def test_a_lead_renames_a_workspace_and_its_slug_stays(api, alice, vera, workspace):
    response = patch(api, alice, {"name": "  Acme Inc  "})
    assert response.status_code == 200
    assert response.data == {
        "id": workspace.pk,
        "slug": "acme",
        "name": "Acme Inc",
        "role": "lead",
        "archived": False,
    }
    assert api(vera).get("/api/v1/workspaces/acme/").data["name"] == "Acme Inc"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "   "}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"archived": "maybe"}, "archived"),
    ],
)
def test_bad_workspace_changes_name_the_field(api, alice, workspace, body, field):
    response = patch(api, alice, body)
    assert response.status_code == 400
    assert field in response.data
    workspace.refresh_from_db()
    assert (workspace.name, workspace.archived) == ("Acme Research", False)


def test_only_a_lead_changes_a_workspace(api, bob, mallory, workspace):
    assert patch(api, bob, {"name": "Mine now"}).status_code == 403
    assert patch(api, mallory, {"name": "Mine now"}).status_code == 404
    assert Workspace.objects.get(pk=workspace.pk).name == "Acme Research"


@pytest.fixture
def archived(api, alice, workspace):
    response = patch(api, alice, {"archived": True})
    assert response.status_code == 200
    assert response.data["archived"] is True
    return workspace


def refused(response, field="workspace"):
    assert response.status_code == 400, response.data
    assert field in response.data
    return True


def test_an_archived_workspace_refuses_every_change_to_maps_and_notes(
    api, alice, bob, empathy_map, archived
):
    note = NoteFactory(map=empathy_map, section="says")
    empathy_map.refresh_from_db()
    seq = empathy_map.seq  # archiving itself was one map.updated event
    assert seq == 1
    assert refused(
        api(bob).post(
            f"/api/v1/maps/{empathy_map.pk}/notes/",
            {"section": "says", "text": "Hi"},
            format="json",
        )
    )
    assert refused(
        api(bob).patch(f"/api/v1/notes/{note.pk}/", {"text": "x", "version": 1}, format="json")
    )
    assert refused(api(bob).delete(f"/api/v1/notes/{note.pk}/"))
    assert refused(api(alice).post(f"/api/v1/notes/{note.pk}/review/", {"state": "validated"}))
    assert refused(api(alice).post(f"/api/v1/maps/{empathy_map.pk}/review/"))
    assert refused(
        api(alice).patch(f"/api/v1/maps/{empathy_map.pk}/", {"title": "New"}, format="json")
    )
    assert refused(
        api(alice).post("/api/v1/maps/", {"workspace": "acme", "title": "Another"}, format="json")
    )
    assert MapEvent.objects.filter(map=empathy_map).count() == 1
    empathy_map.refresh_from_db()
    assert empathy_map.seq == seq
    # Reading still works.
    assert api(bob).get(f"/api/v1/maps/{empathy_map.pk}/").status_code == 200


def test_an_archived_workspace_refuses_new_evidence(api, rita, empathy_map, archived):
    source = SourceFactory(workspace=archived)
    evidence = EvidenceFactory(source=source)
    note = NoteFactory(map=empathy_map, section="says")
    assert refused(
        api(rita).post(
            "/api/v1/sources/",
            {"workspace": "acme", "kind": "survey", "title": "NPS"},
            format="json",
        )
    )
    assert refused(
        api(rita).post("/api/v1/evidence/", {"source": source.pk, "text": "Hi"}, format="json")
    )
    assert refused(
        api(rita).post(
            f"/api/v1/notes/{note.pk}/links/",
            {"evidence": evidence.pk, "stance": "supports"},
            format="json",
        )
    )
    upload = io.BytesIO(b"id,subject,body,created\n1,Hi,There,2026-01-02\n")
    upload.name = "tickets.csv"
    response = api(rita).post(
        "/api/v1/workspaces/acme/imports/",
        {"file": upload, "format": "support_csv"},
        format="multipart",
    )
    assert refused(response)
    assert Source.objects.count() == 1
    assert Evidence.objects.count() == 1


def test_restoring_a_workspace_opens_it_again(api, alice, bob, empathy_map, archived):
    response = patch(api, alice, {"archived": False})
    assert response.data["archived"] is False
    created = api(bob).post(
        f"/api/v1/maps/{empathy_map.pk}/notes/", {"section": "says", "text": "Hi"}, format="json"
    )
    assert created.status_code == 201


def test_archived_workspaces_stay_listed_with_their_flag(api, vera, archived):
    [listed] = api(vera).get("/api/v1/workspaces/").data
    assert (listed["slug"], listed["archived"]) == ("acme", True)


def test_archiving_tells_every_map_of_the_workspace(
    api, alice, vera, empathy_map, workspace, broadcasts, django_capture_on_commit_callbacks
):
    from tests.factories import MapFactory

    second = MapFactory(workspace=workspace)
    with django_capture_on_commit_callbacks(execute=True):
        patch(api, alice, {"archived": True})
    assert sorted(group for group, _ in broadcasts) == sorted(
        [f"map_{empathy_map.pk}", f"map_{second.pk}"]
    )
    for _group, message in broadcasts:
        event = message["event"]
        assert (event["kind"], event["actor"]) == ("map.updated", "alice")
        assert event["map"]["workspace_archived"] is True
        assert event["map"]["archived"] is False
    detail = api(vera).get(f"/api/v1/maps/{empathy_map.pk}/").data
    assert (detail["workspace_archived"], detail["seq"]) == (True, 1)

    broadcasts.clear()
    with django_capture_on_commit_callbacks(execute=True):
        patch(api, alice, {"name": "Renamed"})  # no map changes
        patch(api, alice, {"archived": True})  # already archived: nothing flips
    assert broadcasts == []
    with django_capture_on_commit_callbacks(execute=True):
        patch(api, alice, {"archived": False})
    assert len(broadcasts) == 2
    assert all(not message["event"]["map"]["workspace_archived"] for _, message in broadcasts)
