"""Regressions for the findings of a code review: bad input is a 400 naming the field, never a
500; archived maps are read-only for evidence links too."""

import pytest
from django.test import Client

from maps import services
from research.models import EvidenceLink
from tests.factories import EvidenceFactory, LinkFactory, NoteFactory, SourceFactory

# Not a database id: bigger than any integer column holds.
TOO_BIG = str(2**70)


@pytest.mark.parametrize("since", ["²", "-1", "1.5", TOO_BIG])
def test_the_event_log_refuses_a_since_that_is_not_a_seq(api, vera, empathy_map, since):
    response = api(vera).get(f"/api/v1/maps/{empathy_map.pk}/events/", {"since": since})
    assert response.status_code == 400
    assert "since" in response.json()


@pytest.mark.parametrize("source", ["²", TOO_BIG])
def test_the_evidence_list_refuses_a_source_that_is_not_an_id(api, vera, source):
    response = api(vera).get("/api/v1/evidence/", {"source": source})
    assert response.status_code == 400
    assert "source" in response.json()


@pytest.mark.parametrize("segment", ["²", TOO_BIG])
def test_the_evidence_list_takes_a_segment_that_is_not_an_id_as_a_name(api, vera, segment):
    EvidenceFactory(source=SourceFactory(workspace=vera.memberships.get().workspace))
    response = api(vera).get("/api/v1/evidence/", {"segment": segment})
    assert response.status_code == 200
    assert response.json() == []


@pytest.mark.parametrize("query", [{"source": "²"}, {"source": TOO_BIG}, {"segment": TOO_BIG}])
def test_the_library_page_survives_odd_filters(vera, workspace, query):
    client = Client()
    client.force_login(vera)
    assert client.get("/w/acme/evidence/", query).status_code == 200


@pytest.mark.parametrize("assignee", ["nobody", "vera"])
def test_a_review_names_the_assignee_field_for_an_unknown_or_unfit_assignee(
    api, alice, vera, empathy_map, assignee
):
    note = NoteFactory(map=empathy_map)
    response = api(alice).post(
        f"/api/v1/notes/{note.pk}/review/", {"state": "needs_research", "assignee": assignee}
    )
    assert response.status_code == 400
    assert list(response.json())[0] == "assignee"


def test_an_archived_map_refuses_new_evidence_links(api, alice, rita, empathy_map):
    note = NoteFactory(map=empathy_map)
    evidence = EvidenceFactory(source=SourceFactory(workspace=empathy_map.workspace))
    services.map_archive(actor=alice, map_id=empathy_map.pk)
    response = api(rita).post(
        f"/api/v1/notes/{note.pk}/links/", {"evidence": evidence.pk, "stance": "supports"}
    )
    assert response.status_code == 400
    assert "map" in response.json()
    assert not EvidenceLink.objects.exists()


def test_an_archived_map_keeps_its_evidence_links(api, alice, rita, empathy_map):
    link = LinkFactory(
        note=NoteFactory(map=empathy_map),
        evidence=EvidenceFactory(source=SourceFactory(workspace=empathy_map.workspace)),
    )
    services.map_archive(actor=alice, map_id=empathy_map.pk)
    response = api(rita).delete(f"/api/v1/links/{link.pk}/")
    assert response.status_code == 400
    assert EvidenceLink.objects.filter(pk=link.pk).exists()


def test_an_import_with_a_content_length_that_is_not_a_number_is_not_a_500(api, rita):
    response = api(rita).post(
        "/api/v1/workspaces/acme/imports/",
        {"format": "support_csv"},
        format="multipart",
        CONTENT_LENGTH="²",
    )
    assert response.status_code in (400, 413)
