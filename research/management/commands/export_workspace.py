"""Back up one workspace to a JSON file (research/workspace_backup.py says what it holds)."""

import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from maps.models import Workspace
from research.workspace_backup import workspace_export_json


class Command(BaseCommand):
    help = (
        "Write one workspace (members, teams, maps, notes, history, comments, stances, votes, "
        "the evidence library, persona pictures) to a versioned JSON file that "
        "import_workspace restores."
    )

    def add_arguments(self, parser):
        parser.add_argument("workspace", help="The workspace's slug or id.")
        parser.add_argument(
            "--output", "-o", required=True, help="The file to write ('-': stdout)."
        )

    def handle(self, *args, **options):
        key = options["workspace"]
        workspace = Workspace.objects.filter(slug=key).first()
        if workspace is None and key.isdigit():
            workspace = Workspace.objects.filter(pk=int(key)).first()
        if workspace is None:
            raise CommandError(f"No workspace with the slug or id {key!r}.")
        text = workspace_export_json(workspace=workspace)
        if options["output"] == "-":
            self.stdout.write(text)
            return
        target = Path(options["output"])
        # Written beside the target and renamed: a failed backup never leaves half a file.
        fd, temporary = tempfile.mkstemp(dir=target.parent or ".", prefix=f".{target.name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                file.write(text)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self.stderr.write(f"Backed up workspace {workspace.slug!r} to {target}.")
