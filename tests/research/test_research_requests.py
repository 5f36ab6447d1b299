"""Research requests: a lead asks for evidence on a note, a researcher works the queue."""

import datetime

import pytest
from django.utils import timezone

from maps.models import Note
from research.models import Stance
from tests.factories import (
    EvidenceFactory,
    MembershipFactory,
    NoteFactory,
    SourceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def note(empathy_map):
    return NoteFactory(map=empathy_map, section="thinks", text="Receipts are the worst part")


def request_research(api, lead, note, **fields):
    body = {"state": "needs_research", **fields}
    response = api(lead).post(f"/api/v1/notes/{note.pk}/review/", body, format="json")
    assert response.status_code == 200, response.data
    return response.data


def queue(api, user, **params):
    response = api(user).get("/api/v1/research-requests/", params)
    assert response.status_code == 200, response.data
    return response.data


def link(api, researcher, note, evidence, stance=Stance.SUPPORTS):
    response = api(researcher).post(
        f"/api/v1/notes/{note.pk}/links/",
        {"evidence": evidence.pk, "stance": stance},
        format="json",
    )
    assert response.status_code == 201, response.data


def test_a_researcher_sees_the_notes_assigned_to_them(api, alice, rita, note, empathy_map):
    due = str(timezone.localdate() + datetime.timedelta(days=5))
    request_research(api, alice, note, assignee="rita", due=due, comment="Tickets?")
    other = NoteFactory(map=empathy_map, text="Nobody's")
    request_research(api, alice, other)
    mine = queue(api, rita, workspace="acme", assignee="me")
    assert [entry["note"]["id"] for entry in mine] == [note.pk]
    entry = mine[0]
    assert entry["assignee"] == "rita"
    assert entry["due"] == due
    assert entry["requested_by"] == "alice"
    assert entry["comment"] == "Tickets?"
    assert entry["map"] == {"id": empathy_map.pk, "title": empathy_map.title}
    assert entry["note"]["status"] == "assumption"
    assert entry["answered"] is False
    everyone = queue(api, rita, workspace="acme")
    assert [entry["note"]["id"] for entry in everyone] == [note.pk, other.pk]
    assert [entry["note"]["id"] for entry in queue(api, rita, assignee="none")] == [other.pk]


def test_soonest_due_first_and_overdue_flagged(api, alice, rita, empathy_map):
    today = timezone.localdate()
    later = NoteFactory(map=empathy_map)
    overdue = NoteFactory(map=empathy_map)
    undated = NoteFactory(map=empathy_map)
    request_research(api, alice, undated, assignee="rita")
    request_research(api, alice, later, assignee="rita", due=str(today + datetime.timedelta(7)))
    request_research(api, alice, overdue, assignee="rita", due=str(today))
    # A day goes by: what was due today is overdue now.
    Note.objects.filter(pk=overdue.pk).update(research_due=today - datetime.timedelta(1))
    entries = queue(api, rita, assignee="me")
    assert [entry["note"]["id"] for entry in entries] == [overdue.pk, later.pk, undated.pk]
    assert [entry["overdue"] for entry in entries] == [True, False, False]


def test_a_due_date_that_has_passed_is_refused(api, alice, note):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    response = api(alice).post(
        f"/api/v1/notes/{note.pk}/review/",
        {"state": "needs_research", "due": str(yesterday)},
        format="json",
    )
    assert response.status_code == 400
    assert "has passed" in str(response.data["due"])
    note.refresh_from_db()
    assert note.review_state == "unreviewed"


def test_fresh_evidence_linked_after_the_request_answers_it(api, alice, rita, note, workspace):
    request_research(api, alice, note, assignee="rita")
    fresh = EvidenceFactory(source=SourceFactory(workspace=workspace))
    link(api, rita, note, fresh, stance=Stance.CONTRADICTS)
    assert queue(api, rita, assignee="me") == []
    answered = queue(api, alice, state="answered")
    assert [entry["note"]["id"] for entry in answered] == [note.pk]
    assert answered[0]["answered"] is True
    assert answered[0]["note"]["status"] == "contested"


def test_stale_evidence_does_not_answer_a_request(api, alice, rita, note, workspace):
    request_research(api, alice, note, assignee="rita")
    old = SourceFactory(workspace=workspace, collected_on=datetime.date(2020, 1, 1))
    link(api, rita, note, EvidenceFactory(source=old))
    entries = queue(api, rita, assignee="me")
    assert [entry["note"]["status"] for entry in entries] == ["stale"]


def test_evidence_linked_before_the_request_does_not_answer_it(api, alice, rita, note, workspace):
    link(api, rita, note, EvidenceFactory(source=SourceFactory(workspace=workspace)))
    request_research(api, alice, note, assignee="rita", comment="One ticket is not enough")
    assert [entry["note"]["id"] for entry in queue(api, rita, assignee="me")] == [note.pk]


def test_a_new_review_takes_the_note_out_of_the_queue(api, alice, rita, note):
    request_research(api, alice, note, assignee="rita")
    api(alice).post(f"/api/v1/notes/{note.pk}/review/", {"state": "dismissed"}, format="json")
    assert queue(api, rita) == []
    assert queue(api, rita, state="all") == []


def test_deleted_notes_leave_the_queue(api, alice, bob, rita, note):
    request_research(api, alice, note, assignee="rita")
    api(bob).delete(f"/api/v1/notes/{note.pk}/")
    assert queue(api, rita) == []


def test_only_researchers_can_be_assigned(api, alice, bob, note):
    response = api(alice).post(
        f"/api/v1/notes/{note.pk}/review/",
        {"state": "needs_research", "assignee": "bob"},
        format="json",
    )
    assert response.status_code == 400


def test_requests_of_other_workspaces_stay_hidden(api, alice, mallory, note):
    request_research(api, alice, note)
    assert queue(api, mallory) == []
    response = api(mallory).get("/api/v1/research-requests/", {"workspace": "acme"})
    assert response.status_code == 404


def test_an_unknown_state_is_refused(api, rita):
    response = api(rita).get("/api/v1/research-requests/", {"state": "closed"})
    assert response.status_code == 400


def test_the_queue_takes_a_fixed_number_of_queries(
    api, alice, rita, empathy_map, workspace, django_assert_max_num_queries
):
    source = SourceFactory(workspace=workspace, collected_on=datetime.date(2020, 1, 1))
    for number in range(20):
        note = NoteFactory(map=empathy_map, text=f"Note {number}")
        request_research(api, alice, note, assignee="rita")
        link(api, rita, note, EvidenceFactory(source=source))
    UserFactory(username="someone")
    with django_assert_max_num_queries(5):
        entries = queue(api, rita, assignee="me")
    assert len(entries) == 20


def test_the_requests_page_lists_a_researchers_queue(client, alice, rita, empathy_map):
    from maps import services

    note = services.note_create(actor=alice, map_id=empathy_map.pk, section="says", text="Hm")
    services.note_review(
        actor=alice,
        note_id=note["id"],
        state="needs_research",
        comment="Find two interviews",
        assignee="rita",
    )
    client.force_login(rita)
    page = client.get("/w/acme/requests/").content.decode()
    assert "Find two interviews" in page
    assert f"/maps/{empathy_map.pk}/#note-{note['id']}" in page
    assert "1 request" in page


def test_a_researchers_page_shows_their_requests_and_those_nobody_took(
    client, alice, rita, empathy_map
):
    from maps import services

    other = UserFactory(username="ravi")
    MembershipFactory(workspace=empathy_map.workspace, user=other, role="researcher")
    for text, assignee in [("Mine", "rita"), ("Untaken", None), ("Ravi's", "ravi")]:
        note = services.note_create(actor=alice, map_id=empathy_map.pk, section="says", text=text)
        services.note_review(
            actor=alice, note_id=note["id"], state="needs_research", assignee=assignee
        )
    client.force_login(rita)
    page = client.get("/w/acme/requests/").content.decode()
    assert "2 requests" in page
    assert "Mine" in page and "Untaken" in page and "Ravi&#x27;s" not in page
    assert '<option value="me_or_none" selected>Me or nobody yet</option>' in page
    assert "· Assumption" in page  # the status's label, not its key
    everyone = client.get("/w/acme/requests/", {"assignee": ""}).content.decode()
    assert "3 requests" in everyone


def test_the_requests_page_shows_due_dates_as_people_write_them(client, alice, rita, note):
    from maps import services

    due = timezone.localdate() + datetime.timedelta(days=3)
    services.note_review(
        actor=alice, note_id=note.pk, state="needs_research", assignee="rita", due=due
    )
    client.force_login(rita)
    html = client.get("/w/acme/requests/").content.decode()
    assert f"· due {due.day} {due.strftime('%b %Y')}" in html


def test_the_empty_queue_offers_everyones_requests(client, rita, workspace):
    client.force_login(rita)
    page = client.get("/w/acme/requests/").content.decode()
    assert "No requests here for this filter." in page
    assert "Show everyone&#x27;s" in page or "Show everyone's" in page


def test_outsiders_get_404_on_the_requests_page(client, mallory, workspace):
    client.force_login(mallory)
    assert client.get("/w/acme/requests/").status_code == 404
