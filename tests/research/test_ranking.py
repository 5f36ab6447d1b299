"""The evidence ranker behind `GET /api/v1/notes/{id}/suggestions/`: pure, so no database."""

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from research.ranking import (
    Suggestion,
    rank_evidence,
    recall_at_k,
    reciprocal_rank,
    stem,
    tokenize,
)

LABELED = Path(__file__).resolve().parent.parent / "data" / "suggestions" / "labeled.json"
SECTIONS = {"says", "thinks", "does", "feels", "goals", "pains", "gains", "sees", "hears"}
# Measured: recall@5 0.671, MRR 0.909 (docs/suggestions.md). The floors leave a little room.
RECALL_AT_5_FLOOR = 0.62
MRR_FLOOR = 0.85


def ids(suggestions: list[Suggestion]) -> list[int]:
    return [s.evidence_id for s in suggestions]


def test_it_stems_plurals_and_irregular_forms_together():
    assert stem("receipts") == stem("receipt") == stem("Receipt")
    assert stem("paid") == stem("pay") == stem("paying")
    assert stem("expensive") != stem("expense")


def test_it_finds_a_receipt_for_a_note_about_receipts():
    suggestions = rank_evidence("Receipts go missing", [(1, "I lost the receipt again")])

    assert ids(suggestions) == [1]
    assert "receipts" in suggestions[0].matched


def test_it_tokenizes_unicode_without_stop_words_or_possessives():
    assert tokenize("The client\u2019s Café receipts don't ADD up; Zoë's 2FA") == [
        "client",
        "café",
        "receipts",
        "add",
        "zoë",
        "2fa",
    ]


def test_it_reports_matched_note_words_as_typed_in_note_order_once_each():
    note = "Exporting receipts at Month end: receipts, receipts"
    suggestions = rank_evidence(note, [(1, "At the end of every month I export each receipt")])

    assert suggestions[0].matched == ["exporting", "receipts", "month", "end"]


def test_it_matches_related_words_below_exact_ones():
    candidates = [(1, "Lost the paper slip from the hardware store"), (2, "Lost the receipt")]

    suggestions = rank_evidence("Receipts", candidates)

    assert ids(suggestions) == [2, 1]
    assert suggestions[1].matched == ["receipts"]
    assert suggestions[1].score < suggestions[0].score


def test_it_matches_a_misspelled_word():
    suggestions = rank_evidence("Receipts pile up", [(1, "a shoebox full of reciepts")])

    assert ids(suggestions) == [1]
    assert suggestions[0].matched == ["receipts"]


def test_it_leaves_out_evidence_with_nothing_in_common():
    candidates = [(1, "Invoices land in spam"), (2, "Dark mode on desktop, please")]

    assert ids(rank_evidence("Invoices end up in the spam folder", candidates)) == [1]


def test_it_breaks_ties_by_ascending_id():
    candidates = [(9, "Export to CSV"), (2, "Export to CSV"), (5, "Export to CSV")]

    suggestions = rank_evidence("CSV export", candidates)

    assert ids(suggestions) == [2, 5, 9]
    assert len({s.score for s in suggestions}) == 1


def test_it_returns_at_most_the_limit():
    candidates = [(n, f"Bank feed dropped again, ticket {n}") for n in range(1, 31)]

    assert len(rank_evidence("Bank feed drops", candidates)) == 20
    assert ids(rank_evidence("Bank feed drops", candidates, limit=3)) == [1, 2, 3]
    assert rank_evidence("Bank feed drops", candidates, limit=0) == []


def test_it_suggests_nothing_for_an_empty_note():
    candidates = [(1, "The bank feed dropped"), (2, "It is what it is")]

    assert rank_evidence("", candidates) == []
    assert rank_evidence("   ", candidates) == []
    assert rank_evidence("It is what it is", candidates) == []


def test_it_suggests_nothing_without_candidates():
    assert rank_evidence("Bank feed drops", []) == []


