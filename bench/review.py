"""Review dashboard benchmark: `GET /api/v1/maps/{id}/review/` by map size and event log length.

Runs in-process against the configured database (SQLite by default, PostgreSQL with
DATABASE_URL), in a throwaway database created by Django's test runner machinery. The event
log is bulk-inserted (consecutive seqs, payloads shaped like the services' own), never
reviewed, so `changes` reads all of it; the last row is the 1,000-note map right after a
review checkpoint (`map_mark_reviewed`), when `changes` reads nothing.

    SECRET_KEY=x OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/review.py            # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/empathymap_bench_review SECRET_KEY=x \
        OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/review.py
"""

import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "empathymap.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from maps.events import event_note_id  # noqa: E402
from maps.models import EmpathyMap, EventKind, MapEvent, Membership, Note, Role, Team  # noqa: E402
from maps.selectors import map_changes, map_notes, map_payload  # noqa: E402
from maps.services import map_mark_reviewed  # noqa: E402
from research.models import EvidenceLink, Stance  # noqa: E402
from research.selectors import link_payload, links_with_evidence  # noqa: E402
from tests.factories import (  # noqa: E402
    EvidenceFactory,
    MapFactory,
    SegmentFactory,
    SourceFactory,
    UserFactory,
    WorkspaceFactory,
)

NOTE_COUNTS = [100, 1000]
EVENT_COUNTS = [1000, 10_000, 50_000]
REPEAT = 15
TEAMS = [Team.PRODUCT, Team.DESIGN, Team.ENGINEERING, Team.SALES, Team.SUPPORT]
SEGMENTS = 3
# A guess at a workshop's event mix: mostly edits and moves, some links and reviews.
EVENT_MIX = {
    EventKind.NOTE_UPDATED: 45,
    EventKind.NOTE_MOVED: 25,
    EventKind.NOTE_CREATED: 10,
    EventKind.LINK_CREATED: 8,
    EventKind.NOTE_REVIEWED: 5,
    EventKind.LINK_DELETED: 3,
    EventKind.NOTE_DELETED: 2,
    EventKind.NOTE_RESTORED: 1,
    EventKind.MAP_UPDATED: 1,
}
LINK_KINDS = {EventKind.LINK_CREATED, EventKind.LINK_DELETED}


def timed(fn, repeat=REPEAT) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.9) - 1]


def build_map(workspace, segments, size):
    """A map of `size` notes over several teams, each note with two links to the segments."""
    empathy_map = MapFactory(workspace=workspace, title=f"Review bench {size}")
    evidence = [
        EvidenceFactory(source=SourceFactory(workspace=workspace, segment=segment))
        for segment in segments
        for _ in range(2)
    ]
    notes = Note.objects.bulk_create(
        Note(
            map=empathy_map,
            section=empathy_map.sections[i % 9],
            text="Bench note " * 8,
            team=TEAMS[i % len(TEAMS)],
            position=i,
        )
        for i in range(size)
    )
    EvidenceLink.objects.bulk_create(
        EvidenceLink(
            note=note,
            evidence=evidence[(note.pk + j) % len(evidence)],
            # One link in seven contradicts, so that some notes are contested.
            stance=Stance.CONTRADICTS if (note.pk + j) % 7 == 0 else Stance.SUPPORTS,
        )
        for note in notes
        for j in range(2)
    )
    return empathy_map


