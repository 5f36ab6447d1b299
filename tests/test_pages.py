"""The server-rendered pages: board, review, map settings, evidence library and detail."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from maps.models import EmpathyMap
from maps.services import map_mark_reviewed, note_create
from research.models import Evidence, Segment, Source
from tests.factories import (
    EvidenceFactory,
    LinkFactory,
    NoteFactory,
    SegmentFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db


def logged_in(client, user):
    client.force_login(user)
    return client


def board_data(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="board-data" type="application/json">') + len(
        '<script id="board-data" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


def test_the_board_needs_a_login(client, empathy_map):
    response = client.get(f"/maps/{empathy_map.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_board_is_hidden_from_outsiders(client, mallory, empathy_map):
    assert logged_in(client, mallory).get(f"/maps/{empathy_map.pk}/").status_code == 404


def test_the_board_renders_its_sections_and_state(client, bob, empathy_map):
    NoteFactory(map=empathy_map, section="feels", text="Worried about month end")
    response = logged_in(client, bob).get(f"/maps/{empathy_map.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    for name in ["Says", "Thinks", "Does", "Feels", "Goals", "Pains", "Gains", "Sees", "Hears"]:
        assert f">{name} <span" in html
    assert "What do they say out loud" in html
    data = board_data(response)
    assert data["map"]["id"] == empathy_map.pk
    assert data["me"] == {
        "username": "bob",
        "role": "editor",
        "team": "other",
        "can_edit": True,
        "can_research": False,
        "can_review": False,
    }
    assert [note["text"] for note in data["notes"]] == ["Worried about month end"]
    assert data["urls"]["socket"] == f"/ws/maps/{empathy_map.pk}/"


def test_the_board_escapes_note_text_in_its_json(client, bob, empathy_map):
    NoteFactory(map=empathy_map, text="</script><img src=x onerror=alert(1)>")
    html = logged_in(client, bob).get(f"/maps/{empathy_map.pk}/").content.decode()
    assert "<img src=x" not in html
    assert "\\u003C/script\\u003E\\u003Cimg" in html


def test_the_board_tells_viewers_they_cannot_edit(client, vera, empathy_map):
    data = board_data(logged_in(client, vera).get(f"/maps/{empathy_map.pk}/"))
    assert data["me"]["can_edit"] is False


def test_the_board_lists_each_notes_link_segments(client, rita, empathy_map):
    note = NoteFactory(map=empathy_map)
    source = SourceFactory(workspace=empathy_map.workspace)
    segment = Segment.objects.create(workspace=empathy_map.workspace, name="Agencies")
    evidence = EvidenceFactory(source=source, segment=segment)
    link = LinkFactory(note=note, evidence=evidence)
    data = board_data(logged_in(client, rita).get(f"/maps/{empathy_map.pk}/"))
    assert data["links"][str(note.pk)] == [
        {
            "id": link.pk,
            "evidence": evidence.pk,
            "stance": "supports",
            "segment": segment.pk,
            "segment_name": "Agencies",
        }
    ]
    assert data["segments"] == [{"id": segment.pk, "name": "Agencies"}]


def test_the_review_page_shows_counts_by_section_and_status(client, vera, empathy_map):
    NoteFactory(map=empathy_map, section="pains", text="Exports break every quarter")
    response = logged_in(client, vera).get(f"/maps/{empathy_map.pk}/review/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Notes by section and evidence status" in html
    assert "Exports break every quarter" in html
    assert "Where the map lacks evidence" in html


def test_the_review_page_shows_changes_and_team_differences_with_escaped_text(
    client, alice, bob, vera, empathy_map
):
    note_create(actor=bob, map_id=empathy_map.pk, section="pains", text="Old news")
    map_mark_reviewed(actor=alice, map_id=empathy_map.pk)
    note_create(
        actor=bob, map_id=empathy_map.pk, section="pains", text="<b>Bold</b> & co", team="sales"
    )
    html = logged_in(client, vera).get(f"/maps/{empathy_map.pk}/review/").content.decode()
    assert "Changes since the last review" in html
    assert "Last marked reviewed" in html and "by alice" in html
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; co" in html
    assert "<b>Bold</b>" not in html
    assert "Notes touched" in html and "Created</strong> by bob" in html
    assert "Where teams see the customer differently" in html
    assert '<th scope="rowgroup" rowspan="2" class="group-head">Pains' in html
    assert '<th scope="row">Sales</th>' in html


def test_the_review_page_flags_teams_that_differ(client, vera, empathy_map):
    source = SourceFactory(workspace=empathy_map.workspace)
    for text in ["Loves dashboards", "Checks numbers daily"]:
        NoteFactory(map=empathy_map, section="feels", team="marketing", text=text)
    for text in ["Hates charts", "Trusts her accountant"]:
        LinkFactory(
            note=NoteFactory(map=empathy_map, section="feels", team="research", text=text),
            evidence=EvidenceFactory(source=source),
        )
    NoteFactory(map=empathy_map, section="gains", team="marketing", text="Wants a mobile app")
    html = logged_in(client, vera).get(f"/maps/{empathy_map.pk}/review/").content.decode()
    assert "teams differ" in html
    feels = "Mostly assumptions: Marketing (2 of 2). Mostly supported: Research (2 of 2)."
    whole_map = "Mostly assumptions: Marketing (3 of 3). Mostly supported: Research (2 of 2)."
    assert f"<strong>Feels:</strong> {feels}" in html
    assert f"<strong>Whole map:</strong> {whole_map}" in html


def test_a_lead_marks_the_map_reviewed_from_the_review_page(client, alice, bob, empathy_map):
    note_create(actor=bob, map_id=empathy_map.pk, section="pains", text="Old news")
    page = logged_in(client, alice).get(f"/maps/{empathy_map.pk}/review/").content.decode()
    assert "Changes so far" in page and "Mark reviewed" in page
    response = client.post(f"/maps/{empathy_map.pk}/review/", follow=True)
    html = response.content.decode()
    assert "Marked reviewed. Changes from now on will show here." in html
    assert "Changes since the last review" in html and "by alice" in html
    assert "Nothing has changed since then." in html
    empathy_map.refresh_from_db()
    assert empathy_map.reviewed_by == alice


def test_only_leads_see_or_use_mark_reviewed(client, vera, empathy_map):
    page = logged_in(client, vera).get(f"/maps/{empathy_map.pk}/review/").content.decode()
    assert "Mark reviewed" not in page
    assert client.post(f"/maps/{empathy_map.pk}/review/").status_code == 403
    empathy_map.refresh_from_db()
    assert empathy_map.reviewed_seq is None


def test_the_review_page_explains_a_since_it_cannot_read(client, vera, empathy_map):
    response = logged_in(client, vera).get(
        f"/maps/{empathy_map.pk}/review/", {"since": "<script>soon"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "is not a date we can read" in html
    assert "&lt;script&gt;soon" in html and "<script>soon" not in html
    assert "Changes so far" in html  # no review yet: the map's whole life


def test_the_review_page_shows_changes_since_a_chosen_time(client, bob, vera, empathy_map):
    note_create(actor=bob, map_id=empathy_map.pk, section="pains", text="Receipts get lost")
    response = logged_in(client, vera).get(
        f"/maps/{empathy_map.pk}/review/", {"since": "2000-01-02T03:04"}
    )
    html = response.content.decode()
    assert "Changes since 2 Jan 2000, 03:04" in html
    assert "Receipts get lost" in html


def test_the_review_page_is_hidden_from_outsiders(client, mallory, empathy_map):
    assert logged_in(client, mallory).get(f"/maps/{empathy_map.pk}/review/").status_code == 404


def test_a_lead_renames_a_map(client, alice, empathy_map):
    response = logged_in(client, alice).post(
        f"/maps/{empathy_map.pk}/settings/",
        {"title": "Finance leads, Q3", "persona": "Priya", "description": "", "freshness_days": 90},
    )
    assert response.status_code == 302
    empathy_map.refresh_from_db()
    assert (empathy_map.title, empathy_map.freshness_days) == ("Finance leads, Q3", 90)
    assert empathy_map.seq == 1


def test_a_lead_archives_and_unarchives_a_map(client, alice, empathy_map):
    client = logged_in(client, alice)
    client.post(f"/maps/{empathy_map.pk}/settings/", {"action": "archive"})
    assert EmpathyMap.objects.get(pk=empathy_map.pk).archived
    client.post(f"/maps/{empathy_map.pk}/settings/", {"action": "unarchive"})
    assert not EmpathyMap.objects.get(pk=empathy_map.pk).archived


def test_an_editor_cannot_open_map_settings(client, bob, empathy_map):
    assert logged_in(client, bob).get(f"/maps/{empathy_map.pk}/settings/").status_code == 403


def test_the_library_lists_and_searches_evidence(client, vera, workspace):
    source = SourceFactory(workspace=workspace, title="Interview with Priya")
    EvidenceFactory(source=source, text="Month-end close takes three days")
    EvidenceFactory(source=source, text="Loves the mobile app")
    client = logged_in(client, vera)
    html = client.get("/w/acme/evidence/").content.decode()
    assert "Month-end close takes three days" in html and "Loves the mobile app" in html
    html = client.get("/w/acme/evidence/?q=close+days").content.decode()
    assert "Month-end close takes three days" in html and "Loves the mobile app" not in html
    assert "Add a source" not in html


def test_the_library_is_hidden_from_outsiders(client, mallory, workspace):
    assert logged_in(client, mallory).get("/w/acme/evidence/").status_code == 404


def test_a_researcher_adds_a_segment_a_source_and_evidence(client, rita, workspace):
    client = logged_in(client, rita)
    client.post("/w/acme/evidence/", {"action": "segment", "seg-name": "Agencies"})
    segment = Segment.objects.get(workspace=workspace)
    client.post(
        "/w/acme/evidence/",
        {
            "action": "source",
            "src-kind": "interview",
            "src-title": "Call with Priya",
            "src-collected_on": "2025-05-01",
            "src-segment": segment.pk,
        },
    )
    source = Source.objects.get(workspace=workspace)
    response = client.post(
        "/w/acme/evidence/",
        {"action": "evidence", "ev-source": source.pk, "ev-text": "Closes the books by hand"},
    )
    assert response.status_code == 302
    evidence = Evidence.objects.get(source=source)
    assert (evidence.text, str(evidence.collected_on)) == ("Closes the books by hand", "2025-05-01")


def test_a_viewer_cannot_add_evidence(client, vera, workspace):
    response = logged_in(client, vera).post(
        "/w/acme/evidence/", {"action": "segment", "seg-name": "Agencies"}
    )
    assert response.status_code == 403  # a member without the role, as over the API
    assert not Segment.objects.exists()


def test_an_archived_library_is_read_only(client, rita, workspace):
    workspace.archived = True
    workspace.save()
    page = logged_in(client, rita).get("/w/acme/evidence/").content.decode()
    assert "This workspace is archived: its evidence is read-only." in page
    assert "Import a file" not in page
    response = client.post(
        "/w/acme/evidence/", {"action": "segment", "seg-name": "Agencies"}, follow=True
    )
    assert "its evidence is read-only" in response.content.decode()
    assert not Segment.objects.exists()


def test_a_researcher_imports_a_support_export_and_sees_the_report(client, rita, workspace):
    export = (
        b"Ticket ID,Created,Subject,Body,Plan\n"
        b"1,2025-05-02,Export fails,The CSV export times out,Agency\n"
        b"2,2025-05-03,Invoices,Cannot find last month's invoices,Agency\n"
    )
    upload = SimpleUploadedFile("tickets.csv", export, content_type="text/csv")
    SegmentFactory(workspace=workspace, name="agency")  # matched ignoring case, not asked about
    response = logged_in(client, rita).post(
        "/w/acme/evidence/", {"action": "import", "imp-format": "support_csv", "imp-file": upload}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Import finished" in html
    assert Evidence.objects.filter(workspace=workspace).count() == 2


def test_evidence_detail_lists_the_notes_it_supports(client, vera, empathy_map):
    note = NoteFactory(map=empathy_map, text="Month end is stressful")
    evidence = EvidenceFactory(source=SourceFactory(workspace=empathy_map.workspace))
    LinkFactory(note=note, evidence=evidence)
    response = logged_in(client, vera).get(f"/w/acme/evidence/{evidence.pk}/")
    assert response.status_code == 200
    assert "Month end is stressful" in response.content.decode()


def test_evidence_detail_of_another_workspace_is_not_found(client, mallory, workspace):
    evidence = EvidenceFactory(source=SourceFactory(workspace=workspace))
    response = logged_in(client, mallory).get(f"/w/elsewhere/evidence/{evidence.pk}/")
    assert response.status_code == 404


def test_the_board_shows_the_maps_description_as_text(client, vera, empathy_map):
    empathy_map.description = "Who: <b>finance leads</b>\nWhy: the Q3 plan"
    empathy_map.save()
    html = logged_in(client, vera).get(f"/maps/{empathy_map.pk}/").content.decode()
    assert (
        '<p class="map-description" id="map-description">Who: &lt;b&gt;finance leads&lt;/b&gt;\n'
        "Why: the Q3 plan</p>"
    ) in html


def test_a_researcher_corrects_and_deletes_evidence_from_its_page(client, rita, empathy_map):
    evidence = EvidenceFactory(
        source=SourceFactory(workspace=empathy_map.workspace), text="Closes by hand"
    )
    LinkFactory(note=NoteFactory(map=empathy_map), evidence=evidence)
    page_url = f"/w/acme/evidence/{evidence.pk}/"
    page = logged_in(client, rita).get(page_url).content.decode()
    assert "Correct or delete this evidence" in page
    assert "It is unlinked from 1 note, which may then count as assumptions." in page

    response = client.post(
        page_url, {"action": "update", "edit-text": "   ", "edit-url": "nope"}, follow=True
    )
    assert "This field is required." in response.content.decode()
    response = client.post(
        page_url,
        {
            "action": "update",
            "edit-text": "Closes the books by hand",
            "edit-locator": "p. 4",
            "edit-collected_on": "2026-11-01",
        },
        follow=True,
    )
    assert "Evidence corrected." in response.content.decode()
    evidence.refresh_from_db()
    assert (evidence.text, evidence.locator) == ("Closes the books by hand", "p. 4")
    assert str(evidence.collected_on) == "2026-11-01"

    response = client.post(page_url, {"action": "delete"}, follow=True)
    assert "Evidence deleted, and unlinked from 1 note." in response.content.decode()
    assert not Evidence.objects.filter(pk=evidence.pk).exists()


def test_viewers_see_no_evidence_controls_and_cannot_post(client, vera, workspace):
    evidence = EvidenceFactory(source=SourceFactory(workspace=workspace))
    page_url = f"/w/acme/evidence/{evidence.pk}/"
    assert "Correct or delete" not in logged_in(client, vera).get(page_url).content.decode()
    assert client.post(page_url, {"action": "delete"}).status_code == 403
    assert Evidence.objects.filter(pk=evidence.pk).exists()


def test_changes_since_a_chosen_time_say_so_not_since_the_review(client, alice, bob, empathy_map):
    note_create(actor=bob, map_id=empathy_map.pk, section="pains", text="Receipts get lost")
    map_mark_reviewed(actor=alice, map_id=empathy_map.pk)
    html = (
        logged_in(client, alice)
        .get(f"/maps/{empathy_map.pk}/review/", {"since": "2000-01-02"})
        .content.decode()
    )
    assert "2 changes since 2 Jan 2000, 00:00 UTC." in html
    assert "since then" not in html


def test_a_read_only_map_offers_no_review_checkpoint(client, alice, empathy_map):
    empathy_map.workspace.archived = True
    empathy_map.workspace.save()
    html = logged_in(client, alice).get(f"/maps/{empathy_map.pk}/review/").content.decode()
    assert "Mark reviewed" not in html
    settings_page = client.get(f"/maps/{empathy_map.pk}/settings/").content.decode()
    assert "is archived: this map cannot change." in settings_page


def test_evidence_changes_in_an_archived_workspace_say_why(client, rita, workspace):
    evidence = EvidenceFactory(source=SourceFactory(workspace=workspace), text="Kept")
    workspace.archived = True
    workspace.save()
    page_url = f"/w/acme/evidence/{evidence.pk}/"
    response = logged_in(client, rita).post(
        page_url, {"action": "update", "edit-text": "Changed"}, follow=True
    )
    html = response.content.decode()
    assert "This workspace is archived: its evidence is read-only." in html
    assert "Correct or delete" not in html
    evidence.refresh_from_db()
    assert evidence.text == "Kept"
