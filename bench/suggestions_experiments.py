"""The variants tried for issue 10 ("raise the bar"), on the development sets only.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/suggestions_experiments.py

Embeds labeled.json, heldout.json and heldout2.json once (never the blind heldout3.json) and
prints recall@5 / MRR on each, and their mean, for every variant in docs/suggestions.md:
chunked evidence (sentence vectors, max), the section view of the note, pseudo-relevance
feedback on the vectors, score fusion, RRF weights and k, word-ranker weights, three-way RRF,
and a fusion learned by logistic regression, trained on two sets and measured on the third.
"""

import json
import math
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from research import embeddings  # noqa: E402
from research.ranking import (  # noqa: E402
    Weights,
    rank_evidence,
    recall_at_k,
    reciprocal_rank,
    tokenize,
)

SETS = ["labeled", "heldout", "heldout2"]
KINDS = ["support_ticket", "interview", "survey", "usage_data", "usability_test"]
SENTENCE = re.compile(r"(?<=[.!?])\s+")


def load() -> dict:
    model = embeddings.load_model()
    cache = {}
    for name in SETS:
        data = json.loads((ROOT / "tests/data/suggestions" / f"{name}.json").read_text("utf-8"))
        texts = [item["text"] for item in data["evidence"]]
        chunks, owner = [], []
        for index, text in enumerate(texts):
            for part in (p for p in SENTENCE.split(text) if p.strip()):
                chunks.append(part)
                owner.append(index)
        notes = data["notes"]
        cache[name] = {
            "data": data,
            "ids": [item["id"] for item in data["evidence"]],
            "ev": model.encode(texts),
            "ch": model.encode(chunks),
            "owner": np.array(owner),
            "nv": model.encode([n["text"] for n in notes]),
            "npv": model.encode([embeddings.note_texts(n["text"], n["section"])[1] for n in notes]),
        }
    return cache


C = load()
_WORDS: dict = {}


def words(name: str, weights: Weights | None = None) -> list:
    key = (name, weights)
    if key not in _WORDS:
        data = C[name]["data"]
        candidates = [(item["id"], item["text"]) for item in data["evidence"]]
        extra = {"weights": weights} if weights else {}
        _WORDS[key] = [
            rank_evidence(n["text"], candidates, limit=len(candidates), **extra)
            for n in data["notes"]
        ]
    return _WORDS[key]


def view(name: str, i: int, share: float = 0.5) -> np.ndarray:
    """The note's query vector: `share` of the note as written, the rest its section view."""
    vector = share * C[name]["nv"][i] + (1 - share) * C[name]["npv"][i]
    return vector / np.linalg.norm(vector)


def chunk_max(name: str, vector: np.ndarray) -> np.ndarray:
    out = np.full(len(C[name]["ev"]), -1.0)
    np.maximum.at(out, C[name]["owner"], C[name]["ch"] @ vector)
    return out


def fuse(name, i, cos, k=20, ww=1.0, wc=1.0, min_cos=0.25, wlist=None) -> list[int]:
    """fuse_suggestions with weights on the two rankings."""
    fused, matched = {}, set()
    for rank, s in enumerate(wlist if wlist is not None else words(name)[i], 1):
        fused[s.evidence_id] = ww / (k + rank)
        matched.add(s.evidence_id)
    order = sorted(zip(C[name]["ids"], cos.tolist(), strict=True), key=lambda p: (-p[1], p[0]))
    for rank, (eid, value) in enumerate(order, 1):
        if eid in matched or value >= min_cos:
            fused[eid] = fused.get(eid, 0) + wc / (k + rank)
    return [e for e, _ in sorted(fused.items(), key=lambda p: (-p[1], p[0]))][:20]


def evaluate(name, rank) -> tuple[float, float]:
    recalls, rrs = [], []
    for i, note in enumerate(C[name]["data"]["notes"]):
        ranked = rank(name, i)[:20]
        recalls.append(recall_at_k(ranked, note["relevant"]))
        rrs.append(reciprocal_rank(ranked, note["relevant"]))
    return float(np.mean(recalls)), float(np.mean(rrs))


