"""Suggestions benchmark: one request's time at 5,000 evidence items in a workspace.

Runs in-process against the configured database (SQLite by default, PostgreSQL with
DATABASE_URL), in a throwaway database created by Django's test runner machinery, like
bench/api.py. The workspace gets 5,000 evidence items whose texts are the development sets'
evidence (labeled.json, heldout.json, heldout2.json; never the blind heldout3.json), each
repeated with a numbered suffix so that they are distinct, and each with the stored
all-MiniLM-L6-v2 vector of its base text (embedded once here; the cosine step costs the same
whatever the vectors are). Every development note then asks
`GET /api/v1/notes/{id}/suggestions/` and the time of each request is recorded, with the
parts measured on their own: the word ranker on the candidates the selector gives it, embedding
the note (both views), and the fusion.

    OPENBLAS_NUM_THREADS=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/em_NAME \\
        SECRET_KEY=x .venv/bin/python bench/suggestions_speed.py [--items 5000]

`--mpnet DIR` measures a candidate model in the product's place instead: all-mpnet-base-v2 from
its unpacked folder (bench/suggestions_models.py --unpack-mpnet), with 768-dimensional stored
vectors; the request path is otherwise the product's (docs/suggestions.md, "Stronger models").

Wall-clock times on a shared machine vary with its load; the script prints the load average
next to them, and the CPU time of the process for each request, which varies less.
"""

import datetime
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "empathymap.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from maps.models import Membership, Note, Role  # noqa: E402
from research import embeddings, selectors  # noqa: E402
from research.models import Evidence  # noqa: E402
from research.ranking import rank_evidence  # noqa: E402
from tests.factories import (  # noqa: E402
    MapFactory,
    SourceFactory,
    UserFactory,
    WorkspaceFactory,
)

DATA = ROOT / "tests" / "data" / "suggestions"
DEVELOPMENT_SETS = ["labeled.json", "heldout.json", "heldout2.json"]
BUDGET_MS = 150


def items_argument(argv: list[str], default: int = 5000) -> int:
    for index, arg in enumerate(argv):
        if arg == "--items" and index + 1 < len(argv):
            return int(argv[index + 1])
    return default


def mpnet_argument(argv: list[str]) -> Path | None:
    for index, arg in enumerate(argv):
        if arg == "--mpnet" and index + 1 < len(argv):
            return Path(argv[index + 1])
    return None


def use_mpnet(folder: Path) -> None:
    """Put all-mpnet-base-v2 where the product's model is, for this process only."""
    from bench.suggestions_models import MPNet  # noqa: PLC0415

    model = MPNet(folder)
    embeddings.load_model = lambda: model
    embeddings.DIMENSIONS = model.dimensions
    embeddings.VECTOR_BYTES = model.dimensions * 4
    print(f"candidate model: all-mpnet-base-v2 from {folder}")


def development_data() -> tuple[list[str], list[dict]]:
    texts, notes = [], []
    for name in DEVELOPMENT_SETS:
        data = json.loads((DATA / name).read_text(encoding="utf-8"))
        texts += [item["text"] for item in data["evidence"]]
        notes += data["notes"]
    return texts, notes


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def build_workspace(count: int, texts: list[str], vectors) -> tuple:
    user = UserFactory(username="bench")
    workspace = WorkspaceFactory(slug="bench")
    Membership.objects.create(workspace=workspace, user=user, role=Role.LEAD)
    source = SourceFactory(workspace=workspace)
    today = datetime.date(2026, 11, 1)
    Evidence.objects.bulk_create(
        (
            Evidence(
                workspace=workspace,
                source=source,
                text=f"{texts[n % len(texts)]} (#{n})",
                collected_on=today - datetime.timedelta(days=n % 365),
                embedding=embeddings.to_bytes(vectors[n % len(texts)]),
            )
            for n in range(count)
        ),
        batch_size=1000,
    )
    empathy_map = MapFactory(workspace=workspace, title="Bench suggestions")
    return user, empathy_map


def main() -> None:
    count = items_argument(sys.argv[1:])
    if (folder := mpnet_argument(sys.argv[1:])) is not None:
        use_mpnet(folder)
    texts, notes = development_data()
    started = time.perf_counter()
    model = embeddings.load_model()
    vectors = model.encode(texts)
    print(f"embedded {len(texts)} base texts in {time.perf_counter() - started:.1f} s")

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        user, empathy_map = build_workspace(count, texts, vectors)
        created = Note.objects.bulk_create(
            Note(map=empathy_map, section=note["section"], text=note["text"], position=i)
            for i, note in enumerate(notes)
        )
        client = APIClient()
        client.force_authenticate(user)
        client.get(f"/api/v1/notes/{created[0].pk}/suggestions/")  # warm: stems, model

        walls, cpus, words_ms, embed_ms, fuse_ms, word_candidates = [], [], [], [], [], []
        for note in created:
            started, cpu = time.perf_counter(), time.process_time()
            response = client.get(f"/api/v1/notes/{note.pk}/suggestions/")
            walls.append((time.perf_counter() - started) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
            assert response.status_code == 200, response.status_code

            # The parts, as note_suggestions runs them.
            candidates = selectors.suggestion_candidates(note=note)
            by_words = candidates
            if candidates.count() > selectors.SUGGESTION_CANDIDATES:
                by_words = selectors.prefilter_candidates(candidates, note.text)[
                    : selectors.SUGGESTION_CANDIDATES
                ]
            pairs = list(by_words.values_list("id", "text"))
            word_candidates.append(len(pairs))
            started = time.perf_counter()
            words = rank_evidence(note.text, pairs, limit=selectors.SUGGESTION_CANDIDATES)
            words_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            note_vector = embeddings.embed_note(note.text, note.section)
            embed_ms.append((time.perf_counter() - started) * 1000)
            stored = list(
                candidates.filter(embedding__isnull=False).values_list("id", "embedding")[
                    : selectors.SEMANTIC_CANDIDATES
                ]
            )
            ids, stored_vectors = zip(*stored, strict=True)
            started = time.perf_counter()
            cosines = embeddings.cosine_scores(note_vector, ids, stored_vectors)
            embeddings.fuse_suggestions(words, cosines)
            fuse_ms.append((time.perf_counter() - started) * 1000)

        load = os.getloadavg()
        print(
            f"database: {connection.vendor}; {count:,} evidence items; {len(created)} notes; "
            f"load average {load[0]:.1f} on {os.cpu_count()} cores"
        )
        print(
            "word-ranker candidates after the prefilter: "
            f"median {statistics.median(word_candidates):.0f}, max {max(word_candidates)}"
        )
        print("| what | median ms | p90 ms | max ms |")
        print("| --- | ---: | ---: | ---: |")
        for name, samples in (
            ("GET suggestions, wall clock", walls),
            ("GET suggestions, process CPU", cpus),
            ("  word ranker", words_ms),
            ("  embed the note (two views)", embed_ms),
            ("  cosines + fusion", fuse_ms),
        ):
            print(
                f"| {name} | {statistics.median(samples):.1f} | "
                f"{percentile(samples, 0.9):.1f} | {max(samples):.1f} |"
            )
        verdict = "within" if statistics.median(walls) <= BUDGET_MS else "over"
        print(f"median request {verdict} the {BUDGET_MS} ms budget")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
