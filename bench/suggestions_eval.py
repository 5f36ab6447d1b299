"""Measure the evidence suggestions on the labeled Ledgerly set, against a plain baseline.

Run from the project root: `.venv/bin/python bench/suggestions_eval.py` (no Django needed).
Prints recall@5 and MRR for the ranker, for its parts, and for a token-overlap baseline, then
the time to rank 5,000 made-up candidates of about 300 characters. `--per-note` also lists
each note's recall@5 and reciprocal rank.
"""

import json
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from research.ranking import (  # noqa: E402
    Weights,
    _stem_lower,
    rank_evidence,
    recall_at_k,
    reciprocal_rank,
    tokenize,
)

LABELED = ROOT / "tests" / "data" / "suggestions" / "labeled.json"
Ranker = Callable[[str, Sequence[tuple[int, str]]], list[int]]


def load_labeled(path: Path = LABELED) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def overlap_baseline(note_text: str, candidates: Sequence[tuple[int, str]]) -> list[int]:
    """Ids by how many distinct note words each text contains, exact words, ties by id."""
    note_words = set(tokenize(note_text))
    overlaps = [(len(note_words & set(tokenize(text))), id_) for id_, text in candidates]
    return [id_ for overlap, id_ in sorted(overlaps, key=lambda o: (-o[0], o[1])) if overlap]


def ranker(**weights: float) -> Ranker:
    """The ranker with some of its default weights replaced."""
    chosen = replace(Weights(), **weights)

    def rank(note_text: str, candidates: Sequence[tuple[int, str]]) -> list[int]:
        return [s.evidence_id for s in rank_evidence(note_text, candidates, weights=chosen)]

    return rank


def evaluate(rank: Ranker, labeled: dict, k: int = 5) -> tuple[float, float]:
    """Mean recall@k and mean reciprocal rank over the labeled notes."""
    candidates = [(item["id"], item["text"]) for item in labeled["evidence"]]
    recalls, reciprocal_ranks = [], []
    for note in labeled["notes"]:
        ranked = rank(note["text"], candidates)
        recalls.append(recall_at_k(ranked, note["relevant"], k))
        reciprocal_ranks.append(reciprocal_rank(ranked, note["relevant"]))
    return sum(recalls) / len(recalls), sum(reciprocal_ranks) / len(reciprocal_ranks)


def large_library(count: int = 5000, new_words: int = 10_000, seed: int = 7) -> list:
    """`count` made-up candidates of about 300 characters: the labeled set's words plus
    `new_words` invented ones, so the vocabulary is as large as a real library's."""
    rng = random.Random(seed)
    words = " ".join(item["text"] for item in load_labeled()["evidence"]).split()
    letters = "abcdefghijklmnopqrstuvwxyz"
    words += ["".join(rng.choices(letters, k=rng.randint(4, 10))) for _ in range(new_words)]
    candidates = []
    for evidence_id in range(1, count + 1):
        text = ""
        while len(text) < 300:
            text += rng.choice(words) + " "
        candidates.append((evidence_id, text))
    return candidates


def seconds_to_rank(note_text: str, candidates: list) -> float:
    started = time.perf_counter()
    rank_evidence(note_text, candidates)
    return time.perf_counter() - started


def main() -> None:
    labeled = load_labeled()
    rows = [
        ("token overlap (baseline)", overlap_baseline),
        ("BM25 on stems", ranker(concept=0, variant=0, fuzzy=0, light=1, coverage=0)),
        ("  + vague words down-weighted", ranker(concept=0, variant=0, fuzzy=0, coverage=0)),
        ("  + coverage factor", ranker(concept=0, variant=0, fuzzy=0)),
        ("  + spelling", ranker(concept=0)),
        ("  + concepts = the ranker", ranker()),
        ("the ranker without spelling", ranker(variant=0, fuzzy=0)),
    ]
    notes, evidence = len(labeled["notes"]), len(labeled["evidence"])
    print(f"{notes} notes, {evidence} evidence items")
    print(f"{'method':<36} {'recall@5':>8} {'MRR':>6}")
    for name, rank in rows:
        recall, mrr = evaluate(rank, labeled)
        print(f"{name:<36} {recall:>8.3f} {mrr:>6.3f}")

    if "--per-note" in sys.argv:
        candidates = [(item["id"], item["text"]) for item in labeled["evidence"]]
        print(f"\n{'note':<5} {'recall@5':>8} {'RR':>5}  text")
        for note in labeled["notes"]:
            ranked = ranker()(note["text"], candidates)
            recall = recall_at_k(ranked, note["relevant"])
            rr = reciprocal_rank(ranked, note["relevant"])
            print(f"{note['id']:<5} {recall:>8.2f} {rr:>5.2f}  {note['text']}")

    candidates = large_library()
    note = "Reconciling receipts at month end takes hours"
    _stem_lower.cache_clear()
    cold = seconds_to_rank(note, candidates)
    warm = seconds_to_rank(note, candidates)
    print(
        f"\nranking {len(candidates):,} candidates of ~300 characters: "
        f"{cold:.3f} s with no stems cached, {warm:.3f} s after"
    )


if __name__ == "__main__":
    main()