def report(label, rank) -> None:
    rows = [evaluate(name, rank) for name in SETS]
    cells = "  ".join(f"{r:.3f}/{m:.3f}" for r, m in rows)
    mean_r, mean_m = np.mean([r for r, _ in rows]), np.mean([m for _, m in rows])
    print(f"{label:<44} {cells}   mean {mean_r:.3f}/{mean_m:.3f}", flush=True)


def prf(m, beta, share):
    def rank(name, i):
        query = view(name, i, share)
        first = fuse(name, i, C[name]["ev"] @ query)
        index = {e: j for j, e in enumerate(C[name]["ids"])}
        query = query + beta * C[name]["ev"][[index[e] for e in first[:m]]].mean(0)
        return fuse(name, i, C[name]["ev"] @ (query / np.linalg.norm(query)))

    return rank


def combsum(alpha, share):
    def rank(name, i):
        cos = C[name]["ev"] @ view(name, i, share)
        w = {s.evidence_id: s.score for s in words(name)[i]}
        best = max(w.values(), default=1.0) or 1.0
        scored = [
            (e, alpha * w.get(e, 0) / best + (1 - alpha) * c)
            for e, c in zip(C[name]["ids"], cos, strict=True)
        ]
        return [e for e, _ in sorted(scored, key=lambda p: (-p[1], p[0]))]

    return rank


def three_way(name, i):
    query = view(name, i)
    fused, k = {}, 20
    for rank, s in enumerate(words(name)[i], 1):
        fused[s.evidence_id] = 1 / (k + rank)
    for cos in (C[name]["ev"] @ query, chunk_max(name, query)):
        order = sorted(zip(C[name]["ids"], cos.tolist(), strict=True), key=lambda p: (-p[1], p[0]))
        for rank, (e, v) in enumerate(order, 1):
            if e in fused or v >= 0.25:
                fused[e] = fused.get(e, 0) + 0.5 / (k + rank)
    return [e for e, _ in sorted(fused.items(), key=lambda p: (-p[1], p[0]))]


def features(name, i):
    data = C[name]["data"]
    evidence = data["evidence"]
    cos = C[name]["ev"] @ view(name, i)
    chunks = chunk_max(name, view(name, i))
    ranked = words(name)[i]
    score = {s.evidence_id: s.score for s in ranked}
    word_rank = {s.evidence_id: r for r, s in enumerate(ranked, 1)}
    share = {s.evidence_id: len(s.matched) for s in ranked}
    note_words = max(1, len(set(tokenize(data["notes"][i]["text"]))))
    best = max(score.values(), default=1.0) or 1.0
    cos_rank = np.empty(len(cos))
    cos_rank[np.argsort(-cos, kind="stable")] = np.arange(1, len(cos) + 1)
    z = (cos - cos.mean()) / (cos.std() + 1e-9)
    rows = []
    for j, e in enumerate(C[name]["ids"]):
        r = word_rank.get(e)
        rows.append(
            [1.0, cos[j], z[j], chunks[j], cos[j] - cos.max(), score.get(e, 0) / best]
            + [1 / (20 + r) if r else 0.0, 1 / (20 + cos_rank[j]), 1.0 if r else 0.0]
            + [share.get(e, 0) / note_words, math.log1p(score.get(e, 0))]
            + [1.0 if evidence[j]["kind"] == kind else 0.0 for kind in KINDS[1:]]
        )
    relevant = set(data["notes"][i]["relevant"])
    return np.array(rows), np.array([1.0 if e in relevant else 0.0 for e in C[name]["ids"]])


