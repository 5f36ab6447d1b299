"""The permission matrix: for every endpoint, a non-member gets 404, a member without the role
403, and the right role succeeds."""

import datetime

import pytest

from maps.models import Role
from tests.factories import EvidenceFactory, LinkFactory, NoteFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(team, empathy_map, workspace):
    note = NoteFactory(map=empathy_map, section="says", text="Existing note")
    deleted = NoteFactory(map=empathy_map, section="feels", text="Deleted note")
    deleted.deleted_at = datetime.datetime.now(datetime.UTC)
    deleted.save()
    source = SourceFactory(workspace=workspace)
    evidence = EvidenceFactory(source=source)
    spare_evidence = EvidenceFactory(source=source)
    link = LinkFactory(note=note, evidence=evidence)
    return {
        "map": empathy_map.pk,
        "note": note.pk,
        "deleted": deleted.pk,
        "source": source.pk,
        "evidence": evidence.pk,
        "spare_evidence": spare_evidence.pk,
        "link": link.pk,
    }


# (method, url template, body, role needed, success status)
ENDPOINTS = [
    ("get", "/api/v1/workspaces/acme/", None, Role.VIEWER, 200),
    ("patch", "/api/v1/workspaces/acme/", {"name": "Acme Inc"}, Role.LEAD, 200),
    ("get", "/api/v1/workspaces/acme/members/", None, Role.VIEWER, 200),
    (
        "post",
        "/api/v1/workspaces/acme/members/",
        {"username": "newbie", "role": "viewer"},
        Role.LEAD,
        201,
    ),
    ("patch", "/api/v1/workspaces/acme/members/vera/", {"role": "editor"}, Role.LEAD, 200),
    ("delete", "/api/v1/workspaces/acme/members/vera/", None, Role.LEAD, 204),
    ("get", "/api/v1/maps/{map}/", None, Role.VIEWER, 200),
    ("patch", "/api/v1/maps/{map}/", {"title": "Renamed"}, Role.LEAD, 200),
    ("delete", "/api/v1/maps/{map}/", None, Role.LEAD, 204),
    ("get", "/api/v1/maps/{map}/notes/", None, Role.VIEWER, 200),
    ("post", "/api/v1/maps/{map}/notes/", {"section": "says", "text": "Hi"}, Role.EDITOR, 201),
    ("get", "/api/v1/maps/{map}/events/", None, Role.VIEWER, 200),
    ("get", "/api/v1/maps/{map}/review/", None, Role.VIEWER, 200),
    ("post", "/api/v1/maps/{map}/review/", None, Role.LEAD, 200),
    ("get", "/api/v1/notes/{note}/", None, Role.VIEWER, 200),
    ("patch", "/api/v1/notes/{note}/", {"text": "Edited", "version": 1}, Role.EDITOR, 200),
    ("patch", "/api/v1/notes/{note}/", {"section": "pains"}, Role.EDITOR, 200),
    ("delete", "/api/v1/notes/{note}/", None, Role.EDITOR, 204),
    ("post", "/api/v1/notes/{deleted}/restore/", None, Role.EDITOR, 200),
    ("post", "/api/v1/notes/{note}/review/", {"state": "validated"}, Role.LEAD, 200),
    ("get", "/api/v1/notes/{note}/links/", None, Role.VIEWER, 200),
    (
        "post",
        "/api/v1/notes/{note}/links/",
        {"evidence": "{spare_evidence}", "stance": "supports"},
        Role.RESEARCHER,
        201,
    ),
    ("delete", "/api/v1/links/{link}/", None, Role.RESEARCHER, 204),
    ("get", "/api/v1/sources/{source}/", None, Role.VIEWER, 200),
    ("get", "/api/v1/evidence/{evidence}/", None, Role.VIEWER, 200),
    ("patch", "/api/v1/evidence/{evidence}/", {"text": "Fixed"}, Role.RESEARCHER, 200),
    ("delete", "/api/v1/evidence/{spare_evidence}/", None, Role.RESEARCHER, 204),
    (
        "post",
        "/api/v1/sources/",
        {"workspace": "acme", "kind": "survey", "title": "NPS"},
        Role.RESEARCHER,
        201,
    ),
    (
        "post",
        "/api/v1/segments/",
        {"workspace": "acme", "name": "Freelancers"},
        Role.RESEARCHER,
        201,
    ),
    (
        "post",
        "/api/v1/evidence/",
        {"source": "{source}", "text": "It takes hours"},
        Role.RESEARCHER,
        201,
    ),
    ("post", "/api/v1/maps/", {"workspace": "acme", "title": "New map"}, Role.EDITOR, 201),
]

