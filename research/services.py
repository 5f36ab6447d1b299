"""Writes to the evidence library. Links change a note's status, so they are map events."""

import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404

from maps.events import lock_map, record_event
from maps.models import EventKind, Role, Workspace
from maps.selectors import note_data, note_for_user, workspace_for_user
from maps.services import ensure_map_is_open, ensure_workspace_is_open, lock_open_map
from research import embeddings
from research.importers import (
    FORMATS,
    FUTURE_GRACE,
    ON_ERROR,
    ImportFormatError,
    ParsedFile,
    ParsedItem,
    TooManyItems,
    parse_import,
    plan_segments,
    segment_key,
)
from research.importers.segments import UnknownMappedSegment
from research.models import Evidence, EvidenceLink, Segment, Source, SourceKind, Stance
from research.selectors import (
    evidence_for_user,
    link_for_user,
    link_payload,
    links_for_note,
    links_with_evidence,
    source_for_user,
)
from research.status import today
from research.tasks import embedding_schedule

logger = logging.getLogger(__name__)


def _clean_collected_on(value: date | None) -> date | None:
    """Evidence is dated when it was collected: not in the future (a day's grace for zones)."""
    if value is not None and value > today() + FUTURE_GRACE:
        when = value.isoformat()
        raise ValidationError(
            {"collected_on": f"{when} is in the future; give the day it was collected."}
        )
    return value


def _clean_url(value) -> str:
    """A link to where the evidence came from: a web address, or nothing."""
    url = _clean_text(value, "url", limit=500)
    if url and not WEB_URL.match(url):
        raise ValidationError({"url": "Give a web address starting with http:// or https://."})
    return url


