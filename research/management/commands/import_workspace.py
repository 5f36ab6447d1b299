"""Restore a workspace from a file written by export_workspace, all or nothing."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from research.workspace_backup import read_backup, workspace_restore


class Command(BaseCommand):
    help = (
        "Restore a workspace backup (from export_workspace) as a new workspace, with new ids; "
        "users are matched by username, and those missing are created without a password."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The backup file.")
        parser.add_argument("--slug", help="Restore under this slug (when the original is taken).")

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
        try:
            workspace = workspace_restore(data=read_backup(content), slug=options["slug"])
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stderr.write(
            f"Restored workspace {workspace.slug!r} (id {workspace.pk}, "
            f"{workspace.maps.count()} maps)."
        )