ROLE_USERS = {Role.VIEWER: "vera", Role.EDITOR: "bob", Role.RESEARCHER: "rita", Role.LEAD: "alice"}


def fill(value, world):
    if isinstance(value, str):
        for key, object_id in world.items():
            if value == "{" + key + "}":
                return object_id
        return value.format(**world)
    if isinstance(value, dict):
        return {key: fill(item, world) for key, item in value.items()}
    return value


def call(api, user, method, url, body):
    return (
        getattr(api(user), method)(url, body, format="json")
        if body is not None
        else getattr(api(user), method)(url)
    )


def endpoint_id(endpoint):
    method, url, _, role, _ = endpoint
    return f"{method.upper()} {url} ({role.value})"


@pytest.fixture
def newbie(db):
    from tests.factories import UserFactory

    return UserFactory(username="newbie")


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=endpoint_id)
def test_a_non_member_gets_404(api, world, team, newbie, endpoint):
    method, url, body, _, _ = endpoint
    response = call(api, team["mallory"], method, fill(url, world), fill(body, world))
    assert response.status_code == 404, response.data


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=endpoint_id)
def test_a_member_without_the_role_gets_403(api, world, team, newbie, endpoint):
    method, url, body, role, _ = endpoint
    lower = [r for r in Role if not r.includes(role)]
    for weaker in lower:
        user = team[ROLE_USERS[weaker]]
        response = call(api, user, method, fill(url, world), fill(body, world))
        assert response.status_code == 403, (weaker, response.data)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=endpoint_id)
def test_the_right_role_succeeds(api, world, team, newbie, endpoint):
    method, url, body, role, success = endpoint
    user = team[ROLE_USERS[role]]
    response = call(api, user, method, fill(url, world), fill(body, world))
    assert response.status_code == success, response.data


def test_anonymous_callers_get_401(client, world):
    response = client.get(f"/api/v1/maps/{world['map']}/")
    assert response.status_code == 401
    assert client.get("/api/v1/workspaces/").status_code == 401
    bad_token = client.get("/api/v1/workspaces/", HTTP_AUTHORIZATION="Token not-a-token")
    assert bad_token.status_code == 401


def test_lists_show_only_the_callers_workspaces(api, world, team):
    assert [w["slug"] for w in api(team["mallory"]).get("/api/v1/workspaces/").data] == [
        "elsewhere"
    ]
    assert api(team["mallory"]).get("/api/v1/maps/").data == []
    assert api(team["mallory"]).get("/api/v1/evidence/").data == []
    assert api(team["mallory"]).get("/api/v1/sources/").data == []
    assert api(team["mallory"]).get("/api/v1/maps/?workspace=acme").data == []
    assert len(api(team["vera"]).get("/api/v1/maps/").data) == 1


def test_evidence_from_another_workspace_cannot_be_linked(api, world, team):
    foreign = EvidenceFactory(
        source=SourceFactory(workspace=team["mallory"].memberships.get().workspace)
    )
    response = api(team["alice"]).post(
        f"/api/v1/notes/{world['note']}/links/",
        {"evidence": foreign.pk, "stance": "supports"},
        format="json",
    )
    assert response.status_code == 400
    assert "evidence" in response.data


def test_the_last_lead_cannot_leave(api, world, team):
    response = api(team["alice"]).delete("/api/v1/workspaces/acme/members/alice/")
    assert response.status_code == 400
    response = api(team["alice"]).patch(
        "/api/v1/workspaces/acme/members/alice/", {"role": "editor"}, format="json"
    )
    assert response.status_code == 400
    api(team["alice"]).patch(
        "/api/v1/workspaces/acme/members/bob/", {"role": "lead"}, format="json"
    )
    assert api(team["alice"]).delete("/api/v1/workspaces/acme/members/alice/").status_code == 204