class EventLog:
    """Appends events to one map's log in bulk, with payloads shaped like the services' own."""

    def __init__(self, empathy_map, actors, seed):
        self.map = empathy_map
        self.actors = actors
        self.random = random.Random(seed)
        self.notes = map_notes(empathy_map=empathy_map, include_deleted=True)
        links = links_with_evidence().filter(note__map_id=empathy_map.pk)
        self.links = {}
        for link in links:
            self.links.setdefault(link.note_id, link_payload(link))
        fresh_map = EmpathyMap.objects.select_related("workspace").get(pk=empathy_map.pk)
        self.map_data = map_payload(fresh_map)

    def payload(self, kind, seq) -> dict:
        if kind == EventKind.MAP_UPDATED:
            return {"map": {**self.map_data, "seq": seq}}
        note = self.random.choice(self.notes)
        if kind in LINK_KINDS:
            return {"link": self.links[note["id"]], "note": note}
        return {"note": note}

    def append(self, count: int) -> None:
        start = EmpathyMap.objects.get(pk=self.map.pk).seq
        kinds = self.random.choices(list(EVENT_MIX), weights=list(EVENT_MIX.values()), k=count)
        MapEvent.objects.bulk_create(
            (
                MapEvent(
                    map_id=self.map.pk,
                    seq=seq,
                    kind=kind,
                    actor=self.random.choice(self.actors),
                    payload=payload,
                    note_id=event_note_id(payload),  # as record_event sets it
                )
                for seq, kind in enumerate(kinds, start=start + 1)
                for payload in [self.payload(kind, seq)]
            ),
            batch_size=1000,
        )
        EmpathyMap.objects.filter(pk=self.map.pk).update(seq=start + count)


COLUMNS = [
    "events since review",
    "GET review median ms",
    "p90 ms",
    "SQL queries",
    "map_changes median ms",
    "every event row read, ms",
]


def measure(client, empathy_map, expected_events: int) -> list[str]:
    url = f"/api/v1/maps/{empathy_map.pk}/review/"
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    # Counted now: the next request clears the connection's query log that `queries` reads.
    query_count = len(queries)
    assert response.status_code == 200, response.status_code
    assert response.data["changes"]["events"] == expected_events, response.data["changes"]
    request_median, request_p90 = timed(lambda: client.get(url))

    # `changes` alone (map_changes), and, for comparison, what reading every event since the
    # checkpoint into Python costs: what map_changes did before it let the database group them.
    fresh_map = EmpathyMap.objects.select_related("workspace", "reviewed_by").get(pk=empathy_map.pk)
    notes = {note["id"]: note for note in map_notes(empathy_map=fresh_map, include_deleted=True)}
    changes_median, _ = timed(lambda: map_changes(empathy_map=fresh_map, notes=notes))
    events = MapEvent.objects.filter(map_id=fresh_map.pk)
    if fresh_map.reviewed_seq is not None:
        events = events.filter(seq__gt=fresh_map.reviewed_seq)
    rows = events.order_by("seq").values_list(
        "kind", "created_at", "actor__username", "payload__note__id", "payload__reviewed"
    )
    rows_median, _ = timed(lambda: list(rows.all()))
    timings = [request_median, request_p90, changes_median, rows_median]
    ms = [f"{value:.1f}" for value in timings]
    return [f"{expected_events:,}", *ms[:2], str(query_count), *ms[2:]]


def main() -> None:
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        user = UserFactory(username="bench")
        workspace = WorkspaceFactory(slug="bench")
        Membership.objects.create(workspace=workspace, user=user, role=Role.LEAD)
        actors = [user]
        for name in ("bob", "rita"):
            actors.append(UserFactory(username=name))
            Membership.objects.create(workspace=workspace, user=actors[-1], role=Role.EDITOR)
        segments = [SegmentFactory(workspace=workspace) for _ in range(SEGMENTS)]
        client = APIClient()
        client.force_authenticate(user)
        print(f"database: {connection.vendor}")
        print(f"| notes | {' | '.join(COLUMNS)} |")
        print("| ---: " * (len(COLUMNS) + 1) + "|")
        for size in NOTE_COUNTS:
            empathy_map = build_map(workspace, segments, size)
            log = EventLog(empathy_map, actors, seed=size)
            logged = 0
            for events in EVENT_COUNTS:
                log.append(events - logged)
                logged = events
                print(f"| {size:,} | {' | '.join(measure(client, empathy_map, events))} |")
        # The last map built (the largest), its whole log now behind a review checkpoint.
        map_mark_reviewed(actor=user, map_id=empathy_map.pk)
        print(f"| {size:,} | {' | '.join(measure(client, empathy_map, 0))} |")
        print(f"(last row: right after a review checkpoint at seq {logged + 1:,})")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
