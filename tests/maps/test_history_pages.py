"""The pages of the map's past: as of a moment, a note's history, the recycle bin, and the
status transitions on the review page."""

import datetime

import pytest
from django.test import Client

from research.status import today
from tests.factories import EvidenceFactory, SourceFactory

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def new_note(api, user, empathy_map, text):
    url = f"/api/v1/maps/{empathy_map.pk}/notes/"
    return api(user).post(url, {"section": "says", "text": text}, format="json").data


def test_the_as_of_page_shows_the_notes_then_read_only(api, team, empathy_map):
    bob = team["bob"]
    note = new_note(api, bob, empathy_map, "<b>Pays</b> by invoice")
    api(bob).patch(f"/api/v1/notes/{note['id']}/", {"text": "Changed", "version": 1}, format="json")

    page = browser(team["vera"]).get(f"/maps/{empathy_map.pk}/as-of/?as_of=1")

    assert page.status_code == 200
    html = page.content.decode()
    assert "As of" in html and "(seq 1) — read-only" in html
    assert "&lt;b&gt;Pays&lt;/b&gt; by invoice" in html
    assert "Changed" not in html
    assert f'href="/maps/{empathy_map.pk}/"' in html
    assert 'type="range"' in html and 'type="date"' in html
    assert "<script>" not in html


def test_the_as_of_page_explains_a_seq_beyond_the_map(team, empathy_map):
    page = browser(team["vera"]).get(f"/maps/{empathy_map.pk}/as-of/?as_of=5")
    assert page.status_code == 200
    assert "beyond it" in page.content.decode()


def test_the_as_of_page_takes_a_day(api, team, empathy_map):
    new_note(api, team["bob"], empathy_map, "Today's note")
    day = today().isoformat()
    page = browser(team["vera"]).get(f"/maps/{empathy_map.pk}/as-of/?day={day}")
    assert "Today&#x27;s note" in page.content.decode()


def test_the_past_is_hidden_from_non_members(team, empathy_map):
    client = browser(team["mallory"])
    assert client.get(f"/maps/{empathy_map.pk}/as-of/").status_code == 404
    assert client.get(f"/maps/{empathy_map.pk}/bin/").status_code == 404


def test_the_history_page_brings_back_an_earlier_text(api, team, empathy_map):
    bob = team["bob"]
    note = new_note(api, bob, empathy_map, "First")
    api(bob).patch(f"/api/v1/notes/{note['id']}/", {"text": "Second", "version": 1}, format="json")
    url = f"/notes/{note['id']}/history/"
    viewer_page = browser(team["vera"]).get(url).content.decode()
    assert "Bring back this text" not in viewer_page
    assert "<del>First</del>" in viewer_page and "<ins>Second</ins>" in viewer_page

    response = browser(bob).post(url, {"seq": 1})

    assert response.status_code == 302
    assert api(bob).get(f"/api/v1/notes/{note['id']}/").data["text"] == "First"


def test_the_bin_restores_for_editors_and_shows_viewers(api, team, empathy_map):
    bob = team["bob"]
    note = new_note(api, bob, empathy_map, "Binned note")
    api(bob).delete(f"/api/v1/notes/{note['id']}/")
    url = f"/maps/{empathy_map.pk}/bin/"
    viewer_page = browser(team["vera"]).get(url).content.decode()
    assert "Binned note" in viewer_page and "Deleted by bob" in viewer_page
    assert ">Restore<" not in viewer_page
    browser(team["vera"]).post(url, {"note": note["id"]})
    assert api(bob).get(f"/api/v1/notes/{note['id']}/").data["deleted"] is True

    browser(bob).post(url, {"note": note["id"]})

    assert api(bob).get(f"/api/v1/notes/{note['id']}/").data["deleted"] is False


def test_the_board_links_to_the_past_the_bin_and_the_exports(team, empathy_map):
    html = browser(team["vera"]).get(f"/maps/{empathy_map.pk}/").content.decode()
    assert f"/maps/{empathy_map.pk}/as-of/" in html
    assert f"/maps/{empathy_map.pk}/bin/" in html
    for fmt in ("json", "csv", "md"):
        assert f"/api/v1/maps/{empathy_map.pk}/export/?format={fmt}" in html


def test_the_review_shows_notes_that_went_stale_by_time(api, team, empathy_map, monkeypatch):
    bob, rita = team["bob"], team["rita"]
    note = new_note(api, bob, empathy_map, "Closes the books late")
    evidence = EvidenceFactory(
        source=SourceFactory(workspace=empathy_map.workspace),
        collected_on=today() - datetime.timedelta(days=170),
    )
    api(rita).post(
        f"/api/v1/notes/{note['id']}/links/",
        {"evidence": evidence.pk, "stance": "supports"},
        format="json",
    )
    api(team["alice"]).post(f"/api/v1/maps/{empathy_map.pk}/review/")
    later = today() + datetime.timedelta(days=30)
    monkeypatch.setattr("research.status.today", lambda: later)

    html = browser(team["alice"]).get(f"/maps/{empathy_map.pk}/review/").content.decode()

    assert "1 supported note went stale" in html
    assert "By time alone" in html
    compared = browser(team["alice"]).get(f"/maps/{empathy_map.pk}/review/?from=2").content
    assert "Since " in compared.decode() and "1 supported note went stale" in compared.decode()


def test_the_as_of_page_refuses_a_day_that_does_not_exist(client, alice, empathy_map):
    client.force_login(alice)
    response = client.get(f"/maps/{empathy_map.pk}/as-of/", {"day": "2026-02-30"})
    assert response.status_code == 200
    assert "Pick a day." in response.content.decode()
