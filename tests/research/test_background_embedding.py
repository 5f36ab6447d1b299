"""Imported evidence is embedded by durable background tasks (research/tasks.py): enqueued once
the import commits, in bounded batches, idempotent, and kept in the database until a worker
(`manage.py db_worker`) runs them. The library and the suggestions say how far it is."""

import re

import pytest
from django.core.management import call_command
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from research import embeddings, services, tasks
from research.models import Evidence
from tests.factories import EvidenceFactory, NoteFactory, SourceFactory

pytestmark = pytest.mark.django_db

DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
IMMEDIATE_BACKEND = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def support_csv(rows: int) -> bytes:
    lines = ["Ticket ID,Created At,Subject,Description"]
    lines += [f"{7000 + n},2026-03-02,Ticket {n},Receipts lost in month {n}" for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def import_tickets(rita, workspace, rows: int):
    return services.evidence_import(
        actor=rita, workspace_slug=workspace.slug, fmt="support_csv", data=support_csv(rows)
    )


def test_an_import_enqueues_its_embedding_in_batches_only_once_it_commits(
    rita, workspace, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_BACKEND
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = import_tickets(rita, workspace, 450)
        assert not DBTaskResult.objects.exists()
    assert report.created == 450
    assert not DBTaskResult.objects.exists()  # nothing before the commit

    for callback in callbacks:
        callback()

    queued = list(DBTaskResult.objects.order_by("enqueued_at"))
    assert [len(task.args_kwargs["kwargs"]["evidence_ids"]) for task in queued] == [200, 200, 50]
    assert {task.status for task in queued} == {TaskResultStatus.READY}
    assert {task.task_path for task in queued} == {"research.tasks.embed_evidence"}
    every_id = sorted(i for task in queued for i in task.args_kwargs["kwargs"]["evidence_ids"])
    assert every_id == sorted(Evidence.objects.values_list("pk", flat=True))


def test_an_import_that_creates_nothing_enqueues_nothing(
    rita, workspace, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_BACKEND
    with django_capture_on_commit_callbacks(execute=True):
        import_tickets(rita, workspace, 3)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        report = import_tickets(rita, workspace, 3)
    assert (report.created, report.skipped) == (0, 3)
    assert callbacks == []
    assert DBTaskResult.objects.count() == 1


# The worker closes and reopens its database connection between tasks, as in production: a
# test transaction would not survive that on PostgreSQL.
@pytest.mark.django_db(transaction=True)
def test_a_task_enqueued_survives_until_a_worker_runs_it(
    rita, workspace, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_BACKEND
    with django_capture_on_commit_callbacks(execute=True):
        import_tickets(rita, workspace, 3)
    # The web process is gone: the task is a row in the database, the vectors are missing.
    task = DBTaskResult.objects.get()
    assert task.status == TaskResultStatus.READY
    assert Evidence.objects.filter(embedding__isnull=True).count() == 3

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    task.refresh_from_db()
    assert task.status == TaskResultStatus.SUCCESSFUL
    assert task.return_value == 3
    assert not Evidence.objects.filter(embedding__isnull=True).exists()


def test_with_the_immediate_backend_an_import_is_embedded_when_it_commits(
    rita, workspace, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE_BACKEND
    with django_capture_on_commit_callbacks(execute=True):
        import_tickets(rita, workspace, 5)
    assert Evidence.objects.filter(workspace=workspace).count() == 5
    assert not Evidence.objects.filter(embedding__isnull=True).exists()


def test_the_task_embeds_only_what_has_no_vector_yet(workspace):
    source = SourceFactory(workspace=workspace)
    missing = EvidenceFactory(source=source, text="Receipts fade in the sun", embedding=None)
    corrected = EvidenceFactory(source=source, text="Corrected text", embedding=b"x" * 1536)

    assert tasks.embed_evidence.call(evidence_ids=[missing.pk, corrected.pk]) == 1
    assert tasks.embed_evidence.call(evidence_ids=[missing.pk, corrected.pk]) == 0

    missing.refresh_from_db()
    corrected.refresh_from_db()
    stored = embeddings.from_bytes([missing.embedding])[0]
    assert abs(float(stored @ embeddings.embed(["Receipts fade in the sun"])[0]) - 1) < 1e-5
    assert bytes(corrected.embedding) == b"x" * 1536


def test_the_progress_endpoint_counts_the_workspace_evidence_and_its_vectors(
    api, vera, mallory, workspace
):
    source = SourceFactory(workspace=workspace)
    for n in range(3):
        EvidenceFactory(source=source, text=f"waiting {n}", embedding=None)
    EvidenceFactory(source=source, text="done", embedding=b"x" * 1536)
    EvidenceFactory(text="another workspace", embedding=None)

    response = api(vera).get("/api/v1/workspaces/acme/embedding/")

    assert response.status_code == 200, response.data
    assert response.data == {"total": 4, "embedded": 1, "pending": 3}
    assert api(mallory).get("/api/v1/workspaces/acme/embedding/").status_code == 404


def test_suggestions_say_whether_every_candidate_is_embedded(api, vera, empathy_map, workspace):
    note = NoteFactory(map=empathy_map, section="pains", text="Receipts go missing")
    source = SourceFactory(workspace=workspace)
    EvidenceFactory(source=source, text="Receipts go missing in March", embedding=None)

    waiting = api(vera).get(f"/api/v1/notes/{note.pk}/suggestions/").data
    assert (waiting["complete"], waiting["pending"]) == (False, 1)
    assert len(waiting["results"]) == 1  # found by its words meanwhile

    tasks.evidence_embed_missing(workspace_id=workspace.pk)

    done = api(vera).get(f"/api/v1/notes/{note.pk}/suggestions/").data
    assert (done["complete"], done["pending"]) == (True, 0)


def test_the_library_shows_the_embedding_progress_without_inline_script(
    client, rita, workspace, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_BACKEND
    with django_capture_on_commit_callbacks(execute=True):
        import_tickets(rita, workspace, 1200)
    Evidence.objects.filter(pk__in=Evidence.objects.order_by("pk").values("pk")[:340]).update(
        embedding=b"x" * 1536
    )
    client.force_login(rita)

    page = client.get("/w/acme/evidence/").content.decode()

    assert "Embedding 340 of 1,200 evidence items" in page
    assert 'data-url="/api/v1/workspaces/acme/embedding/"' in page
    assert "js/embedding-progress.js" in page
    # A Content-Security-Policy without 'unsafe-inline' would block any inline script.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)

    tasks.evidence_embed_missing(workspace_id=workspace.pk)
    assert "embedding-progress" not in client.get("/w/acme/evidence/").content.decode()
