"""Store the all-MiniLM-L6-v2 vector of evidence that has none (backfill, or after an import)."""

import time

from django.core.management.base import BaseCommand, CommandError

from maps.models import Workspace
from research.tasks import EMBED_BATCH, evidence_embed_missing


class Command(BaseCommand):
    help = (
        "Embed the evidence that has no vector yet, for suggestions by meaning. Safe to run "
        "again or to interrupt: it only embeds what is missing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--workspace", help="Only this workspace (its slug).")
        parser.add_argument("--batch-size", type=int, default=EMBED_BATCH)

    def handle(self, *args, **options):
        workspace_id = None
        if options["workspace"]:
            workspace = Workspace.objects.filter(slug=options["workspace"]).first()
            if workspace is None:
                raise CommandError(f"No workspace {options['workspace']!r}.")
            workspace_id = workspace.pk
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        started = time.monotonic()
        count = evidence_embed_missing(workspace_id=workspace_id, batch_size=options["batch_size"])
        self.stdout.write(
            f"embedded {count} evidence item(s) in {time.monotonic() - started:.1f} s"
        )
