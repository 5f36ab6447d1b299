"""A linear query adapter for the suggestions, trained on the other products' labels.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/suggestions_adapter.py

Issue 10 asked for better suggestions, and no stronger model could be installed here (see
docs/suggestions.md, "Stronger models"). What the project does have is labels: four sets, 166
notes and 661 note-evidence pairs, each set a different product. This asks whether those
labels can teach all-MiniLM-L6-v2 what "this evidence bears on this belief" means, in a way
that carries over to a product it was not trained on.

The adapter is a 384 x 384 matrix M applied to the note's vector before the cosine
(`normalise(M q) . e`). The stored evidence vectors stay as they are, so a deployment would
not re-embed anything. M starts at the identity and is trained by gradient descent (Adam, the
gradient written out below) on a softmax over each set's evidence with the note's labeled
items as the positives, plus `lam * |M - I|^2` to keep it near the model's own similarity.

Measured leave-one-set-out: trained on three sets, measured on the fourth, for each of the four,
so every figure is on a product the adapter never saw. Each row prints the cosine ranking
alone and the product's fusion (words and cosine by `fuse_suggestions`, RRF k 20, minimum
cosine 0.25, at most 20), before and after, as recall@5 / MRR. The blind heldout4.json is
not read.
"""

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from research import embeddings  # noqa: E402
from research.ranking import rank_evidence, recall_at_k, reciprocal_rank  # noqa: E402

SETS = ["labeled", "heldout", "heldout2", "heldout3"]
SCALE = 20.0  # the softmax's inverse temperature, as in sentence-transformers' MNRL loss


def load() -> dict:
    model = embeddings.load_model()
    loaded = {}
    for name in SETS:
        data = json.loads((ROOT / "tests/data/suggestions" / f"{name}.json").read_text("utf-8"))
        candidates = [(item["id"], item["text"]) for item in data["evidence"]]
        notes = data["notes"]
        index = {item["id"]: j for j, item in enumerate(data["evidence"])}
        positives = np.zeros((len(notes), len(candidates)))
        for i, note in enumerate(notes):
            positives[i, [index[e] for e in note["relevant"]]] = 1.0
        loaded[name] = {
            "ids": [item["id"] for item in data["evidence"]],
            "evidence": model.encode([text for _, text in candidates]),
            "notes": np.array(
                [embeddings.note_query_vector(model, n["text"], n["section"]) for n in notes]
            ),
            "relevant": [n["relevant"] for n in notes],
            "positives": positives,
            "words": [rank_evidence(n["text"], candidates, limit=len(candidates)) for n in notes],
        }
    return loaded


def loss_and_gradient(M: np.ndarray, sets: list[dict], lam: float) -> tuple[float, np.ndarray]:
    """Mean over labeled pairs of -log softmax(positive), plus lam |M - I|^2, and its gradient."""
    total, pairs, gradient = 0.0, 0.0, np.zeros_like(M)
    for data in sets:
        Q, E, P = data["notes"], data["evidence"], data["positives"]
        U = Q @ M.T
        norms = np.linalg.norm(U, axis=1, keepdims=True)
        Qn = U / norms
        logits = SCALE * Qn @ E.T
        logits -= logits.max(axis=1, keepdims=True)
        log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        total -= float((log_p * P).sum())
        pairs += P.sum()
        # d/dlogits of -sum_pos log_p = count_pos * softmax - positives
        d_logits = np.exp(log_p) * P.sum(axis=1, keepdims=True) - P
        d_qn = SCALE * d_logits @ E
        d_u = (d_qn - (d_qn * Qn).sum(axis=1, keepdims=True) * Qn) / norms
        gradient += d_u.T @ Q
    delta = M - np.eye(len(M))
    return total / pairs + lam * float((delta**2).sum()), gradient / pairs + 2 * lam * delta


def train(sets: list[dict], lam: float, steps: int = 300, rate: float = 1e-2) -> np.ndarray:
    M = np.eye(embeddings.DIMENSIONS)
    first, second = np.zeros_like(M), np.zeros_like(M)
    for step in range(1, steps + 1):
        _, gradient = loss_and_gradient(M, sets, lam)
        first = 0.9 * first + 0.1 * gradient
        second = 0.999 * second + 0.001 * gradient**2
        M -= rate * (first / (1 - 0.9**step)) / (np.sqrt(second / (1 - 0.999**step)) + 1e-8)
    return M


def measure(data: dict, M: np.ndarray) -> tuple[float, float, float, float]:
    """recall@5 and MRR of the cosine ranking alone, then of the product's fusion."""
    queries = data["notes"] @ M.T
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    rows = []
    for i, relevant in enumerate(data["relevant"]):
        cosines = data["evidence"] @ queries[i]
        alone = [data["ids"][j] for j in np.argsort(-cosines, kind="stable")[:20]]
        fused = embeddings.fuse_suggestions(
            data["words"][i], zip(data["ids"], cosines.tolist(), strict=True)
        )
        fused_ids = [item.evidence_id for item in fused]
        rows.append(
            (
                recall_at_k(alone, relevant),
                reciprocal_rank(alone, relevant),
                recall_at_k(fused_ids, relevant),
                reciprocal_rank(fused_ids, relevant),
            )
        )
    return tuple(float(v) for v in np.mean(rows, axis=0))


def main() -> None:
    loaded = load()
    identity = np.eye(embeddings.DIMENSIONS)
    print(f"{'':<16}{'cosine alone':>28}{'the product (fused)':>30}")
    for lam in (0.01, 0.1, 1.0):
        print(f"lam {lam}")
        gains = []
        for held in SETS:
            M = train([loaded[name] for name in SETS if name != held], lam)
            before, after = measure(loaded[held], identity), measure(loaded[held], M)
            gains.append(np.subtract(after, before))
            print(
                f"  {held:<14}{before[0]:.3f}/{before[1]:.3f} -> {after[0]:.3f}/{after[1]:.3f}"
                f"      {before[2]:.3f}/{before[3]:.3f} -> {after[2]:.3f}/{after[3]:.3f}",
                flush=True,
            )
        mean = np.mean(gains, axis=0)
        cosine_change, fused_change = (
            f"{mean[0]:+.3f}/{mean[1]:+.3f}",
            f"{mean[2]:+.3f}/{mean[3]:+.3f}",
        )
        print(f"  {'mean change':<14}{cosine_change}{'':>18}{fused_change}")


if __name__ == "__main__":
    main()
