"""The library page's segment form: adding a new segment, and naming one that exists."""

import pytest

from research.models import Segment

pytestmark = pytest.mark.django_db


def add_segment(client, name):
    return client.post("/w/acme/evidence/", {"action": "segment", "seg-name": name}, follow=True)


def test_a_new_segment_is_reported_as_added(client, rita, workspace):
    client.force_login(rita)
    html = add_segment(client, "Agencies").content.decode()
    assert "Segment “Agencies” added." in html
    assert list(Segment.objects.values_list("name", flat=True)) == ["Agencies"]


def test_a_duplicate_segment_is_reported_as_existing(client, rita, workspace):
    Segment.objects.create(workspace=workspace, name="Agencies")
    client.force_login(rita)
    html = add_segment(client, "  Agencies ").content.decode()
    assert "Segment “Agencies” already exists." in html
    assert "added." not in html
    assert Segment.objects.filter(workspace=workspace).count() == 1


def test_a_segment_of_the_same_name_elsewhere_does_not_count(client, rita, mallory, workspace):
    Segment.objects.create(workspace=mallory.memberships.get().workspace, name="Agencies")
    client.force_login(rita)
    html = add_segment(client, "Agencies").content.decode()
    assert "Segment “Agencies” added." in html
    assert Segment.objects.filter(workspace=workspace, name="Agencies").exists()


def test_the_api_still_answers_201_with_the_existing_segment(api, rita, workspace):
    existing = Segment.objects.create(workspace=workspace, name="Agencies")
    response = api(rita).post(
        "/api/v1/segments/", {"workspace": "acme", "name": "Agencies"}, format="json"
    )
    assert response.status_code == 201
    assert response.data["id"] == existing.pk
    assert Segment.objects.count() == 1
