import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from maps.models import EmpathyMap, Membership, Workspace
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_user_logs_in_and_sees_their_workspaces_and_maps(client, alice, empathy_map, mallory):
    response = client.post("/accounts/login/", {"username": "alice", "password": "password"})
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert "Acme Research" in page
    assert "Finance leads" in page
    assert "Elsewhere" not in page


def test_home_needs_a_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_user_creates_a_workspace_and_a_map_from_the_home_page(client, db):
    user = UserFactory(username="nina")
    client.force_login(user)
    client.post("/", {"ws-name": "Team Nina"})
    workspace = Workspace.objects.get(name="Team Nina")
    assert Membership.objects.get(workspace=workspace, user=user).role == "lead"
    response = client.post(
        "/",
        {
            "map-workspace": workspace.slug,
            "map-title": "Buyers",
            "map-persona": "",
            "map-layout": "classic",
        },
    )
    empathy_map = EmpathyMap.objects.get(title="Buyers")
    assert response["Location"] == f"/maps/{empathy_map.pk}/"
    assert empathy_map.layout == "classic"


def test_user_text_is_escaped_on_pages(client, alice, workspace):
    from tests.factories import MapFactory

    MapFactory(workspace=workspace, title="<script>alert(1)</script>")
    client.force_login(alice)
    page = client.get("/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_sign_up_is_open_under_debug_or_allow_signup(client, settings):
    settings.ALLOW_SIGNUP = True
    response = client.post(
        "/accounts/signup/",
        {
            "username": "newcomer",
            "password1": "a-strong-pass-123",
            "password2": "a-strong-pass-123",
        },
    )
    assert response.status_code == 302
    assert get_user_model().objects.filter(username="newcomer").exists()


def test_sign_up_is_closed_otherwise(client, settings):
    settings.ALLOW_SIGNUP = False
    assert client.get("/accounts/signup/").status_code == 404


def test_a_lead_adds_a_member_and_sets_roles(client, alice, workspace):
    UserFactory(username="newbie")
    client.force_login(alice)
    client.post("/w/acme/members/", {"action": "add", "username": "newbie", "role": "viewer"})
    assert Membership.objects.get(workspace=workspace, user__username="newbie").role == "viewer"
    client.post("/w/acme/members/", {"action": "role", "username": "newbie", "role": "researcher"})
    assert Membership.objects.get(workspace=workspace, user__username="newbie").role == "researcher"
    client.post("/w/acme/members/", {"action": "remove", "username": "newbie"})
    assert not Membership.objects.filter(workspace=workspace, user__username="newbie").exists()


def test_adding_an_unknown_user_shows_a_readable_error(client, alice):
    client.force_login(alice)
    page = client.post(
        "/w/acme/members/", {"action": "add", "username": "ghost", "role": "viewer"}
    ).content.decode()
    assert "No user is called" in page


def test_a_non_lead_cannot_change_members(client, bob, vera, workspace):
    client.force_login(bob)
    response = client.post(
        "/w/acme/members/", {"action": "role", "username": "vera", "role": "lead"}
    )
    assert response.status_code == 403
    assert Membership.objects.get(workspace=workspace, user=vera).role == "viewer"


def test_a_lead_renames_a_workspace_from_its_page(client, alice, workspace):
    client.force_login(alice)
    response = client.post("/w/acme/members/", {"action": "rename", "rename-name": "Acme Inc"})
    assert response.status_code == 302
    assert Workspace.objects.get(pk=workspace.pk).name == "Acme Inc"
    page = client.post(
        "/w/acme/members/", {"action": "rename", "rename-name": "   "}
    ).content.decode()
    assert "This field is required." in page
    assert Workspace.objects.get(pk=workspace.pk).name == "Acme Inc"


def test_an_archived_workspace_is_listed_apart_and_read_only(client, alice, bob, empathy_map):
    client.force_login(alice)
    response = client.post("/w/acme/members/", {"action": "archive"}, follow=True)
    assert "“Acme Research” archived: it is read-only now." in response.content.decode()
    home = client.get("/").content.decode()
    assert "Archived workspaces" in home and "No active workspaces" in home
    assert 'href="/w/acme/members/">Members and restore' in home
    assert '<option value="acme"' not in home  # no new maps in it
    board = client.get(f"/maps/{empathy_map.pk}/").content.decode()
    assert "The workspace “Acme Research” is archived: this map is read-only." in board
    assert '"can_edit": false' in board

    client.force_login(bob)
    assert '"can_edit": false' in client.get(f"/maps/{empathy_map.pk}/").content.decode()
    assert client.post("/w/acme/members/", {"action": "unarchive"}).status_code == 403

    client.force_login(alice)
    client.post("/w/acme/members/", {"action": "unarchive"})
    assert not Workspace.objects.get(slug="acme").archived
    assert "Archived workspaces" not in client.get("/").content.decode()


def test_outsiders_get_404_on_members_page(client, mallory, workspace):
    client.force_login(mallory)
    assert client.get("/w/acme/members/").status_code == 404


def test_the_token_endpoint_returns_a_token_that_lists_maps(client, alice, empathy_map):
    response = client.post(
        "/api/v1/auth/token/",
        {"username": "alice", "password": "password"},
        content_type="application/json",
    )
    assert response.status_code == 200
    token = response.json()["token"]
    assert Token.objects.get(user=alice).key == token
    maps = client.get("/api/v1/maps/", HTTP_AUTHORIZATION=f"Token {token}").json()
    assert [m["title"] for m in maps] == ["Finance leads"]


def test_a_wrong_password_gets_400(client, alice):
    response = client.post(
        "/api/v1/auth/token/",
        {"username": "alice", "password": "nope"},
        content_type="application/json",
    )
    assert response.status_code == 400


def test_workspaces_of_one_name_are_told_apart_by_their_address(client, alice, workspace):
    client.force_login(alice)
    client.post("/", {"ws-name": "Acme Research"})
    home = client.get("/").content.decode()
    assert '<span class="workspace-slug">/w/acme</span>' in home
    assert '<span class="workspace-slug">/w/acme-research</span>' in home
    assert '<option value="acme-research">Acme Research (acme-research)</option>' in home
