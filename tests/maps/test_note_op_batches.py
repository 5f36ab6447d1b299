"""Note ops that arrive together on a map are applied in one transaction
(`services.note_ops_apply`): one lock, one seq bump, one commit, each op checked and answered
on its own, in order."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError, connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from maps import consumers, selectors, services
from maps.models import EmpathyMap, MapEvent, Note
from maps.services import NoteOp
from maps.workshop import services as workshop_services

pytestmark = pytest.mark.django_db


def create(actor, empathy_map, text="A note", **fields):
    return services.note_create(
        actor=actor, map_id=empathy_map.pk, section="says", text=text, **fields
    )


def edit(actor, note, text, *, version=None, op_id=None):
    data = {"id": note["id"], "version": version or note["version"], "text": text}
    return NoteOp(actor=actor, op_id=op_id or f"edit-{text}", action="note.update", data=data)


def test_an_edit_takes_a_fixed_number_of_queries(bob, empathy_map, django_assert_num_queries):
    note = create(bob, empathy_map)
    # Savepoint, lock, memberships (with the op_id check), the note (with its workshop counts
    # and links), the seq bump, the update, the event, release: and nothing else. (The same op
    # took 17 before batching.) On PostgreSQL the lock and the reads travel together, and so do
    # the writes: four round trips with BEGIN and COMMIT.
    with django_assert_num_queries(8):
        answers, events = consumers.apply_note_ops(
            map_id=empathy_map.pk, ops=[edit(bob, note, "Edited")]
        )
    assert answers == [("ack", {**answers[0][1], "type": "ack", "seq": 2})]
    assert answers[0][1]["note"] == selectors.note_data(note["id"])
    assert [event["seq"] for event in events] == [2]


def test_a_create_takes_fewer(bob, empathy_map, django_assert_num_queries):
    op = NoteOp(actor=bob, op_id="new", action="note.create", data={"section": "says", "text": "x"})
    # Savepoint, lock, memberships, each section's highest position and live notes (for the
    # position and MAX_NOTES_PER_MAP), the insert, the seq bump, the event, release. On
    # PostgreSQL the lock and the reads travel together, and so do the writes after the insert.
    with django_assert_num_queries(8):
        [(kind, ack)], _events = consumers.apply_note_ops(map_id=empathy_map.pk, ops=[op])
    assert kind == "ack"
    assert ack["note"] == selectors.note_data(ack["note"]["id"])


def test_the_cap_on_notes_is_counted_once_per_batch_and_holds_within_it(bob, empathy_map, settings):
    settings.MAX_NOTES_PER_MAP = 3
    first = create(bob, empathy_map, "Already here")
    creates = [
        NoteOp(
            actor=bob,
            op_id=f"c{n}",
            action="note.create",
            data={"section": "says", "text": f"n{n}"},
        )
        for n in range(3)
    ]
    delete = NoteOp(actor=bob, op_id="d", action="note.delete", data={"id": first["id"]})
    answers, _events = consumers.apply_note_ops(
        map_id=empathy_map.pk, ops=[creates[0], creates[1], delete, creates[2]]
    )
    assert [kind for kind, _ in answers] == ["ack", "ack", "ack", "ack"]  # the delete made room
    over = NoteOp(
        actor=bob, op_id="over", action="note.create", data={"section": "says", "text": "x"}
    )
    [(kind, message)] = consumers.apply_note_ops(map_id=empathy_map.pk, ops=[over])[0]
    assert kind == "message"
    assert (message["code"], message["reason"]) == ("invalid", "too_many_notes")
    assert "at most 3 notes" in message["detail"]
    assert empathy_map.notes.filter(deleted_at__isnull=True).count() == 3


def test_a_batch_of_edits_takes_as_many_queries_as_one_edit(
    alice, bob, empathy_map, django_assert_num_queries
):
    notes = [create(bob, empathy_map, f"Note {number}") for number in range(10)]
    ops = [edit(alice if n % 2 else bob, note, f"Edit {n}") for n, note in enumerate(notes)]
    with django_assert_num_queries(8):
        answers, events = consumers.apply_note_ops(map_id=empathy_map.pk, ops=ops)
    assert [kind for kind, _ in answers] == ["ack"] * 10
    assert [event["seq"] for event in events] == list(range(11, 21))
    assert [ack["seq"] for _, ack in answers] == list(range(11, 21))
    assert EmpathyMap.objects.get(pk=empathy_map.pk).seq == 20
    stored = MapEvent.objects.filter(map=empathy_map, seq__gt=10).order_by("seq")
    assert [(event.op_id, event.actor.username) for event in stored] == [
        (op.op_id, op.actor.username) for op in ops
    ]
    for (_kind, ack), note in zip(answers, notes, strict=True):
        assert ack["note"] == selectors.note_data(note["id"])


def test_an_edit_of_a_note_with_stances_and_votes_carries_them(
    alice, bob, empathy_map, django_assert_num_queries
):
    note = create(bob, empathy_map)
    workshop_services.map_vote_configure(actor=alice, map_id=empathy_map.pk, open=True)
    workshop_services.note_stance_set(actor=alice, note_id=note["id"], stance="agree")
    workshop_services.note_vote_add(actor=bob, note_id=note["id"])
    workshop_services.comment_create(actor=bob, note_id=note["id"], text="Why?")
    note = selectors.note_data(note["id"])
    # One more query than an edit of a note without stances: the stances (and members' teams).
    with django_assert_num_queries(10):
        [(_kind, ack)], _events = consumers.apply_note_ops(
            map_id=empathy_map.pk, ops=[edit(bob, note, "Edited")]
        )
    assert ack["note"] == selectors.note_data(note["id"])
    assert sum(ack["note"]["agreement"]["agree"].values()) == 1
    assert ack["note"]["votes"]["total"] == 1
    assert ack["note"]["comments"] == 1


def test_the_stored_ops_are_looked_up_under_the_lock(bob, empathy_map):
    note = create(bob, empathy_map)
    with CaptureQueriesContext(connection) as queries:
        services.note_ops_apply(map_id=empathy_map.pk, ops=[edit(bob, note, "Edited")])
    sql = [
        query["sql"] for query in queries if not query["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]
    assert '"maps_empathymap"' in sql[0]
    assert "maps_mapevent" not in sql[0]
    assert any("op_id" in text for text in sql[1:])


def test_an_op_refused_in_a_batch_changes_nothing_and_the_others_apply(
    bob, vera, mallory, empathy_map
):
    first = create(bob, empathy_map, "First")
    second = create(bob, empathy_map, "Second")
    ops = [
        edit(bob, first, "First, edited", op_id="a"),
        NoteOp(actor=bob, op_id="b", action="note.create", data={"section": "says", "text": " "}),
        edit(bob, first, "Stale", version=1, op_id="c"),  # the edit before made it version 2
        edit(vera, second, "A viewer's edit", op_id="d"),
        edit(mallory, second, "A stranger's edit", op_id="e"),
        NoteOp(actor=bob, op_id="f", action="note.update", data={"id": 10**9, "text": "x"}),
        NoteOp(actor=bob, op_id="g", action="note.delete", data={"id": second["id"]}),
        edit(bob, second, "Edit after delete", op_id="h"),
        NoteOp(actor=bob, op_id="i", action="note.create", data={"section": "feels", "text": "Hi"}),
    ]
    results = services.note_ops_apply(map_id=empathy_map.pk, ops=ops)
    errors = [type(result.error) if result.error else None for result in results]
    assert errors == [
        None,
        ValidationError,
        services.VersionConflict,
        PermissionDenied,
        Http404,
        Http404,
        None,
        Http404,
        None,
    ]
    # The conflict carries the note as the edit before left it, without reading it again.
    assert results[2].error.current["text"] == "First, edited"
    assert results[2].error.current["version"] == 2
    assert [result.event.seq for result in results if result.event] == [3, 4, 5]
    assert list(MapEvent.objects.filter(map=empathy_map).values_list("seq", flat=True)) == [
        1,
        2,
        3,
        4,
        5,
    ]
    assert Note.objects.get(pk=first["id"]).text == "First, edited"
    assert Note.objects.get(pk=second["id"]).deleted_at is not None
    assert Note.objects.filter(map=empathy_map).count() == 3


def test_an_op_sent_twice_in_one_batch_or_again_later_applies_once(bob, empathy_map):
    op = NoteOp(
        actor=bob, op_id="once", action="note.create", data={"section": "says", "text": "x"}
    )
    first, again = services.note_ops_apply(map_id=empathy_map.pk, ops=[op, op])
    later = services.note_ops_apply(map_id=empathy_map.pk, ops=[op])[0]
    assert first.event.seq == again.event.seq == later.event.seq == 1
    assert (first.new, again.new, later.new) == (True, False, False)
    assert Note.objects.filter(map=empathy_map).count() == 1


def test_notes_created_together_are_placed_one_after_the_other(bob, empathy_map):
    create(bob, empathy_map, "Already there", position=4.0)
    ops = [
        NoteOp(
            actor=bob, op_id=f"n{n}", action="note.create", data={"section": "says", "text": "x"}
        )
        for n in range(3)
    ]
    results = services.note_ops_apply(map_id=empathy_map.pk, ops=ops)
    assert [result.event.payload["note"]["position"] for result in results] == [5.0, 6.0, 7.0]


def test_a_batch_places_its_notes_after_those_it_placed_itself(bob, empathy_map):
    create(bob, empathy_map, "Already there", position=4.0)

    def new(op_id, section, **fields):
        data = {"section": section, "text": op_id, **fields}
        return NoteOp(actor=bob, op_id=op_id, action="note.create", data=data)

    ops = [new("a", "says", position=10.0), new("b", "says"), new("c", "feels"), new("d", "feels")]
    results = services.note_ops_apply(map_id=empathy_map.pk, ops=ops)
    positions = [result.event.payload["note"]["position"] for result in results]
    assert positions == [10.0, 11.0, 1.0, 2.0]


def test_an_archived_map_refuses_every_op_of_a_batch(alice, bob, empathy_map):
    note = create(bob, empathy_map)
    services.map_archive(actor=alice, map_id=empathy_map.pk)
    results = services.note_ops_apply(map_id=empathy_map.pk, ops=[edit(bob, note, "Late")])
    assert isinstance(results[0].error, ValidationError)
    assert Note.objects.get(pk=note["id"]).text == "A note"


@pytest.mark.postgres
def test_a_value_postgresql_refuses_fails_its_op_alone(bob, empathy_map):
    # The writes of a batch travel together (pipeline mode); PostgreSQL refuses a NUL in text,
    # so the batch is applied again op by op and only that op fails.
    first = create(bob, empathy_map, "First")
    second = create(bob, empathy_map, "Second")
    ops = [
        edit(bob, first, "First, edited", op_id="a"),
        edit(bob, second, "Nul \x00 inside", op_id="b"),
        NoteOp(actor=bob, op_id="c", action="note.create", data={"section": "says", "text": "x"}),
    ]
    results = services.note_ops_apply(map_id=empathy_map.pk, ops=ops)
    assert [type(result.error) for result in results] == [type(None), DataError, type(None)]
    assert [result.event.seq for result in results if result.event] == [3, 4]
    assert list(MapEvent.objects.filter(map=empathy_map).values_list("seq", flat=True)) == [
        1,
        2,
        3,
        4,
    ]
    assert Note.objects.get(pk=second["id"]).text == "Second"
    assert EmpathyMap.objects.get(pk=empathy_map.pk).seq == 4


@pytest.mark.postgres
def test_the_statements_of_a_batch_are_prepared_once_run_often_enough(bob, empathy_map):
    # A server-binding cursor (selectors.statement_cursor): the same statement with other
    # values, prepared on its DB_PREPARE_THRESHOLD-th run in the connection and not planned again.
    note = create(bob, empathy_map)
    threshold = connection.settings_dict["OPTIONS"]["prepare_threshold"]
    for number in range(threshold + 1):
        version = selectors.note_data(note["id"])["version"]
        [result] = services.note_ops_apply(
            map_id=empathy_map.pk,
            ops=[edit(bob, note, f"Edit {number}", version=version)],
            broadcast=False,
        )
        assert result.new, result.error
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [statement for (statement,) in cursor.fetchall()]
    assert any(statement.endswith("FOR UPDATE") for statement in prepared), prepared
    assert any(statement.startswith('INSERT INTO "maps_mapevent"') for statement in prepared)
    assert any(statement.startswith('UPDATE "maps_note" SET') for statement in prepared)
    # Nothing else is: Django's own cursors bind on the client.
    assert all("$1" in statement for statement in prepared)
    assert MapEvent.objects.filter(map=empathy_map).count() == threshold + 2


def test_only_postgresql_binds_the_batchs_statements_on_the_server():
    with selectors.statement_cursor() as cursor:
        server_side = type(cursor.cursor).__name__ == "ServerBindingCursor"
    assert server_side == (connection.vendor == "postgresql")


def generic_plan(sql: str, params: list) -> str:
    """EXPLAIN of the statement as PostgreSQL runs it once prepared with a generic plan (the
    batch's statements are: settings.DB_PREPARE_THRESHOLD)."""
    import re

    numbers = iter(range(1, len(params) + 1))
    text = re.sub("%s", lambda _match: f"${next(numbers)}", sql)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute(f"PREPARE generic_plan_check AS {text}")
        try:
            literals = ", ".join("NULL" if value is None else "%s" for value in params)
            cursor.execute(
                f"EXPLAIN EXECUTE generic_plan_check({literals})",
                [value for value in params if value is not None],
            )
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("DEALLOCATE generic_plan_check")


@pytest.mark.postgres
def test_the_batchs_reads_stay_lookups_under_a_generic_plan(bob, alice, empathy_map):
    # Prepared with a generic plan, an `IN` list on the last column of event_unique_op was a
    # filter: every event of the actor on the map was read to find one op_id, and a busy map
    # slowed down as its log grew. Each op_id, and each note id, is now an index lookup.
    # A map with a long history, and statistics that say so.
    Note.objects.bulk_create(
        Note(map=empathy_map, section="says", text=f"Note {number}", author=bob)
        for number in range(1000)
    )
    MapEvent.objects.bulk_create(
        MapEvent(map=empathy_map, seq=seq, kind="note.updated", actor=bob, op_id=f"op-{seq}")
        for seq in range(1, 3001)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE maps_note, maps_mapevent")
    sql, params = selectors._memberships_query(empathy_map.pk, [bob.pk, alice.pk], ["a", "b"])
    plan = generic_plan(sql, params)
    lookups = [line for line in plan.splitlines() if "Index Cond" in line and "op_id = $" in line]
    assert len(lookups) == 2, plan
    assert "Filter: ((op_id" not in plan and "Seq Scan on maps_mapevent" not in plan, plan
    note_ids = list(Note.objects.filter(map=empathy_map).values_list("id", flat=True)[:3])
    plan = generic_plan(*selectors._notes_query(note_ids))
    assert "Seq Scan on maps_note n" not in plan and "Recheck Cond: (map_id" not in plan, plan
