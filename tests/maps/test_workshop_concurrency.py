"""Two votes by one person at once, on PostgreSQL's row locks: the map lock makes the second
wait for the first, so per_person holds."""

import threading
import time

import pytest
from django.db import connection

from maps.models import NoteVote
from maps.workshop import services
from tests.factories import NoteFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WAIT = 5  # seconds: only reached when the code under test is wrong


def in_thread(target, name: str) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def body():
        try:
            outcome["result"] = target()
        except Exception as error:  # noqa: BLE001 - reported to the test
            outcome["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=body, name=name)
    thread.start()
    return thread, outcome


def someone_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0] > 0


def test_two_votes_at_once_cannot_pass_per_person(monkeypatch, alice, vera, empathy_map):
    first, second = NoteFactory(map=empathy_map), NoteFactory(map=empathy_map)
    services.map_vote_configure(actor=alice, map_id=empathy_map.pk, open=True, per_person=1)
    checked, release = threading.Event(), threading.Event()
    real_votes_used = services.votes_used

    def votes_used_then_pause(**kwargs):
        used = real_votes_used(**kwargs)
        if threading.current_thread().name == "first-vote":
            checked.set()
            release.wait(WAIT)  # the second vote arrives meanwhile
        return used

    monkeypatch.setattr(services, "votes_used", votes_used_then_pause)
    first_thread, first_outcome = in_thread(
        lambda: services.note_vote_add(actor=vera, note_id=first.pk), "first-vote"
    )
    assert checked.wait(WAIT)
    second_thread, second_outcome = in_thread(
        lambda: services.note_vote_add(actor=vera, note_id=second.pk), "second-vote"
    )
    deadline = time.monotonic() + WAIT
    while not someone_waits_for_a_lock() and time.monotonic() < deadline:
        time.sleep(0.01)  # polling the condition: the second vote is queued on the map lock
    assert someone_waits_for_a_lock()
    release.set()
    first_thread.join(WAIT)
    second_thread.join(WAIT)
    assert "error" not in first_outcome, first_outcome
    assert isinstance(second_outcome.get("error"), services.VoteRefused)
    assert second_outcome["error"].error_code == "no_votes_left"
    assert list(NoteVote.objects.values_list("note_id", "count")) == [(first.pk, 1)]
