"""GET /api/v1/notes/{id}/suggestions/: unlinked evidence of the workspace, most relevant first."""

import pytest

from research import selectors
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

    def add(text):
        return EvidenceFactory(source=source, text=text)

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
    assert suggestions(api, vera, note).data == {"results": []}


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