def test_a_repeated_id_keeps_its_first_text():
    candidates = [(1, "Dark mode please"), (1, "Bank feed dropped"), (2, "Bank feed dropped")]

    assert ids(rank_evidence("Bank feed drops", candidates)) == [2]


def test_recall_counts_what_could_fit_in_the_top_k():
    assert recall_at_k([1, 2, 3, 4, 5, 6], [2, 6, 9]) == 1 / 3
    assert recall_at_k([1, 2, 3, 4, 5], range(1, 11)) == 1.0
    assert recall_at_k([], [1]) == 0.0


def test_reciprocal_rank_is_one_over_the_first_relevant_rank():
    assert reciprocal_rank([4, 7, 1], [1, 7]) == 0.5
    assert reciprocal_rank([4], [1]) == 0.0


def load_labeled() -> dict:
    return json.loads(LABELED.read_text(encoding="utf-8"))


def test_the_labeled_set_is_well_formed():
    labeled = load_labeled()
    evidence_ids = [item["id"] for item in labeled["evidence"]]
    note_ids = [note["id"] for note in labeled["notes"]]

    assert len(evidence_ids) == len(set(evidence_ids)) >= 120
    assert len(note_ids) == len(set(note_ids)) >= 24
    assert {note["section"] for note in labeled["notes"]} == SECTIONS
    for note in labeled["notes"]:
        assert 1 <= len(note["relevant"]) <= 6
        assert set(note["relevant"]) <= set(evidence_ids)


def test_it_finds_the_labeled_evidence_well_enough():
    labeled = load_labeled()
    candidates = [(item["id"], item["text"]) for item in labeled["evidence"]]
    recalls, reciprocal_ranks = [], []
    for note in labeled["notes"]:
        ranked = ids(rank_evidence(note["text"], candidates))
        recalls.append(recall_at_k(ranked, note["relevant"]))
        reciprocal_ranks.append(reciprocal_rank(ranked, note["relevant"]))

    assert sum(recalls) / len(recalls) >= RECALL_AT_5_FLOOR
    assert sum(reciprocal_ranks) / len(reciprocal_ranks) >= MRR_FLOOR


WORDS = st.sampled_from(
    ["receipt", "receipts", "reciept", "slip", "expense", "cost", "slow", "wait", "hours"]
    + ["export", "csv", "bank", "feed", "the", "a", "of", "not", "paid", "pay", "invoice"]
    + ["invoices", "spam", "late", "night", "crew", "café", "2fa", "Receipt's", "RECEIPTS"]
)
TEXTS = st.lists(WORDS, max_size=12).map(" ".join)


@given(
    note=TEXTS,
    candidates=st.lists(st.tuples(st.integers(-5, 40), TEXTS), max_size=30),
    limit=st.integers(0, 25),
)
def test_scores_are_positive_rounded_and_descending_with_unique_ids(note, candidates, limit):
    suggestions = rank_evidence(note, candidates, limit=limit)

    assert len(suggestions) <= limit
    assert len(set(ids(suggestions))) == len(suggestions)
    assert {s.evidence_id for s in suggestions} <= {evidence_id for evidence_id, _ in candidates}
    keys = [(-s.score, s.evidence_id) for s in suggestions]
    assert keys == sorted(keys)
    note_words = set(tokenize(note))
    for suggestion in suggestions:
        assert suggestion.score > 0
        assert suggestion.score == round(suggestion.score, 4)
        assert suggestion.matched
        assert set(suggestion.matched) <= note_words


def test_the_held_out_sets_are_well_formed():
    for name in ["heldout.json", "heldout2.json"]:
        data = json.loads((LABELED.parent / name).read_text(encoding="utf-8"))
        evidence_ids = [item["id"] for item in data["evidence"]]
        assert len(evidence_ids) == len(set(evidence_ids)) >= 140, name
        assert len(data["notes"]) >= 40, name
        assert {note["section"] for note in data["notes"]} == SECTIONS, name
        for note in data["notes"]:
            assert 1 <= len(note["relevant"]) <= 6, (name, note["id"])
            assert set(note["relevant"]) <= set(evidence_ids), (name, note["id"])


