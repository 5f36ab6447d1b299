"""Background work of the evidence library, on Django's tasks API (the django-tasks backport).

Imported evidence is embedded (research/embeddings.py) by a worker process, not in the
request: `embedding_schedule` enqueues one `embed_evidence` task per batch of at most
`TASK_BATCH` ids once the import commits. With the database backend (settings.TASKS, the
default) a task is a row in the database until `manage.py db_worker` runs it, so a web process
that stops does not lose it; any number of workers can share the queue. A task only fills
vectors that are still missing, so running it twice, or after `manage.py embed_evidence`,
does no harm.
"""

import logging
from collections.abc import Sequence

from django.db import transaction
from django_tasks import task

from research import embeddings
from research.models import Evidence

logger = logging.getLogger(__name__)

# Ids per task: one huge import becomes many short tasks (about 200 x 20 ms of CPU each), so
# workers interleave it with other work and a stopped worker loses at most one batch's time.
TASK_BATCH = 200
# Texts per forward pass of the model.
EMBED_BATCH = 32


def evidence_embed(*, evidence_ids: Sequence[int], batch_size: int = EMBED_BATCH) -> int:
    """Store the vector of each of these evidence items that has none; return how many.

    Saved after each batch of `batch_size` texts, so an interrupted run keeps what it did. An
    item whose vector appeared meanwhile (a correction embeds its new text at once) is left as
    it is.
    """
    pending = list(
        Evidence.objects.filter(pk__in=list(evidence_ids), embedding__isnull=True)
        .order_by("pk")
        .values_list("pk", "text")
    )
    done = 0
    for start in range(0, len(pending), batch_size):
        batch = pending[start : start + batch_size]
        vectors = embeddings.embed([text for _, text in batch])
        for (evidence_id, _), vector in zip(batch, vectors, strict=True):
            done += Evidence.objects.filter(pk=evidence_id, embedding__isnull=True).update(
                embedding=embeddings.to_bytes(vector)
            )
    return done


def evidence_embed_missing(
    *, workspace_id: int | None = None, batch_size: int = EMBED_BATCH
) -> int:
    """Embed the evidence that has no vector yet (of one workspace, or all); return how many.

    In batches by ascending id, so an interrupted run keeps what it did and the next one goes
    on from there. Items added meanwhile with higher ids are picked up too.
    """
    pending = Evidence.objects.filter(embedding__isnull=True)
    if workspace_id is not None:
        pending = pending.filter(workspace_id=workspace_id)
    done = 0
    last_id = 0
    while True:
        ids = list(pending.filter(pk__gt=last_id).order_by("pk").values_list("pk", flat=True)[:500])
        if not ids:
            return done
        done += evidence_embed(evidence_ids=ids, batch_size=batch_size)
        last_id = ids[-1]


@task()
def embed_evidence(evidence_ids: list[int]) -> int:
    """The task: embed these evidence items (those still without a vector)."""
    count = evidence_embed(evidence_ids=evidence_ids)
    logger.info("embedded %d of %d evidence item(s)", count, len(evidence_ids))
    return count


def embedding_schedule(*, evidence_ids: Sequence[int]) -> int:
    """Enqueue the embedding of these items in tasks of `TASK_BATCH` ids, once the current
    transaction commits (a worker must find the rows; a rolled-back import enqueues nothing).

    Returns the number of tasks that will be enqueued.
    """
    ids = sorted(int(pk) for pk in evidence_ids)
    batches = [ids[start : start + TASK_BATCH] for start in range(0, len(ids), TASK_BATCH)]

    def enqueue() -> None:
        for batch in batches:
            embed_evidence.enqueue(evidence_ids=batch)

    if batches:
        transaction.on_commit(enqueue)
    return len(batches)
