"""GET /api/v1/notes/{id}/suggestions/: unlinked evidence of the workspace, most relevant first.

Evidence is ranked by its words and by its meaning (all-MiniLM-L6-v2 vectors), fused by
reciprocal rank. The model is loaded once per test process.
"""

import io

import numpy as np
import pytest
from django.core.management import call_command

from research import embeddings, selectors, services
from research.models import Evidence
from tests.factories import (
    EvidenceFactory,
    LinkFactory,
    NoteFactory,
    SourceFactory,
    WorkspaceFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def note(empathy_map):
    return NoteFactory(
        map=empathy_map, section="pains", text="Losing paper receipts before the tax deadline"
    )


@pytest.fixture
def evidence(workspace):
    source = SourceFactory(workspace=workspace, kind="support_ticket")

    def add(text, *, embedded=True):
        # As evidence_create stores it; `embedded=False` is an item an import has not reached.
        vector = embeddings.to_bytes(embeddings.embed([text])[0]) if embedded else None
        return EvidenceFactory(source=source, text=text, embedding=vector)

    return add


def suggestions(api, user, note):
    return api(user).get(f"/api/v1/notes/{note.pk}/suggestions/")


def test_the_most_relevant_evidence_comes_first(api, vera, note, evidence):
    evidence("The bank feed disconnected again")
    one_word = evidence("Where do I upload a receipt?")
    best = evidence("I keep losing paper receipts; at tax time I panic about the deadline")
    response = suggestions(api, vera, note)
    assert response.status_code == 200, response.data
    results = response.data["results"]
    assert [result["evidence"]["id"] for result in results[:2]] == [best.pk, one_word.pk]
    assert results[0]["score"] > results[1]["score"] > 0
    assert set(results[0]["matched"]) >= {"losing", "paper", "receipts", "tax", "deadline"}
    assert results[1]["matched"] == ["receipts"]
    assert results[1]["reason"] == "matching words: receipts"
    assert results[0]["evidence"]["text"] == best.text
    assert results[0]["evidence"]["kind"] == "support_ticket"


def test_linked_evidence_is_not_suggested(api, vera, note, evidence):
    linked = evidence("Paper receipts get lost before the tax deadline")
    other = evidence("Receipts are lost all the time")
    LinkFactory(note=note, evidence=linked)
    ids = [result["evidence"]["id"] for result in suggestions(api, vera, note).data["results"]]
    assert ids == [other.pk]


def test_evidence_of_other_workspaces_is_never_suggested(api, vera, note, evidence):
    elsewhere = SourceFactory(workspace=WorkspaceFactory(slug="other"))
    EvidenceFactory(source=elsewhere, text="Losing paper receipts before the tax deadline")
    mine = evidence("receipts")
    ids = [result["evidence"]["id"] for result in suggestions(api, vera, note).data["results"]]
    assert ids == [mine.pk]


def test_unrelated_evidence_is_left_out(api, vera, note, evidence):
    evidence("The mobile app logs me out every morning")
    assert suggestions(api, vera, note).data["results"] == []


def test_at_most_twenty(api, vera, note, evidence):
    for number in range(25):
        evidence(f"Receipt number {number} went missing")
    assert len(suggestions(api, vera, note).data["results"]) == 20


def test_outsiders_get_404(api, mallory, note):
    assert suggestions(api, mallory, note).status_code == 404
    assert suggestions_for_missing(api, mallory).status_code == 404


def suggestions_for_missing(api, user):
    return api(user).get("/api/v1/notes/999999/suggestions/")


def test_a_big_workspace_is_prefiltered_to_evidence_sharing_a_word(
    api, vera, note, evidence, monkeypatch
):
    monkeypatch.setattr(selectors, "SUGGESTION_CANDIDATES", 3)
    for number in range(5):
        evidence(f"Onboarding call number {number}")
    match = evidence("Receipts vanish before the deadline")
    ids = [result["evidence"]["id"] for result in suggestions(api, vera, note).data["results"]]
    assert ids == [match.pk]


def test_suggestions_take_a_fixed_number_of_queries(
    api, vera, note, evidence, django_assert_max_num_queries
):
    for number in range(40):
        evidence(f"Receipt {number} was lost before the tax deadline")
    with django_assert_max_num_queries(8):
        response = suggestions(api, vera, note)
    assert len(response.data["results"]) == 20


def test_evidence_that_shares_no_word_but_means_the_same_is_suggested(
    api, vera, empathy_map, evidence
):
    note = NoteFactory(map=empathy_map, section="pains", text="Too many alerts at night")
    evidence("The invoice PDF uses the wrong colour")
    paraphrase = evidence("my phone keeps buzzing with pings after 11pm")

    results = suggestions(api, vera, note).data["results"]

    assert [result["evidence"]["id"] for result in results] == [paraphrase.pk]
    assert results[0]["matched"] == []
    assert results[0]["reason"] == "similar meaning"
    assert results[0]["score"] > 0


def test_evidence_found_by_words_and_meaning_ranks_above_either_alone(
    api, vera, empathy_map, evidence
):
    note = NoteFactory(map=empathy_map, section="pains", text="Too many alerts at night")
    by_meaning = evidence("my phone keeps buzzing with pings after 11pm")
    by_both = evidence("So many alerts late at night that I mute the app")

    ids = [result["evidence"]["id"] for result in suggestions(api, vera, note).data["results"]]

    assert ids == [by_both.pk, by_meaning.pk]


def test_a_blank_note_gets_no_suggestions(api, vera, empathy_map, evidence):
    note = NoteFactory(map=empathy_map, section="pains", text="   ")
    evidence("my phone keeps buzzing with pings after 11pm")

    assert suggestions(api, vera, note).data["results"] == []


def test_evidence_not_yet_embedded_is_still_suggested_by_its_words(api, vera, note, evidence):
    waiting = evidence("Receipts vanish before the deadline", embedded=False)

    results = suggestions(api, vera, note).data["results"]

    assert [result["evidence"]["id"] for result in results] == [waiting.pk]
    assert results[0]["reason"] == "matching words: receipts, deadline"


def test_a_big_workspace_still_compares_every_item_by_meaning(
    api, vera, empathy_map, evidence, monkeypatch
):
    monkeypatch.setattr(selectors, "SUGGESTION_CANDIDATES", 3)
    note = NoteFactory(map=empathy_map, section="pains", text="Too many alerts at night")
    for number in range(5):
        evidence(f"Onboarding call number {number}")
    paraphrase = evidence("my phone keeps buzzing with pings after 11pm")

    ids = [result["evidence"]["id"] for result in suggestions(api, vera, note).data["results"]]

    assert ids == [paraphrase.pk]


def test_created_evidence_is_embedded_at_once(api, rita, workspace):
    source = SourceFactory(workspace=workspace, kind="interview")
    text = "I photograph receipts on Sunday night"

    response = api(rita).post("/api/v1/evidence/", {"source": source.pk, "text": text})

    assert response.status_code == 201, response.data
    stored = Evidence.objects.get(pk=response.data["id"]).embedding
    vector = embeddings.from_bytes([stored])[0]
    assert len(stored) == embeddings.VECTOR_BYTES
    assert np.allclose(vector, embeddings.embed([text])[0], atol=1e-6)


SUPPORT_CSV = (
    "Ticket ID,Created At,Subject,Description\n"
    "9001,2026-03-02,Night pings,My phone keeps buzzing with pings after 11pm\n"
    "9002,2026-03-03,Invoice colour,The invoice PDF uses the wrong colour\n"
)


def import_support_csv(rita, workspace):
    return services.evidence_import(
        actor=rita, workspace_slug=workspace.slug, fmt="support_csv", data=SUPPORT_CSV.encode()
    )


def test_imported_evidence_is_embedded_by_the_backfill_command(
    api, rita, vera, empathy_map, workspace, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = import_support_csv(rita, workspace)
    assert report.created == 2
    assert len(callbacks) == 1  # the embedding task, enqueued once the import commits
    assert not Evidence.objects.filter(embedding__isnull=False).exists()

    output = io.StringIO()
    call_command("embed_evidence", "--workspace", workspace.slug, stdout=output)

    assert output.getvalue().startswith("embedded 2 evidence item(s)")

    assert not Evidence.objects.filter(embedding__isnull=True).exists()
    note = NoteFactory(map=empathy_map, section="pains", text="Too many alerts at night")
    pings = Evidence.objects.get(external_key="9001")
    results = suggestions(api, vera, note).data["results"]
    assert [result["evidence"]["id"] for result in results] == [pings.pk]


def test_the_note_is_compared_by_its_text_and_its_section_view(
    api, vera, note, evidence, monkeypatch
):
    only_meaning = evidence("Tax season is a nightmare of lost slips")
    asked = []
    real = embeddings.embed_note

    def spy(text, section):
        asked.append((text, section))
        return real(text, section)

    monkeypatch.setattr(embeddings, "embed_note", spy)

    response = suggestions(api, vera, note)

    assert response.status_code == 200, response.data
    assert asked == [(note.text, "pains")]
    found = [result["evidence"]["id"] for result in response.data["results"]]
    assert only_meaning.pk in found
