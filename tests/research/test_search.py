"""`?q=` on evidence: every word must match, with stemming; relevance order on PostgreSQL."""

import datetime

import pytest
from django.db import connection

from research.models import Evidence
from research.search import crude_stem, search_evidence
from tests.factories import EvidenceFactory, SourceFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 1)


@pytest.fixture
def library(workspace):
    source = SourceFactory(workspace=workspace, collected_on=TODAY)

    def add(text, days_ago=0):
        return EvidenceFactory(
            source=source, text=text, collected_on=TODAY - datetime.timedelta(days=days_ago)
        )

    return add


def search(api, user, q, slug="acme"):
    response = api(user).get("/api/v1/evidence/", {"workspace": slug, "q": q})
    assert response.status_code == 200, response.data
    return [item["text"] for item in response.data]


def test_a_plural_finds_the_singular(api, vera, library):
    library("I lost the receipt for the client lunch")
    library("The bank feed dropped again")
    assert search(api, vera, "receipts") == ["I lost the receipt for the client lunch"]


def test_every_word_must_match(api, vera, library):
    library("Exporting receipts to my accountant takes forever")
    library("Receipts pile up in a shoebox")
    assert search(api, vera, "receipt accountant") == [
        "Exporting receipts to my accountant takes forever"
    ]
    assert search(api, vera, "receipt unicorn") == []


def test_verb_forms_find_each_other(api, vera, library):
    library("I exported the report twice")
    assert search(api, vera, "exporting") == ["I exported the report twice"]


def test_search_is_case_insensitive_and_ignores_punctuation(api, vera, library):
    library("Invoice reminders? Never arrive.")
    assert search(api, vera, "INVOICE, reminder!") == ["Invoice reminders? Never arrive."]


@pytest.mark.parametrize("q", ["%", '"', "?!"])
def test_a_query_without_words_matches_nothing(api, vera, library, q):
    library("Invoice reminders never arrive")
    assert search(api, vera, q) == []
    assert len(search(api, vera, "  ")) == 1  # a blank query is no search at all


def test_an_unknown_kind_is_a_field_error(api, vera, library):
    response = api(vera).get("/api/v1/evidence/", {"kind": "gossip"})
    assert response.status_code == 400
    assert "kind" in response.data


def test_search_stays_inside_the_callers_workspaces(api, vera, mallory, library):
    library("receipt in acme")
    other = SourceFactory(workspace=WorkspaceFactory(slug="other"))
    EvidenceFactory(source=other, text="receipt elsewhere")
    assert search(api, vera, "receipt") == ["receipt in acme"]
    assert search(api, mallory, "receipt", slug="acme") == []


def test_search_combines_with_the_kind_filter(api, vera, workspace, library):
    library("receipt from an interview")
    usage = SourceFactory(workspace=workspace, kind="usage_data")
    EvidenceFactory(source=usage, text="receipt scans per user fell")
    response = api(vera).get("/api/v1/evidence/", {"q": "receipt", "kind": "usage_data"})
    assert [item["text"] for item in response.data] == ["receipt scans per user fell"]


def test_crude_stems_for_the_fallback():
    assert crude_stem("receipts") == "receipt"
    assert crude_stem("companies") == "compan"
    assert crude_stem("exporting") == "export"
    assert crude_stem("exported") == "export"
    assert crude_stem("uses") == "use"
    assert crude_stem("bus") == "bus"


@pytest.mark.postgres
def test_postgres_ranks_by_relevance_then_date(api, vera, library):
    library("receipt", days_ago=1)
    library("receipt receipt receipts: scanning receipts is the whole job", days_ago=30)
    library("a long story about lunch, taxis, hotels and one receipt at the end", days_ago=0)
    results = search(api, vera, "receipts")
    assert results[0] == "receipt receipt receipts: scanning receipts is the whole job"
    assert len(results) == 3


@pytest.mark.postgres
def test_postgres_uses_english_stemming(api, vera, library):
    library("Categorization of expenses is confusing")
    assert search(api, vera, "categorize expense") == ["Categorization of expenses is confusing"]


@pytest.mark.postgres
def test_postgres_search_can_use_the_gin_index(library):
    """The indexed expression is the one the query writes (a tiny table would not need it)."""
    library("receipt")
    queryset = search_evidence(Evidence.objects.all(), "receipts")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()
    assert "research_evidence_text_fts" in plan, plan
