"""API benchmark: map detail and note writes at several map sizes.

Runs in-process against the configured database (SQLite by default, PostgreSQL with
DATABASE_URL), in a throwaway database created by Django's test runner machinery.

    SECRET_KEY=x .venv/bin/python bench/api.py            # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1/empathymap_bench SECRET_KEY=x \
        .venv/bin/python bench/api.py
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "empathymap.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from maps.models import Membership, Note, Role  # noqa: E402
from research.models import EvidenceLink  # noqa: E402
from tests.factories import (  # noqa: E402
    EvidenceFactory,
    MapFactory,
    SegmentFactory,
    SourceFactory,
    UserFactory,
    WorkspaceFactory,
)

SIZES = [10, 100, 1000]
REPEAT = 15


def timed(fn, repeat=REPEAT) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.9) - 1]


def build_map(user, workspace, size):
    empathy_map = MapFactory(workspace=workspace, title=f"Bench {size}")
    segment = SegmentFactory(workspace=workspace)
    source = SourceFactory(workspace=workspace, segment=segment)
    evidence = [EvidenceFactory(source=source) for _ in range(5)]
    notes = Note.objects.bulk_create(
        Note(
            map=empathy_map, section=empathy_map.sections[i % 9], text="Bench note " * 8, position=i
        )
        for i in range(size)
    )
    EvidenceLink.objects.bulk_create(
        EvidenceLink(note=note, evidence=evidence[(note.pk + j) % 5], stance="supports")
        for note in notes
        for j in range(2)
    )
    return empathy_map


COLUMNS = ["GET map detail median ms", "p90 ms", "POST note median ms", "PATCH text median ms"]


def measure(client, empathy_map) -> list[float]:
    detail_url = f"/api/v1/maps/{empathy_map.pk}/"
    detail_median, detail_p90 = timed(lambda: client.get(detail_url))
    create_url = f"/api/v1/maps/{empathy_map.pk}/notes/"
    body = {"section": "says", "text": "Bench"}
    create_median, _ = timed(lambda: client.post(create_url, body, format="json"))
    note = client.post(create_url, body, format="json").data
    state = {"version": note["version"]}

    def edit():
        response = client.patch(
            f"/api/v1/notes/{note['id']}/",
            {"text": f"Edit {state['version']}", "version": state["version"]},
            format="json",
        )
        state["version"] = response.data["version"]

    edit_median, _ = timed(edit)
    return [detail_median, detail_p90, create_median, edit_median]


def main() -> None:
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        user = UserFactory(username="bench")
        workspace = WorkspaceFactory(slug="bench")
        Membership.objects.create(workspace=workspace, user=user, role=Role.LEAD)
        client = APIClient()
        client.force_authenticate(user)
        print(f"database: {connection.vendor}")
        print(f"| notes | {' | '.join(COLUMNS)} |")
        print("| ---: " * (len(COLUMNS) + 1) + "|")
        for size in SIZES:
            row = measure(client, build_map(user, workspace, size))
            print(f"| {size} | " + " | ".join(f"{value:.1f}" for value in row) + " |")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
