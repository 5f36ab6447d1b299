"""Full-text search of evidence: PostgreSQL English full-text search, or a crude fallback.

On PostgreSQL the query is `to_tsvector('english', text) @@ plainto_tsquery('english', q)`, ordered
by `ts_rank`; migration 0002 builds a GIN index on exactly that expression, so the match uses it.
On SQLite every word must appear, after a crude stemming, so that `receipts` still finds `receipt`.
"""

import re
from functools import reduce
from operator import or_

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import F, QuerySet

from research.models import Evidence

CONFIG = "english"
WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
# Longest first: `companies` loses `ies`, not `s`.
SUFFIXES = ("ies", "ing", "es", "ed", "s")
MIN_STEM = 3


def on_postgresql() -> bool:
    return connection.vendor == "postgresql"


def words(text: str) -> list[str]:
    return [word.lower() for word in WORD.findall(text or "")]


def crude_stem(word: str) -> str:
    """A stem good enough for a substring match: `receipts` -> `receipt`, `exported` -> `export`."""
    word = word.lower()
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
            return word[: -len(suffix)]
    return word


def evidence_vector() -> SearchVector:
    # Must stay identical to the indexed expression in migrations/0002_evidence_text_search.py.
    return SearchVector("text", config=CONFIG)


def search_evidence(queryset: QuerySet[Evidence], q: str) -> QuerySet[Evidence]:
    """Evidence matching every word of `q`, most relevant first (by date on SQLite).

    A query of punctuation alone (`%`, `"`) has no word to match, so it matches nothing.
    """
    terms = words(q)
    if not terms:
        return queryset.none() if q.strip() else queryset
    if on_postgresql():
        query = SearchQuery(" ".join(terms), search_type="plain", config=CONFIG)
        return (
            queryset.alias(search=evidence_vector())
            .filter(search=query)
            .annotate(rank=SearchRank(evidence_vector(), query))
            .order_by("-rank", "-collected_on", "-id")
        )
    for term in terms:
        queryset = queryset.filter(text__icontains=crude_stem(term))
    return queryset.order_by("-collected_on", "-id")


def any_word_matches(queryset: QuerySet[Evidence], text: str) -> QuerySet[Evidence]:
    """On PostgreSQL: evidence sharing at least one word (stemmed) with `text`, best first.

    A cheap prefilter for the ranker in big workspaces; elsewhere the queryset is unchanged.
    """
    terms = sorted(set(words(text)))
    if not terms or not on_postgresql():
        return queryset
    query = reduce(or_, (SearchQuery(term, search_type="plain", config=CONFIG) for term in terms))
    return (
        queryset.alias(search=evidence_vector())
        .filter(search=query)
        .annotate(rank=SearchRank(evidence_vector(), query))
        .order_by("-rank", F("collected_on").desc(), "-id")
    )
