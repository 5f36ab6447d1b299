"""The lead's facilitation: a countdown for everyone (timer) and the workshop's step."""

import datetime

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from maps.models import MapEvent

pytestmark = pytest.mark.django_db


def start(api, user, empathy_map, seconds):
    return api(user).post(
        f"/api/v1/maps/{empathy_map.pk}/timer/", {"seconds": seconds}, format="json"
    )


def test_a_lead_starts_a_countdown_announced_with_map_updated(
    api, alice, vera, empathy_map, broadcasts, django_capture_on_commit_callbacks
):
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        response = start(api, alice, empathy_map, 300)
    assert response.status_code == 200
    timer = response.data["timer"]
    assert timer["seconds"] == 300
    ends_at = parse_datetime(timer["ends_at"])
    assert before + datetime.timedelta(seconds=300) <= ends_at
    assert ends_at <= timezone.now() + datetime.timedelta(seconds=300)
    # It lives on the map: a reload gets the same end.
    assert api(vera).get(f"/api/v1/maps/{empathy_map.pk}/").data["timer"] == timer
    ((_group, message),) = broadcasts
    assert message["event"]["kind"] == "map.updated"
    assert message["event"]["map"]["timer"] == timer
    assert message["event"]["map"]["seq"] == message["event"]["seq"]


def test_a_lead_stops_it(api, alice, vera, empathy_map):
    start(api, alice, empathy_map, 60)
    response = api(alice).delete(f"/api/v1/maps/{empathy_map.pk}/timer/")
    assert response.status_code == 200
    assert response.data["timer"] is None
    assert api(vera).get(f"/api/v1/maps/{empathy_map.pk}/").data["timer"] is None
    assert MapEvent.objects.filter(kind="map.updated").count() == 2
    # Stopping a stopped timer changes nothing and records nothing.
    api(alice).delete(f"/api/v1/maps/{empathy_map.pk}/timer/")
    assert MapEvent.objects.filter(kind="map.updated").count() == 2


def test_an_ended_timer_reads_with_its_end_in_the_past(api, alice, vera, empathy_map):
    start(api, alice, empathy_map, 10)
    empathy_map.refresh_from_db()
    empathy_map.timer_ends_at = timezone.now() - datetime.timedelta(seconds=5)
    empathy_map.save(update_fields=["timer_ends_at"])
    timer = api(vera).get(f"/api/v1/maps/{empathy_map.pk}/").data["timer"]
    assert parse_datetime(timer["ends_at"]) < timezone.now()


@pytest.mark.parametrize("seconds", [9, 7201, "soon", None, 1.5, True])
def test_seconds_must_be_10_to_7200(api, alice, empathy_map, seconds):
    response = start(api, alice, empathy_map, seconds)
    assert response.status_code == 400
    assert "seconds" in response.data
    assert not MapEvent.objects.exists()


@pytest.mark.parametrize("seconds", [10, 7200])
def test_the_limits_themselves_are_fine(api, alice, empathy_map, seconds):
    assert start(api, alice, empathy_map, seconds).data["timer"]["seconds"] == seconds


def test_only_a_lead_runs_the_timer(api, bob, mallory, empathy_map):
    assert start(api, bob, empathy_map, 60).status_code == 403
    assert api(bob).delete(f"/api/v1/maps/{empathy_map.pk}/timer/").status_code == 403
    assert start(api, mallory, empathy_map, 60).status_code == 404
    assert not MapEvent.objects.exists()


def test_a_lead_moves_the_workshop_through_its_steps(api, alice, bob, vera, empathy_map):
    url = f"/api/v1/maps/{empathy_map.pk}/"
    assert api(vera).get(url).data["step"] is None
    for step in ["draft", "reveal", "vote", "discuss"]:
        assert api(alice).patch(url, {"step": step}, format="json").data["step"] == step
    assert api(alice).patch(url, {"step": None}, format="json").data["step"] is None
    assert MapEvent.objects.filter(kind="map.updated").count() == 5
    assert api(bob).patch(url, {"step": "vote"}, format="json").status_code == 403
    response = api(alice).patch(url, {"step": "dance"}, format="json")
    assert response.status_code == 400
    assert "step" in response.data
