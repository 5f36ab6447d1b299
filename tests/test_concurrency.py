"""Two writers at once, on PostgreSQL's row locks: no deadlock, no write after an archive, no
lost correction. Each test holds one writer at a chosen point (a wait on an event, with a
timeout) while the other runs, so the interleaving is the same every time."""

import datetime
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from maps import services as map_services
from maps.models import MapEvent, Note
from research import services as research_services
from research.models import Evidence
from research.status import today
from tests.factories import EvidenceFactory, LinkFactory, MapFactory, NoteFactory, SourceFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WAIT = 5  # seconds: only reached when the code under test is wrong


def run_in_thread(target) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def body():
        try:
            outcome["result"] = target()
        except Exception as error:  # noqa: BLE001 - reported to the test
            outcome["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=body, name="writer-a")
    thread.start()
    return thread, outcome


def test_a_write_on_every_map_and_a_note_edit_do_not_deadlock(monkeypatch, alice, workspace):
    first, second = MapFactory(workspace=workspace), MapFactory(workspace=workspace)
    evidence = EvidenceFactory(source=SourceFactory(workspace=workspace), collected_on=today())
    LinkFactory(note=NoteFactory(map=first), evidence=evidence)
    moved = NoteFactory(map=second, section="says")
    LinkFactory(note=moved, evidence=evidence)
    first_locked, second_locked = threading.Event(), threading.Event()
    real_lock = research_services.lock_map

    def lock_and_pause(map_id):
        locked = real_lock(map_id)
        if map_id == first.pk:
            first_locked.set()
            second_locked.wait(WAIT)  # the note edit below takes the second map meanwhile
        return locked

    monkeypatch.setattr(research_services, "lock_map", lock_and_pause)
    thread, outcome = run_in_thread(
        lambda: research_services.evidence_update(
            actor=alice,
            evidence_id=evidence.pk,
            collected_on=today() - datetime.timedelta(days=3),
        )
    )
    assert first_locked.wait(WAIT)
    real_map_lock = map_services.lock_map_for_note_ops

    def lock_and_tell(**reads):
        state = real_map_lock(**reads)
        second_locked.set()
        return state

    # Note ops lock the map and read what they need in one go (selectors.lock_map_for_note_ops).
    monkeypatch.setattr(map_services, "lock_map_for_note_ops", lock_and_tell)
    map_services.note_update(actor=alice, note_id=moved.pk, section="thinks")
    thread.join(WAIT * 2)
    assert "error" not in outcome, outcome
    assert Note.objects.get(pk=moved.pk).section == "thinks"
    kinds = MapEvent.objects.filter(map=second).order_by("seq").values_list("kind", flat=True)
    assert list(kinds) == ["note.moved", "note.updated"]  # the move, then the correction


def test_a_note_edit_waiting_on_an_archive_is_refused_after_it(monkeypatch, alice, workspace):
    empathy_map = MapFactory(workspace=workspace)
    note = NoteFactory(map=empathy_map, section="says")
    about_to_lock, archived = threading.Event(), threading.Event()
    real_lock = map_services.lock_map_for_note_ops

    def pause_before_locking(**reads):
        if threading.current_thread().name == "writer-a":
            about_to_lock.set()
            archived.wait(WAIT)  # the archive commits meanwhile
        return real_lock(**reads)

    monkeypatch.setattr(map_services, "lock_map_for_note_ops", pause_before_locking)
    thread, outcome = run_in_thread(
        lambda: map_services.note_update(actor=alice, note_id=note.pk, section="thinks")
    )
    assert about_to_lock.wait(WAIT)
    map_services.workspace_update(actor=alice, workspace_slug=workspace.slug, archived=True)
    archived.set()
    thread.join(WAIT * 2)
    assert isinstance(outcome.get("error"), ValidationError), outcome
    assert "workspace" in outcome["error"].message_dict
    assert Note.objects.get(pk=note.pk).section == "says"
    assert list(MapEvent.objects.filter(map=empathy_map).values_list("kind", flat=True)) == [
        "map.updated"
    ]


def test_two_corrections_at_once_keep_both(monkeypatch, alice, rita, workspace):
    evidence = EvidenceFactory(
        source=SourceFactory(workspace=workspace), text="Old words", collected_on=today()
    )
    about_to_lock, corrected = threading.Event(), threading.Event()
    real_lock = research_services._lock_evidence

    def pause_before_locking(evidence_id):
        if threading.current_thread().name == "writer-a":
            about_to_lock.set()
            corrected.wait(WAIT)  # the other researcher's correction commits meanwhile
        return real_lock(evidence_id)

    monkeypatch.setattr(research_services, "_lock_evidence", pause_before_locking)
    thread, outcome = run_in_thread(
        lambda: research_services.evidence_update(
            actor=rita, evidence_id=evidence.pk, text="New words"
        )
    )
    assert about_to_lock.wait(WAIT)
    earlier = today() - datetime.timedelta(days=10)
    research_services.evidence_update(actor=alice, evidence_id=evidence.pk, collected_on=earlier)
    corrected.set()
    thread.join(WAIT * 2)
    assert "error" not in outcome, outcome
    evidence = Evidence.objects.get(pk=evidence.pk)
    assert (evidence.text, evidence.collected_on) == ("New words", earlier)


def wait_for_a_lock_wait(timeout: float = WAIT) -> bool:
    """True once some session of this database waits on a row lock (polled, not slept)."""
    import time

    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return True
    return False


def test_a_correction_waits_for_a_link_in_progress_and_then_tells_its_note(
    monkeypatch, alice, workspace
):
    first, second = MapFactory(workspace=workspace), MapFactory(workspace=workspace)
    evidence = EvidenceFactory(
        source=SourceFactory(workspace=workspace),
        collected_on=today() - datetime.timedelta(days=800),
    )
    LinkFactory(note=NoteFactory(map=first), evidence=evidence)
    linking = NoteFactory(map=second)
    recording, release = threading.Event(), threading.Event()
    real_record = research_services.record_event

    def pause_before_recording(**kwargs):
        if threading.current_thread().name == "writer-a":
            recording.set()
            release.wait(WAIT)  # the link's status is computed; the correction comes now
        return real_record(**kwargs)

    monkeypatch.setattr(research_services, "record_event", pause_before_recording)
    thread, outcome = run_in_thread(
        lambda: research_services.link_create(
            actor=alice, note_id=linking.pk, evidence_id=evidence.pk, stance="supports"
        )
    )
    assert recording.wait(WAIT)
    correction: dict = {}

    def correct():
        try:
            research_services.evidence_update(
                actor=alice, evidence_id=evidence.pk, collected_on=today()
            )
        except Exception as error:  # noqa: BLE001 - reported to the test
            correction["error"] = error
        finally:
            connection.close()

    corrector = threading.Thread(target=correct, name="writer-b")
    corrector.start()
    assert wait_for_a_lock_wait(), "the correction should wait for the link in progress"
    release.set()
    thread.join(WAIT * 2)
    corrector.join(WAIT * 2)
    assert "error" not in outcome and "error" not in correction, (outcome, correction)
    last = MapEvent.objects.filter(map=second).order_by("-seq").first()
    assert (last.kind, last.payload["cause"]) == ("note.updated", "evidence")
    assert last.payload["note"]["status"] == "supported"


def test_two_notes_at_once_cannot_pass_the_cap_of_a_map(monkeypatch, settings, bob, empathy_map):
    from maps import limits

    settings.MAX_NOTES_PER_MAP = 1
    counted, release = threading.Event(), threading.Event()
    # Note ops count a map's notes with the lock, in one go (selectors.lock_map_for_note_ops).
    real_lock = map_services.lock_map_for_note_ops

    def count_then_pause(**reads):
        state = real_lock(**reads)
        if threading.current_thread().name == "writer-a":
            counted.set()
            release.wait(WAIT)  # the second writer arrives meanwhile and waits on the map lock
        return state

    monkeypatch.setattr(map_services, "lock_map_for_note_ops", count_then_pause)
    thread, outcome = run_in_thread(
        lambda: map_services.note_create(
            actor=bob, map_id=empathy_map.pk, section="says", text="First"
        )
    )
    assert counted.wait(WAIT)
    second: dict = {}

    def second_writer():
        try:
            map_services.note_create(actor=bob, map_id=empathy_map.pk, section="says", text="Two")
        except ValidationError as error:
            second["error"] = error
        finally:
            connection.close()

    other = threading.Thread(target=second_writer, name="writer-b")
    other.start()
    deadline = time.monotonic() + WAIT
    while not a_writer_waits_for_a_lock() and time.monotonic() < deadline:
        time.sleep(0.01)  # polling the condition: the second writer is queued on the map row
    assert a_writer_waits_for_a_lock()
    release.set()
    thread.join(WAIT)
    other.join(WAIT)
    assert "error" not in outcome, outcome
    assert isinstance(second.get("error"), limits.LimitReached)
    assert Note.objects.filter(map=empathy_map).count() == 1


def a_writer_waits_for_a_lock() -> bool:
    """A session of this test's database waits on a lock (other databases' tests may run)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0] > 0
