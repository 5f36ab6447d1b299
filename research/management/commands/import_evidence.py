"""Import evidence files from the command line, through the same service as the API."""

from datetime import date
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from maps.models import Workspace
from research.importers import FORMATS
from research.services import (
    ImportRejected,
    ImportTooLarge,
    evidence_import,
    import_limit,
)
from research.tasks import evidence_embed_missing


class Command(BaseCommand):
    help = (
        "Import support exports, interview transcripts or usage data into a workspace's "
        "evidence library. Each file is imported whole or not at all; importing a file again "
        "creates nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--workspace", required=True, help="The workspace's slug.")
        parser.add_argument("--format", required=True, choices=FORMATS, dest="fmt")
        parser.add_argument(
            "--user", required=True, help="Who imports: a researcher or lead of the workspace."
        )
        parser.add_argument(
            "--collected-on", type=date.fromisoformat, help="YYYY-MM-DD (transcripts)."
        )
        parser.add_argument("--segment", default="", help="A segment name for every item.")
        parser.add_argument("--interviewer", default="", help="Transcripts: who asked.")

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No user is called {options['user']!r}.")
        totals = {"created": 0, "skipped": 0}
        failed = []
        for name in options["files"]:
            path = Path(name)
            try:
                report = self.import_one(path, user, options)
            except ImportRejected as error:
                where = f"{path}:{error.line}" if error.line else str(path)
                self.stderr.write(f"{where}: {error.detail} (nothing imported from this file)")
                failed.append(name)
                continue
            totals["created"] += report.created
            totals["skipped"] += report.skipped
            self.stdout.write(
                f"{path}: created {report.created}, skipped {report.skipped}, "
                f"{len(report.errors)} row problem(s)"
            )
            for problem in report.errors:
                self.stdout.write(f"  line {problem['line']}: {problem['detail']}")
        if len(options["files"]) > 1:
            self.stdout.write(f"total: created {totals['created']}, skipped {totals['skipped']}")
        if totals["created"]:
            # Embedded here, so that the files are suggested by meaning when the command ends;
            # the tasks the service enqueued then find nothing left to do.
            embedded = evidence_embed_missing(
                workspace_id=workspace_id_for_slug(options["workspace"])
            )
            self.stdout.write(f"embedded {embedded} evidence item(s) for suggestions by meaning")
        if failed:
            raise CommandError(f"{len(failed)} file(s) not imported: {', '.join(failed)}")

    def import_one(self, path: Path, user, options):
        limit = import_limit()
        try:
            size = path.stat().st_size
            if size > limit:
                raise ImportTooLarge(size=size, limit=limit)
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"{path}: {error.strerror}") from None
        try:
            return evidence_import(
                actor=user,
                workspace_slug=options["workspace"],
                fmt=options["fmt"],
                data=data,
                filename=path.name,
                collected_on=options["collected_on"],
                segment_name=options["segment"],
                interviewer=options["interviewer"],
            )
        except Http404:
            raise CommandError(
                f"No workspace {options['workspace']!r} with {user.username} as a member."
            ) from None
        except PermissionDenied as error:
            raise CommandError(str(error)) from None
        except ImportRejected:
            raise
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None


def workspace_id_for_slug(slug: str) -> int | None:
    return Workspace.objects.filter(slug=slug).values_list("pk", flat=True).first()