def learned(columns, l2):
    table = {n: [features(n, i) for i in range(len(C[n]["data"]["notes"]))] for n in SETS}
    results = []
    for held in SETS:
        X = np.vstack([x for n in SETS if n != held for x, _ in table[n]])[:, columns]
        y = np.concatenate([y for n in SETS if n != held for _, y in table[n]])
        mu, sd = X.mean(0), X.std(0) + 1e-9
        mu[0], sd[0] = 0, 1
        Xn, w = (X - mu) / sd, np.zeros(X.shape[1])
        weight = np.where(y == 1, 0.5 / y.mean(), 0.5 / (1 - y.mean()))
        for _ in range(600):
            p = 1 / (1 + np.exp(-Xn @ w))
            w -= 5 * (Xn.T @ ((p - y) * weight) / len(y) + l2 * w / len(y))

        def rank(name, i, w=w, mu=mu, sd=sd):
            s = ((table[name][i][0][:, columns] - mu) / sd) @ w
            ids = np.array(C[name]["ids"])
            return ids[np.lexsort((ids, -s))].tolist()

        results.append(evaluate(held, rank))
    cells = "  ".join(f"{r:.3f}/{m:.3f}" for r, m in results)
    mean_r, mean_m = np.mean([r for r, _ in results]), np.mean([m for _, m in results])
    print(
        f"{'learned, trained on the other two sets':<44} {cells}   mean {mean_r:.3f}/{mean_m:.3f}"
    )


def main() -> None:
    print(f"{'variant (recall@5/MRR)':<44} {'  '.join(f'{s:<11}' for s in SETS)}")
    report(
        "before: RRF k 20 (note as written)", lambda n, i: fuse(n, i, C[n]["ev"] @ C[n]["nv"][i])
    )
    report(
        "the product: + section view (0.5/0.5)", lambda n, i: fuse(n, i, C[n]["ev"] @ view(n, i))
    )
    report("cosine alone", lambda n, i: fuse(n, i, C[n]["ev"] @ C[n]["nv"][i], ww=0))
    report("section view only", lambda n, i: fuse(n, i, C[n]["ev"] @ view(n, i, 0.0)))
    for share in (0.3, 0.7):
        report(
            f"section view, {share} note",
            lambda n, i, s=share: fuse(n, i, C[n]["ev"] @ view(n, i, s)),
        )
    report(
        "chunks: max(full, sentence max)",
        lambda n, i: fuse(
            n, i, np.maximum(C[n]["ev"] @ C[n]["nv"][i], chunk_max(n, C[n]["nv"][i]))
        ),
    )
    for a in (0.3, 0.5, 0.7):
        report(
            f"chunks: {a} full + {1 - a:.1f} sentence max",
            lambda n, i, a=a: fuse(
                n, i, a * (C[n]["ev"] @ C[n]["nv"][i]) + (1 - a) * chunk_max(n, C[n]["nv"][i])
            ),
        )
    report("three-way RRF (words, full, sentences)", three_way)
    for m, beta in ((3, 0.3), (5, 0.6), (5, 1.0)):
        report(f"PRF on vectors, top {m}, beta {beta}", prf(m, beta, 1.0))
        report(f"PRF + section view, top {m}, beta {beta}", prf(m, beta, 0.5))
    for alpha in (0.2, 0.3, 0.5):
        report(f"score fusion, alpha {alpha}", combsum(alpha, 1.0))
        report(f"score fusion + section view, alpha {alpha}", combsum(alpha, 0.5))
    for k in (5, 10, 40):
        report(f"RRF k {k}", lambda n, i, k=k: fuse(n, i, C[n]["ev"] @ C[n]["nv"][i], k=k))
    for wc in (1.5, 2.0):
        report(
            f"RRF, cosine weight {wc}",
            lambda n, i, wc=wc: fuse(n, i, C[n]["ev"] @ C[n]["nv"][i], wc=wc),
        )
    for label, weights in (
        ("no concepts", Weights(concept=0)),
        ("concept 0.2", Weights(concept=0.2)),
        ("coverage 1", Weights(coverage=1.0)),
        ("coverage 0", Weights(coverage=0.0)),
    ):
        report(
            f"product, words with {label}",
            lambda n, i, w=weights: fuse(n, i, C[n]["ev"] @ view(n, i), wlist=words(n, w)[i]),
        )
    learned(list(range(15)), 1.0)
    learned(list(range(11)), 1.0)


if __name__ == "__main__":
    main()
