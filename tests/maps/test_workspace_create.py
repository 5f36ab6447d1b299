"""Creating a workspace: a slug derived from the name is made unique quietly; a slug the
caller chose is refused when it is invalid or taken."""

import pytest
from django.core.exceptions import ValidationError

from maps import services
from maps.models import Membership, Workspace
from tests.factories import UserFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db


def create(api, user, body):
    return api(user).post("/api/v1/workspaces/", body, format="json")


def test_the_home_page_form_gets_a_free_slug_when_the_name_is_taken_elsewhere(client, mallory):
    WorkspaceFactory(name="QA Team", slug="qa-team")
    client.force_login(mallory)
    response = client.post("/", {"ws-name": "QA Team"})
    assert response.status_code == 302
    workspace = Membership.objects.get(user=mallory, workspace__name="QA Team").workspace
    assert workspace.slug == "qa-team-2"
    assert "taken" not in client.get("/").content.decode()


def test_it_counts_up_past_every_taken_suffix(db):
    user = UserFactory()
    for slug in ["qa-team", "qa-team-2", "qa-team-3", "qa-team-5"]:
        WorkspaceFactory(slug=slug)
    assert services.workspace_create(actor=user, name="QA team").slug == "qa-team-4"
    assert services.workspace_create(actor=user, name="QA team").slug == "qa-team-6"


@pytest.mark.parametrize("name", ["日本語", "!!!", "  ---  "])
def test_a_name_without_latin_letters_gets_a_workspace_slug(db, name):
    user = UserFactory()
    first = services.workspace_create(actor=user, name=name)
    second = services.workspace_create(actor=user, name=name)
    assert (first.slug, second.slug) == ("workspace", "workspace-2")
    assert first.name == name.strip()


def test_a_long_name_is_cut_to_the_slug_limit_before_the_suffix(db):
    user = UserFactory()
    name = "x" * 57 + " research team"
    first = services.workspace_create(actor=user, name=name)
    second = services.workspace_create(actor=user, name=name)
    assert first.slug == "x" * 57 + "-re"
    assert second.slug == "x" * 57 + "-2"  # cut to 58, and no dangling hyphen before -2


def test_it_retries_when_another_request_takes_the_slug_first(db, monkeypatch):
    user = UserFactory()
    WorkspaceFactory(slug="qa-team")
    answers = iter(["qa-team"])  # a stale read: the slug was free a moment ago
    real_free_slug = services._free_slug
    monkeypatch.setattr(
        services, "_free_slug", lambda base: next(answers, None) or real_free_slug(base)
    )
    workspace = services.workspace_create(actor=user, name="QA Team")
    assert workspace.slug == "qa-team-2"
    assert Workspace.objects.filter(name="QA Team").count() == 1
    assert Membership.objects.get(workspace=workspace).user == user


def test_it_gives_up_after_a_bounded_number_of_collisions(db, monkeypatch):
    user = UserFactory()
    WorkspaceFactory(slug="qa-team")
    calls = []

    def always_stale(base):
        calls.append(base)
        return "qa-team"

    monkeypatch.setattr(services, "_free_slug", always_stale)
    with pytest.raises(ValidationError) as error:
        services.workspace_create(actor=user, name="QA Team")
    assert "slug" in error.value.message_dict
    assert len(calls) == services.SLUG_ATTEMPTS
    assert not Workspace.objects.filter(name="QA Team").exists()
    assert not Membership.objects.filter(user=user).exists()


def test_the_api_without_a_slug_derives_a_free_one(api, alice, workspace):
    response = create(api, alice, {"name": "Acme"})
    assert response.status_code == 201
    assert response.data["slug"] == "acme-2"
    assert response.data["role"] == "lead"


def test_the_api_with_an_empty_slug_derives_one(api, alice, workspace):
    response = create(api, alice, {"name": "Acme", "slug": ""})
    assert response.status_code == 201
    assert response.data["slug"] == "acme-2"


def test_the_api_refuses_a_chosen_slug_that_is_taken(api, mallory, workspace):
    response = create(api, mallory, {"name": "Mine", "slug": "acme"})
    assert response.status_code == 400
    assert "slug" in response.data
    assert not Workspace.objects.filter(name="Mine").exists()


def test_the_api_keeps_a_chosen_slug_that_is_free(api, mallory):
    response = create(api, mallory, {"name": "Mine", "slug": "my-team"})
    assert response.status_code == 201
    assert response.data["slug"] == "my-team"


def test_the_service_refuses_a_chosen_slug_without_letters_or_digits(db):
    with pytest.raises(ValidationError) as error:
        services.workspace_create(actor=UserFactory(), name="Mine", slug="---")
    assert "slug" in error.value.message_dict


def test_the_api_refuses_a_chosen_slug_that_is_invalid(api, mallory):
    response = create(api, mallory, {"name": "Mine", "slug": "not a slug!"})
    assert response.status_code == 400
    assert "slug" in response.data


@pytest.mark.parametrize("name", ["", "   ", "x" * 121])
def test_the_api_still_refuses_a_bad_name(api, mallory, name):
    response = create(api, mallory, {"name": name})
    assert response.status_code == 400
    assert "name" in response.data
    assert not Workspace.objects.exclude(slug="elsewhere").exists()


def test_the_home_page_still_refuses_a_blank_name(client, mallory):
    client.force_login(mallory)
    response = client.post("/", {"ws-name": "   "})
    assert response.status_code == 200
    assert Workspace.objects.count() == 1
