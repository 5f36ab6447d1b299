"""Import evidence files from the command line, through the same service as the API.

Segments: like the API, a file naming a segment the workspace does not have is refused (exit
status 1, the new names listed, nothing imported from that file) unless each is mapped with
`--segment-map "Name in file=Existing segment"` (repeatable) or `--create-segments` allows
creating them. Names match existing segments ignoring case and spaces either way. The command
never asks interactively: it runs in scripts and cron jobs.
"""

from datetime import date
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from maps.models import Workspace
from research.importers import FORMATS, ON_ERROR
from research.services import (
    ImportNeedsSegments,
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
        parser.add_argument(
            "--on-error",
            choices=ON_ERROR,
            default="stop",
            help="stop (default): a bad row refuses the file; skip: import the good rows of a "
            "CSV and list the others.",
        )
        parser.add_argument(
            "--segment-map",
            action="append",
            default=[],
            type=segment_pair,
            metavar="NAME=SEGMENT",
            help="Import a segment name of the file as this existing segment (repeatable).",
        )
        parser.add_argument(
            "--create-segments",
            action="store_true",
            help="Create the segments the file names that the workspace does not have.",
        )

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
                if isinstance(error, ImportNeedsSegments):
                    self.stderr.write(
                        "  use --segment-map 'NAME=EXISTING SEGMENT' or --create-segments"
                    )
                failed.append(name)
                continue
            totals["created"] += report.created
            totals["skipped"] += report.skipped
            self.stdout.write(
                f"{path}: created {report.created}, skipped {report.skipped}, "
                f"{len(report.errors)} row problem(s)"
            )
            if report.date_source != "rows":
                self.stdout.write(f"  dated {report.collected_on} (from the {report.date_source})")
            for warning in report.warnings:
                self.stdout.write(f"  warning: {warning}")
            for problem in report.errors:
                self.stdout.write(f"  line {problem['line']}: {problem['detail']}")
            for row in report.rejected:
                self.stdout.write(f"  line {row['line']}: skipped, {row['reason']}")
            if report.segments_created:
                self.stdout.write(f"  new segments: {', '.join(report.segments_created)}")
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
                on_error=options["on_error"],
                segment_map=dict(options["segment_map"]),
                create_segments=options["create_segments"],
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


def segment_pair(value: str) -> tuple[str, str]:
    name, equals, segment = value.partition("=")
    if not equals or not name.strip() or not segment.strip():
        raise ValueError(value)
    return name.strip(), segment.strip()


def workspace_id_for_slug(slug: str) -> int | None:
    return Workspace.objects.filter(slug=slug).values_list("pk", flat=True).first()
