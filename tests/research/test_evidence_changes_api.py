"""Correcting and deleting evidence: deleting unlinks it from every note, as map events."""

import pytest

from maps.models import MapEvent
from research.models import Evidence, EvidenceLink
from tests.factories import EvidenceFactory, LinkFactory, MapFactory, NoteFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def item(workspace):
    source = SourceFactory(workspace=workspace)
    return EvidenceFactory(source=source, text="Closing takes three days", participant="Priya")


def url(evidence):
    return f"/api/v1/evidence/{evidence.pk}/"


def test_a_researcher_corrects_the_text_and_it_is_embedded_again(api, rita, item):
    item.embedding = b"stale"
    item.save()
    response = api(rita).patch(
        url(item), {"text": "Closing takes four days", "locator": "00:12:30"}, format="json"
    )
    assert response.status_code == 200, response.data
    assert (response.data["text"], response.data["locator"]) == (
        "Closing takes four days",
        "00:12:30",
    )
    assert response.data["participant"] == "Priya"
    item.refresh_from_db()
    assert item.text == "Closing takes four days"
    assert item.embedding != b"stale" and len(item.embedding) > 100
    assert MapEvent.objects.count() == 0  # nothing a note's status depends on changed


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"source": 5}, "source"),
        ({"collected_on": "2099-01-01"}, "collected_on"),
        ({"collected_on": None}, "collected_on"),
        ({"segment": 999999}, "segment"),
        ({"text": "   "}, "text"),
        ({"url": "not a url"}, "url"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_corrections_name_the_field_and_change_nothing(api, rita, item, body, field):
    response = api(rita).patch(url(item), body, format="json")
    assert response.status_code == 400
    assert isinstance(response.data[field], list)  # like every other field error
    if field == "colour":
        assert response.data[field] == ["Unknown field."]
    item.refresh_from_db()
    assert item.text == "Closing takes three days"


def test_only_researchers_correct_or_delete(api, bob, mallory, item):
    assert api(bob).patch(url(item), {"text": "Mine"}, format="json").status_code == 403
    assert api(bob).delete(url(item)).status_code == 403
    assert api(mallory).delete(url(item)).status_code == 404
    assert Evidence.objects.filter(pk=item.pk).exists()


def test_deleting_unlinks_it_from_every_note_on_every_map(
    api, rita, vera, item, empathy_map, workspace, broadcasts, django_capture_on_commit_callbacks
):
    other_map = MapFactory(workspace=workspace)
    first = LinkFactory(note=NoteFactory(map=empathy_map), evidence=item)
    second = LinkFactory(note=NoteFactory(map=other_map), evidence=item, stance="contradicts")
    keeper = LinkFactory(note=first.note)  # other evidence stays linked

    with django_capture_on_commit_callbacks(execute=True):
        response = api(rita).delete(url(item))
    assert response.status_code == 204
    assert not Evidence.objects.filter(pk=item.pk).exists()
    assert list(EvidenceLink.objects.values_list("pk", flat=True)) == [keeper.pk]

    for empathy, link in [(empathy_map, first), (other_map, second)]:
        events = api(vera).get(f"/api/v1/maps/{empathy.pk}/events/", {"since": 0}).data
        [event] = events["events"]
        assert (event["kind"], event["actor"]) == ("link.deleted", "rita")
        assert event["link"]["id"] == link.pk
        assert event["link"]["evidence"]["text"] == "Closing takes three days"
        assert event["note"]["id"] == link.note_id
    assert len(broadcasts) == 2
    second_note = api(vera).get(f"/api/v1/notes/{second.note_id}/").data
    assert second_note["status"] == "assumption"
    assert second_note["evidence"] == {"supports": 0, "contradicts": 0}


def test_evidence_backing_an_archived_map_is_kept(api, rita, item, empathy_map):
    LinkFactory(note=NoteFactory(map=empathy_map), evidence=item)
    empathy_map.archived = True
    empathy_map.save()
    response = api(rita).delete(url(item))
    assert response.status_code == 400
    assert "archived map" in str(response.data["evidence"])
    assert EvidenceLink.objects.filter(evidence=item).exists()
    assert MapEvent.objects.count() == 0


def test_an_archived_workspace_keeps_its_evidence(api, rita, item, workspace):
    workspace.archived = True
    workspace.save()
    assert api(rita).delete(url(item)).status_code == 400
    assert api(rita).patch(url(item), {"text": "x"}, format="json").status_code == 400
    assert Evidence.objects.filter(pk=item.pk, text="Closing takes three days").exists()


@pytest.mark.parametrize("link", ["ftp://files.example.com/a.txt", "javascript:alert(1)"])
def test_links_must_be_web_addresses(api, rita, item, workspace, link):
    response = api(rita).patch(url(item), {"url": link}, format="json")
    assert response.status_code == 400
    assert "url" in response.data
    response = api(rita).post(
        "/api/v1/sources/",
        {"workspace": "acme", "kind": "survey", "title": "NPS", "url": link},
        format="json",
    )
    assert response.status_code == 400
    assert "url" in response.data


def test_correcting_the_date_tells_every_note_citing_it(
    api, rita, vera, item, empathy_map, broadcasts, django_capture_on_commit_callbacks
):
    import datetime

    from research.status import today

    item.collected_on = today()
    item.save()
    note = NoteFactory(map=empathy_map)
    LinkFactory(note=note, evidence=item)
    before = api(vera).get(f"/api/v1/notes/{note.pk}/").data
    assert before["status"] == "supported"

    old = today() - datetime.timedelta(days=400)
    with django_capture_on_commit_callbacks(execute=True):
        response = api(rita).patch(url(item), {"collected_on": str(old)}, format="json")
    assert response.status_code == 200, response.data
    assert response.data["collected_on"] == str(old)
    after = api(vera).get(f"/api/v1/notes/{note.pk}/").data
    assert after["status"] == "stale"
    assert after["version"] == before["version"]  # nobody edited the note itself
    [event] = api(vera).get(f"/api/v1/maps/{empathy_map.pk}/events/", {"since": 0}).data["events"]
    assert (event["kind"], event["cause"], event["actor"]) == ("note.updated", "evidence", "rita")
    assert event["note"]["status"] == "stale"
    assert len(broadcasts) == 1
    changes = api(vera).get(f"/api/v1/maps/{empathy_map.pk}/review/").data["changes"]
    assert (changes["counts"]["evidence_corrected"], changes["counts"]["edited"]) == (1, 0)
    assert changes["notes"][0]["changes"] == ["evidence_corrected"]

    # The same date again changes nothing a note depends on: no event.
    api(rita).patch(url(item), {"collected_on": str(old), "text": "Reworded"}, format="json")
    assert MapEvent.objects.filter(map=empathy_map).count() == 1


def test_correcting_the_segment_changes_narrowness(api, rita, vera, item, empathy_map, workspace):
    from tests.factories import SegmentFactory

    first, second = SegmentFactory(workspace=workspace), SegmentFactory(workspace=workspace)
    other = EvidenceFactory(source=item.source, segment=first)
    item.segment = first
    item.save()
    note = NoteFactory(map=empathy_map)
    LinkFactory(note=note, evidence=item)
    LinkFactory(note=note, evidence=other)
    assert api(vera).get(f"/api/v1/notes/{note.pk}/").data["narrow"] is True
    response = api(rita).patch(url(item), {"segment": second.pk}, format="json")
    assert response.status_code == 200, response.data
    assert response.data["segment"] == second.pk
    assert api(vera).get(f"/api/v1/notes/{note.pk}/").data["narrow"] is False
    [event] = MapEvent.objects.filter(map=empathy_map, kind="note.updated")
    assert event.payload["evidence"] == {
        "id": item.pk,
        "segment": second.pk,
        "collected_on": item.collected_on.isoformat(),
    }


@pytest.mark.parametrize("body", [[{"text": "x"}], ["text"], "text"])
def test_a_correction_that_is_not_an_object_is_a_400(api, rita, item, body):
    response = api(rita).patch(url(item), body, format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.data