def _clean_text(value, field: str, *, limit: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError({field: "Must be text."})
    value = value.strip()
    if required and not value:
        raise ValidationError({field: "May not be empty."})
    if len(value) > limit:
        raise ValidationError({field: f"At most {limit} characters (it has {len(value)})."})
    return value


def _workspace_segment(workspace_id: int, segment_id) -> Segment | None:
    if segment_id in (None, ""):
        return None
    segment = Segment.objects.filter(pk=segment_id, workspace_id=workspace_id).first()
    if segment is None:
        raise ValidationError({"segment": "No such segment in this workspace."})
    return segment


def segment_create(*, actor, workspace_slug: str, name: str) -> Segment:
    workspace = workspace_for_user(user=actor, slug=workspace_slug, role=Role.RESEARCHER)
    ensure_workspace_is_open(workspace)
    name = _clean_text(name, "name", limit=120, required=True)
    segment, _ = Segment.objects.get_or_create(workspace=workspace, name=name)
    return segment


def source_create(
    *,
    actor,
    workspace_slug: str,
    kind: str,
    title: str,
    collected_on: date | None = None,
    url: str = "",
    segment_id: int | None = None,
) -> Source:
    workspace = workspace_for_user(user=actor, slug=workspace_slug, role=Role.RESEARCHER)
    ensure_workspace_is_open(workspace)
    if kind not in SourceKind.values:
        raise ValidationError({"kind": f"Choose one of: {', '.join(SourceKind.values)}."})
    return Source.objects.create(
        workspace=workspace,
        kind=kind,
        title=_clean_text(title, "title", limit=300, required=True),
        collected_on=_clean_collected_on(collected_on),
        url=_clean_url(url),
        segment=_workspace_segment(workspace.pk, segment_id),
        created_by=actor,
    )


def evidence_create(
    *,
    actor,
    source_id: int,
    text: str,
    collected_on: date | None = None,
    segment_id: int | None = None,
    participant: str = "",
    locator: str = "",
    url: str = "",
) -> Evidence:
    source = source_for_user(user=actor, source_id=source_id, role=Role.RESEARCHER)
    ensure_workspace_is_open(source.workspace)
    text = _clean_text(text, "text", limit=10000, required=True)
    segment = _workspace_segment(source.workspace_id, segment_id)
    participant = _clean_text(participant, "participant", limit=120)
    locator = _clean_text(locator, "locator", limit=120)
    url = _clean_url(url)
    return Evidence.objects.create(
        workspace_id=source.workspace_id,
        source=source,
        text=text,
        collected_on=_clean_collected_on(collected_on) or source.collected_on or today(),
        segment=segment,
        participant=participant,
        locator=locator,
        url=url,
        created_by=actor,
        # One text takes about 10 to 40 ms to embed: done here, so it is suggested at once.
        embedding=embeddings.to_bytes(embeddings.embed([text])[0]),
    )


def link_create(
    *,
    actor,
    note_id: int,
    evidence_id: int,
    stance: str,
    comment: str = "",
    op_id: str | None = None,
) -> EvidenceLink:
    note = note_for_user(user=actor, note_id=note_id, role=Role.RESEARCHER)
    if note.deleted_at is not None:
        raise Http404("This note has been deleted.")
    ensure_map_is_open(note.map)
    if stance not in Stance.values:
        raise ValidationError({"stance": f"Choose one of: {', '.join(Stance.values)}."})
    comment = _clean_text(comment, "comment", limit=2000)
    try:
        evidence = evidence_for_user(user=actor, evidence_id=evidence_id)
    except Http404:
        raise ValidationError({"evidence": "No such evidence in your workspaces."}) from None
    if evidence.workspace_id != note.map.workspace_id:
        raise ValidationError({"evidence": "Evidence and note must be in the same workspace."})
    try:
        with transaction.atomic():
            # The evidence first, then the map, as evidence_update and evidence_delete take
            # them: a correction or a delete in progress is waited for, and then seen.
            try:
                _lock_evidence(evidence.pk)
            except Http404:
                raise ValidationError(
                    {"evidence": "This evidence has just been deleted."}
                ) from None
            locked = lock_open_map(note.map_id)
            link = EvidenceLink.objects.create(
                note_id=note.pk, evidence=evidence, stance=stance, comment=comment, created_by=actor
            )
            link = links_for_note(note_id=note.pk).get(pk=link.pk)
            record_event(
                locked_map=locked,
                kind=EventKind.LINK_CREATED,
                actor=actor,
                payload={"link": link_payload(link), "note": note_data(note.pk)},
                op_id=op_id,
            )
    except IntegrityError:
        raise ValidationError(
            {"evidence": "This evidence is already linked to the note."}
        ) from None
    return link


def link_delete(*, actor, link_id: int, op_id: str | None = None) -> None:
    link = link_for_user(user=actor, link_id=link_id, role=Role.RESEARCHER)
    ensure_map_is_open(link.note.map)
    with transaction.atomic():
        locked = lock_open_map(link.note.map_id)
        gone = links_for_note(note_id=link.note_id).filter(pk=link.pk).first()
        if gone is None:  # deleted meanwhile, by a request that held the lock first
            raise Http404("Not found.")
        payload_link = link_payload(gone)
        gone.delete()
        record_event(
            locked_map=locked,
            kind=EventKind.LINK_DELETED,
            actor=actor,
            payload={"link": payload_link, "note": note_data(link.note_id)},
            op_id=op_id,
        )


# Correcting and removing evidence ---------------------------------------------------------------

# What a researcher may correct. The date and the segment decide notes' statuses (freshness,
# narrowness), so correcting them tells every note that cites the item (see evidence_update).
EVIDENCE_EDITABLE = {"text", "participant", "locator", "url", "collected_on", "segment"}


def _lock_evidence(evidence_id: int) -> Evidence:
    """The evidence row, locked for the transaction: evidence_update, evidence_delete and
    link_create all take it before any map, so they serialize on it in one order.

    FOR NO KEY UPDATE on PostgreSQL, which still lets other rows' foreign-key checks on it
    through (key share), so unrelated writes never wait on a correction.
    """
    evidence = Evidence.objects.select_for_update(no_key=True).filter(pk=evidence_id).first()
    if evidence is None:  # deleted meanwhile, by a request that held the lock first
        raise Http404("Not found.")
    return evidence


def _lock_maps_citing(evidence: Evidence) -> dict[int, object]:
    """Lock, in id order, every map with a note citing the item; must run in a transaction.

    Refused while one of them is archived (its notes' statuses may not change).
    """
    # The caller holds the evidence row, which link_create takes before its map: no new
    # citation can appear meanwhile, so one read of the citing maps is the whole set.
    map_ids = EvidenceLink.objects.filter(evidence_id=evidence.pk).values_list(
        "note__map_id", flat=True
    )
    locked = {map_id: lock_map(map_id) for map_id in sorted(set(map_ids))}
    for empathy_map in locked.values():
        if empathy_map.archived:
            raise ValidationError(
                {"evidence": f"It backs notes on the archived map “{empathy_map.title}”."}
            )
    # Read again under the locks: a workspace archived meanwhile refuses the change.
    ensure_workspace_is_open(Workspace.objects.get(pk=evidence.workspace_id))
    return locked


def evidence_update(*, actor, evidence_id: int, **changes) -> Evidence:
    """Correct an item (researcher): its text, participant, locator, link, date or segment.

    A new text is embedded again. A new date or segment can change the status of every note
    that cites the item, so each such note gets a `note.updated` event on its map (payload
    `"cause": "evidence"`, its version unchanged), in the same transaction, maps locked in id
    order; refused while the item backs a note on an archived map.
    """
    evidence = evidence_for_user(user=actor, evidence_id=evidence_id, role=Role.RESEARCHER)
    ensure_workspace_is_open(evidence.workspace)
    unknown = set(changes) - EVIDENCE_EDITABLE
    if unknown:
        field_name = sorted(unknown)[0]
        raise ValidationError(
            {field_name: "This field cannot be changed; delete the item and add it again."}
        )
    # Cleaned (and the text embedded, 10-40 ms) before any lock is taken.
    cleaned: dict[str, object] = {}
    if "text" in changes:
        cleaned["text"] = _clean_text(changes["text"], "text", limit=TEXT_LIMIT, required=True)
    for name in ("participant", "locator"):
        if name in changes:
            cleaned[name] = _clean_text(changes[name], name, limit=120)
    if "url" in changes:
        cleaned["url"] = _clean_url(changes["url"])
    if "collected_on" in changes:
        cleaned["collected_on"] = _clean_collected_on(changes["collected_on"])
        if cleaned["collected_on"] is None:
            raise ValidationError({"collected_on": "Give the day it was collected."})
    if "segment" in changes:
        cleaned["segment"] = _workspace_segment(evidence.workspace_id, changes["segment"])
    if "text" in cleaned and cleaned["text"] != evidence.text:
        cleaned["embedding"] = embeddings.to_bytes(embeddings.embed([cleaned["text"]])[0])
    with transaction.atomic():
        # The row as it is now, locked (evidence first, then maps, as evidence_delete does):
        # a correction made meanwhile by someone else is kept, not written over.
        evidence = _lock_evidence(evidence.pk)
        status_changed = (
            "collected_on" in cleaned and cleaned["collected_on"] != evidence.collected_on
        ) or ("segment" in cleaned and cleaned["segment"] != evidence.segment)
        if "text" in cleaned and cleaned["text"] == evidence.text:
            cleaned.pop("text")  # unchanged (a form posts every field): keep text and vector
            cleaned.pop("embedding", None)
        elif "text" in cleaned and "embedding" not in cleaned:
            # Changed meanwhile by someone else, and now back: the vector must match the text.
            cleaned["embedding"] = embeddings.to_bytes(embeddings.embed([cleaned["text"]])[0])
        for name, value in cleaned.items():
            setattr(evidence, name, value)
        locked = _lock_maps_citing(evidence) if status_changed else {}
        if cleaned:
            evidence.save(update_fields=list(cleaned))
        # Its segment as notes count it: its own, else its source's (boards filter by it).
        segment_id = evidence.segment_id or evidence.source.segment_id
        if locked:
            notes = (
                EvidenceLink.objects.filter(evidence_id=evidence.pk)
                .order_by("note__map_id", "note_id")
                .values_list("note_id", "note__map_id")
                .distinct()
            )
            for note_id, map_id in notes:
                record_event(
                    locked_map=locked[map_id],
                    kind=EventKind.NOTE_UPDATED,
                    actor=actor,
                    payload={
                        "note": note_data(note_id),
                        "cause": "evidence",
                        "evidence": {
                            "id": evidence.pk,
                            "segment": segment_id,
                            "collected_on": evidence.collected_on,
                        },
                    },
                )
    return evidence


def evidence_delete(*, actor, evidence_id: int) -> int:
    """Delete an item (researcher), unlinking it first from every note that cites it.

    Each unlink is a `link.deleted` event on its map, as if done by hand, so boards update and
    statuses follow. All or nothing; maps are locked in id order. Refused while it backs a note
    on an archived map. Returns how many links went.
    """
    evidence = evidence_for_user(user=actor, evidence_id=evidence_id, role=Role.RESEARCHER)
    ensure_workspace_is_open(evidence.workspace)
    with transaction.atomic():
        _lock_evidence(evidence.pk)  # evidence first, then maps, as evidence_update does
        locked = _lock_maps_citing(evidence)
        links = list(
            links_with_evidence()
            .filter(evidence_id=evidence.pk)
            .select_related("note")
            .order_by("note__map_id", "id")
        )
        for link in links:
            payload_link = link_payload(link)
            note_id, map_id = link.note_id, link.note.map_id
            link.delete()
            record_event(
                locked_map=locked[map_id],
                kind=EventKind.LINK_DELETED,
                actor=actor,
                payload={"link": payload_link, "note": note_data(note_id)},
            )
        Evidence.objects.filter(pk=evidence.pk).delete()
    return len(links)


# Imports ----------------------------------------------------------------------------------------

# Kinds whose items carry a natural key (a ticket id; a period, metric and segment), so that an
# item already imported from an earlier, overlapping export is recognised in a new file too.
# Transcript keys (a cue, a turn) only mean something within their own file.
WORKSPACE_WIDE_KEYS = {SourceKind.SUPPORT_TICKET, SourceKind.USAGE_DATA}
MAX_REPORTED_ERRORS = 100
MAX_SEGMENT_MAP = 1000
KEY_CHUNK = 500
INSERT_BATCH = 1000
TEXT_LIMIT = 10000
WEB_URL = re.compile(r"https?://\S+$", re.IGNORECASE)


@dataclass
class ImportReport:
    created: int = 0
    skipped: int = 0
    # Problems with single rows that did not stop the import: {"line", "detail"}.
    errors: list[dict] = field(default_factory=list)
    source: int | None = None
    source_title: str = ""
    # Where the evidence's date came from: for a transcript "field", "header", "file_name" or
    # "today" (then with a warning), and `collected_on` that day; "rows" for CSVs.
    date_source: str = "rows"
    collected_on: date | None = None
    warnings: list[str] = field(default_factory=list)
    # Rows left out with on_error="skip": {"line", "reason"}.
    rejected: list[dict] = field(default_factory=list)
    segments_created: list[str] = field(default_factory=list)

    def problem(self, line: int | None, detail: str) -> None:
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append({"line": line, "detail": detail})


class ImportRejected(ValidationError):
    """A file that cannot be imported at all. Nothing of it was saved. `extra` holds more
    fields for the error body (`limit`, `new_segments`)."""

    status_code = 400
    error_code = "invalid_file"

    def __init__(self, detail: str, *, line: int | None = None, code: str | None = None):
        self.detail = detail  # names the line itself when there is one
        self.line = line
        self.extra: dict = {}
        if code:
            self.error_code = code
        super().__init__({"file": detail})


class ImportTooLarge(ImportRejected):
    status_code = 413
    error_code = "too_large"

    def __init__(self, *, size: int, limit: int):
        self.limit = limit
        super().__init__(
            f"The file is {size:,} bytes; imports may be at most {limit:,} bytes. "
            "Split it into smaller files."
        )


class ImportNeedsSegments(ImportRejected):
    """The file names segments the workspace does not have: nothing is imported until the
    caller maps each to an existing segment (`segment_map`) or lets them be created
    (`create_segments`)."""

    error_code = "new_segments"

    def __init__(self, names: list[str]):
        self.new_segments = names
        listed = ", ".join(f"“{name}”" for name in names)
        super().__init__(
            f"The file names {len(names)} segment{'s' if len(names) != 1 else ''} this "
            f"workspace does not have: {listed}. Map each to an existing segment "
            "(segment_map) or allow creating them (create_segments); nothing was imported."
        )
        self.extra = {"new_segments": names}


def import_max_items() -> int:
    return settings.IMPORT_MAX_ITEMS


def import_limit() -> int:
    return settings.IMPORT_MAX_BYTES


def import_file(
    *,
    actor,
    workspace_slug: str,
    file,
    format: str,  # noqa: A002 - the form and API field's name
    collected_on: date | None = None,
    segment: str | None = None,
    interviewer: str | None = None,
    on_error: str = "stop",
    segment_map: dict[str, str] | None = None,
    create_segments: bool = False,
) -> ImportReport:
    """`evidence_import` for an uploaded file, refused for its size before it is read."""
    ensure_workspace_is_open(
        workspace_for_user(user=actor, slug=workspace_slug, role=Role.RESEARCHER)
    )
    limit = import_limit()
    if file.size is not None and file.size > limit:
        raise ImportTooLarge(size=file.size, limit=limit)
    data = file.read(limit + 1)
    return evidence_import(
        actor=actor,
        workspace_slug=workspace_slug,
        fmt=format,
        data=data,
        filename=getattr(file, "name", "") or "",
        collected_on=collected_on,
        segment_name=segment or "",
        interviewer=interviewer or "",
        on_error=on_error,
        segment_map=segment_map,
        create_segments=create_segments,
    )


def evidence_import(
    *,
    actor,
    workspace_slug: str,
    fmt: str,
    data: bytes,
    filename: str = "",
    collected_on: date | None = None,
    segment_name: str = "",
    interviewer: str = "",
    on_error: str = "stop",
    segment_map: dict[str, str] | None = None,
    create_segments: bool = False,
) -> ImportReport:
    """Import a support export, a transcript or usage data as evidence (researcher).

    All or nothing: a malformed file raises ImportRejected naming the line, and saves nothing;
    with `on_error="skip"` the CSV rows that cannot be read are left out and listed in
    `rejected`, and the rest is imported in the same single transaction.
    Idempotent: the file's source is keyed by its sha256 and each item by its external key
    (a ticket id, a cue, a row; or a hash of its text), so importing a file again creates
    nothing and counts every item as skipped.
    Segments: names in the file match the workspace's segments ignoring case and spaces; a
    new name raises ImportNeedsSegments unless `segment_map` maps it to an existing segment or
    `create_segments` allows creating it. The `segment_name` field is the caller's explicit
    choice: matched the same way, and created when new.
    Bounded: at most settings.IMPORT_MAX_ITEMS items, or 400 naming the limit.
    """
    workspace = workspace_for_user(user=actor, slug=workspace_slug, role=Role.RESEARCHER)
    ensure_workspace_is_open(workspace)
    if fmt not in FORMATS:
        raise ValidationError({"format": f"Choose one of: {', '.join(FORMATS)}."})
    limit = import_limit()
    if len(data) > limit:
        raise ImportTooLarge(size=len(data), limit=limit)
    segment_name = " ".join(_clean_text(segment_name, "segment", limit=120).split())
    collected_on = _clean_collected_on(collected_on)
    interviewer = _clean_text(interviewer, "interviewer", limit=120)
    if on_error not in ON_ERROR:
        raise ValidationError({"on_error": f"Choose one of: {', '.join(ON_ERROR)}."})
    segment_map = _clean_segment_map(segment_map)
    day = today()
    try:
        parsed = parse_import(
            fmt,
            data,
            filename=filename,
            collected_on=collected_on,
            interviewer=interviewer,
            today=day,
            max_items=import_max_items(),
            on_error=on_error,
        )
    except TooManyItems as error:
        rejected = ImportRejected(str(error.detail), line=error.line, code=error.code)
        rejected.extra = {"limit": error.limit}
        raise rejected from None
    except ImportFormatError as error:
        raise ImportRejected(str(error.detail), line=error.line) from None
    report = ImportReport(
        date_source=parsed.date_source,
        collected_on=parsed.source_collected_on if parsed.date_source != "rows" else None,
        warnings=list(parsed.warnings),
        rejected=[{"line": row.line, "reason": row.reason} for row in parsed.rejected],
    )
    with transaction.atomic():
        # One import at a time per workspace, so that two uploads of one file cannot both
        # find it new.
        Workspace.objects.select_for_update().filter(pk=workspace.pk).first()
        source = Source.objects.filter(
            workspace=workspace, kind=parsed.source_kind, import_key=parsed.source_key
        ).first()
        items = _new_items(workspace, source, parsed, report)
        segments = {}
        if items:
            names = [segment_name] if segment_name else [item.segment for item, _ in items]
            segments = _segments(
                workspace,
                names,
                segment_map=segment_map,
                create=create_segments or bool(segment_name),
                report=report,
            )
        if source is None and items:
            source = Source.objects.create(
                workspace=workspace,
                kind=parsed.source_kind,
                title=_truncate(parsed.source_title or filename or "Import", 300),
                collected_on=parsed.source_collected_on or collected_on,
                segment=segments.get(segment_key(segment_name)) if segment_name else None,
                import_key=parsed.source_key,
                created_by=actor,
            )
        if items:
            created = Evidence.objects.bulk_create(
                [
                    _evidence(
                        workspace=workspace,
                        source=source,
                        item=item,
                        key=key,
                        segment=segments.get(segment_key(segment_name or item.segment)),
                        collected_on=item.collected_on
                        or parsed.source_collected_on
                        or collected_on
                        or day,
                        actor=actor,
                        report=report,
                    )
                    for item, key in items
                ],
                batch_size=INSERT_BATCH,
            )
            # Tens of thousands of rows take minutes to embed: a worker does it (tasks.py).
            embedding_schedule(evidence_ids=[evidence.pk for evidence in created])
    report.created = len(items)
    if source is not None:
        report.source = source.pk
        report.source_title = source.title
    return report


def _truncate(value, limit: int) -> str:
    return (value or "").strip()[:limit]


def _item_key(item: ParsedItem) -> str:
    key = (item.external_key or "").strip()
    if not key:
        key = "sha256:" + hashlib.sha256(item.text.strip().encode()).hexdigest()
    elif len(key) > 200:
        key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return key


def _new_items(
    workspace, source: Source | None, parsed: ParsedFile, report: ImportReport
) -> list[tuple[ParsedItem, str]]:
    """The file's items not yet in the library, each with its key; the rest counted as skipped."""
    keyed: list[tuple[ParsedItem, str]] = []
    first_line: dict[str, int | None] = {}
    for item in parsed.items:
        if not (item.text or "").strip():
            report.problem(item.line, "No text; skipped.")
            continue
        key = _item_key(item)
        if key in first_line:
            report.skipped += 1
            report.problem(item.line, f"Repeats line {first_line[key]}; skipped.")
            continue
        first_line[key] = item.line
        keyed.append((item, key))
    existing = _existing_keys(workspace, source, parsed.source_kind, list(first_line))
    new = [(item, key) for item, key in keyed if key not in existing]
    report.skipped += len(keyed) - len(new)
    return new


def _existing_keys(workspace, source: Source | None, kind: str, keys: list[str]) -> set[str]:
    if kind in WORKSPACE_WIDE_KEYS:
        sources = list(
            Source.objects.filter(workspace=workspace, kind=kind).values_list("pk", flat=True)
        )
    else:
        sources = [source.pk] if source is not None else []
    if not sources:
        return set()
    # Shaped to use the (source, external_key) unique index, which skips empty keys.
    scope = Evidence.objects.filter(source_id__in=sources).exclude(external_key="")
    found: set[str] = set()
    for start in range(0, len(keys), KEY_CHUNK):
        chunk = keys[start : start + KEY_CHUNK]
        keys_found = scope.filter(external_key__in=chunk).order_by().values_list("external_key")
        found.update(key for (key,) in keys_found)
    return found


def _clean_segment_map(segment_map) -> dict[str, str]:
    if not segment_map:
        return {}
    if not isinstance(segment_map, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in segment_map.items()
    ):
        raise ValidationError(
            {"segment_map": 'Segment names to segments: {"Enterprise": "Enterprise finance"}.'}
        )
    if len(segment_map) > MAX_SEGMENT_MAP:
        raise ValidationError({"segment_map": f"At most {MAX_SEGMENT_MAP} names."})
    return {key: value for key, value in segment_map.items() if key.strip()}


def _segments(
    workspace, names, *, segment_map, create: bool, report: ImportReport
) -> dict[str, Segment]:
    """The segments of the file's names by their key (segment_key). Names match existing
    segments ignoring case and spaces; a new one is created only when allowed, else the
    import is refused listing them (ImportNeedsSegments)."""
    existing = list(Segment.objects.filter(workspace=workspace).order_by("pk"))
    try:
        plan = plan_segments(
            names,
            existing=[segment.name for segment in existing],
            segment_map=segment_map,
            create=create,
        )
    except UnknownMappedSegment as error:
        raise ValidationError(
            {"segment_map": f"“{error.name}” is not a segment of this workspace."}
        ) from None
    if plan.unresolved:
        raise ImportNeedsSegments(plan.unresolved)
    if plan.create:
        # A segment made meanwhile by hand is fine: ignore the conflict and read them all back.
        Segment.objects.bulk_create(
            [Segment(workspace=workspace, name=name[:120]) for name in plan.create],
            ignore_conflicts=True,
        )
        existing = list(Segment.objects.filter(workspace=workspace).order_by("pk"))
        report.segments_created = plan.create
    by_name = {}
    for segment in existing:
        by_name.setdefault(segment.name, segment)
    return {key: by_name[name] for key, name in plan.names.items() if name in by_name}


def _evidence(
    *, workspace, source, item: ParsedItem, key, segment, collected_on, actor, report
) -> Evidence:
    text = item.text.strip()
    if len(text) > TEXT_LIMIT:
        report.problem(item.line, f"Text longer than {TEXT_LIMIT} characters; cut short.")
        text = text[:TEXT_LIMIT]
    url = _truncate(item.url, 500)
    # The parser keeps only http(s) addresses; this is the cheap guard that a link in a page
    # can never be `javascript:`.
    if url and not WEB_URL.match(url):
        report.problem(item.line, f"Not an http(s) address, left out: {url[:80]}")
        url = ""
    return Evidence(
        workspace=workspace,
        source=source,
        text=text,
        collected_on=collected_on,
        segment=segment,
        participant=_truncate(item.participant, 120),
        locator=_truncate(item.locator, 120),
        url=url,
        external_key=key,
        created_by=actor,
    )