@pytest.mark.parametrize("name", ["heldout3.json", "heldout4.json"])
def test_the_blind_sets_are_well_formed(name):
    # Written by someone who had not seen the ranker; some notes have more than 6 labels.
    data = json.loads((LABELED.parent / name).read_text(encoding="utf-8"))
    evidence_ids = [item["id"] for item in data["evidence"]]
    assert len(evidence_ids) == len(set(evidence_ids)) >= 140
    assert len(data["notes"]) >= 40
    assert {note["section"] for note in data["notes"]} <= SECTIONS
    for note in data["notes"]:
        assert note["relevant"]
        assert set(note["relevant"]) <= set(evidence_ids)


# Every set's floors ---------------------------------------------------------------------------

# Measured on 2026-12-06 (bench/suggestions_eval.py --data ... --semantic; docs/suggestions.md):
# (recall@5, MRR) of the word ranker alone and of the product (the word ranker fused with
# all-MiniLM-L6-v2 cosine of the note and its section view). Each floor is the measured value
# less 0.03, so that a change that makes any set worse by more than about one note fails.
# heldout3.json and heldout4.json are the blind sets: each was run with the final ranker
# (heldout4.json once, aggregate output only), never tuned on.
MEASURED = {
    # set: ((word ranker recall@5, MRR), (product recall@5, MRR))
    "labeled.json": ((0.671, 0.909), (0.726, 0.870)),
    "heldout.json": ((0.516, 0.735), (0.689, 0.830)),
    "heldout2.json": ((0.643, 0.821), (0.745, 0.887)),
    "heldout3.json": ((0.442, 0.851), (0.491, 0.892)),
    "heldout4.json": ((0.527, 0.757), (0.578, 0.795)),
}
MARGIN = 0.03


def evaluate(data: dict, rank) -> tuple[float, float]:
    candidates = [(item["id"], item["text"]) for item in data["evidence"]]
    recalls, reciprocal_ranks = [], []
    for note in data["notes"]:
        ranked = rank(note, candidates)
        recalls.append(recall_at_k(ranked, note["relevant"]))
        reciprocal_ranks.append(reciprocal_rank(ranked, note["relevant"]))
    return sum(recalls) / len(recalls), sum(reciprocal_ranks) / len(reciprocal_ranks)


@pytest.mark.parametrize("name", sorted(MEASURED))
def test_the_word_ranker_keeps_its_measured_level_on_every_set(name):
    data = json.loads((LABELED.parent / name).read_text(encoding="utf-8"))
    (recall_floor, mrr_floor), _ = (tuple(v - MARGIN for v in pair) for pair in MEASURED[name])

    recall, mrr = evaluate(data, lambda note, c: ids(rank_evidence(note["text"], c)))

    assert recall >= recall_floor
    assert mrr >= mrr_floor


@pytest.fixture(scope="module")
def model():
    from research import embeddings

    return embeddings.load_model()


@pytest.mark.parametrize("name", sorted(MEASURED))
def test_the_product_keeps_its_measured_level_on_every_set(name, model):
    from research.embeddings import fuse_suggestions, note_query_vector

    data = json.loads((LABELED.parent / name).read_text(encoding="utf-8"))
    vectors = model.encode([item["text"] for item in data["evidence"]])
    evidence_ids = [item["id"] for item in data["evidence"]]
    _, (recall_floor, mrr_floor) = (tuple(v - MARGIN for v in pair) for pair in MEASURED[name])

    def rank(note, candidates):
        words = rank_evidence(note["text"], candidates, limit=len(candidates))
        query = note_query_vector(model, note["text"], note["section"])
        cosines = zip(evidence_ids, (vectors @ query).tolist(), strict=True)
        return [item.evidence_id for item in fuse_suggestions(words, cosines)]

    recall, mrr = evaluate(data, rank)

    assert recall >= recall_floor
    assert mrr >= mrr_floor
