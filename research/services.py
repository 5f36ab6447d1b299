"""Writes to the evidence library. Links change a note's status, so they are map events."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404

from maps.events import lock_map, record_event
from maps.models import EventKind, Role
from maps.selectors import note_data, note_for_user, workspace_for_user
from research.models import Evidence, EvidenceLink, Segment, Source, SourceKind, Stance
from research.selectors import (
    evidence_for_user,
    link_for_user,
    link_payload,
    links_for_note,
    source_for_user,
)
from research.status import today


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
    if kind not in SourceKind.values:
        raise ValidationError({"kind": f"Choose one of: {', '.join(SourceKind.values)}."})
    return Source.objects.create(
        workspace=workspace,
        kind=kind,
        title=_clean_text(title, "title", limit=300, required=True),
        collected_on=collected_on,
        url=_clean_text(url, "url", limit=500),
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
    return Evidence.objects.create(
        workspace_id=source.workspace_id,
        source=source,
        text=_clean_text(text, "text", limit=10000, required=True),
        collected_on=collected_on or source.collected_on or today(),
        segment=_workspace_segment(source.workspace_id, segment_id),
        participant=_clean_text(participant, "participant", limit=120),
        locator=_clean_text(locator, "locator", limit=120),
        url=_clean_text(url, "url", limit=500),
        created_by=actor,
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
            locked = lock_map(note.map_id)
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
    with transaction.atomic():
        locked = lock_map(link.note.map_id)
        gone = links_for_note(note_id=link.note_id).get(pk=link.pk)
        payload_link = link_payload(gone)
        gone.delete()
        record_event(
            locked_map=locked,
            kind=EventKind.LINK_DELETED,
            actor=actor,
            payload={"link": payload_link, "note": note_data(link.note_id)},
            op_id=op_id,
        )
