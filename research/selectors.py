"""Reads of the evidence library, always scoped to the caller's workspaces."""

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from maps.models import Membership, Role
from maps.selectors import iso, require_role
from research.models import Evidence, EvidenceLink, Segment, Source


def member_workspace_ids(user) -> QuerySet:
    return Membership.objects.filter(user_id=user.pk).values("workspace_id")


def segments_for_user(*, user, workspace_slug: str | None = None) -> QuerySet[Segment]:
    segments = Segment.objects.filter(workspace_id__in=member_workspace_ids(user))
    if workspace_slug:
        segments = segments.filter(workspace__slug=workspace_slug)
    return segments.select_related("workspace").order_by("workspace__name", "name")


def sources_for_user(*, user, workspace_slug: str | None = None) -> QuerySet[Source]:
    sources = Source.objects.filter(workspace_id__in=member_workspace_ids(user))
    if workspace_slug:
        sources = sources.filter(workspace__slug=workspace_slug)
    return sources.select_related("workspace", "segment").annotate(evidence_count=Count("evidence"))


def evidence_base() -> QuerySet[Evidence]:
    return Evidence.objects.select_related("workspace", "source", "segment", "source__segment")


def evidence_for_user(*, user, evidence_id: int, role: Role | str = Role.VIEWER) -> Evidence:
    evidence = evidence_base().filter(pk=evidence_id).first()
    if evidence is None:
        raise Http404("Not found.")
    require_role(user=user, workspace_id=evidence.workspace_id, role=role)
    return evidence


def source_for_user(*, user, source_id: int, role: Role | str = Role.VIEWER) -> Source:
    source = Source.objects.select_related("workspace").filter(pk=source_id).first()
    if source is None:
        raise Http404("Not found.")
    require_role(user=user, workspace_id=source.workspace_id, role=role)
    return source


def evidence_search(queryset: QuerySet[Evidence], q: str) -> QuerySet[Evidence]:
    """Every word must match. Replaced by full-text search in research/search.py when present."""
    for word in q.split():
        queryset = queryset.filter(text__icontains=word)
    return queryset


def evidence_for_user_list(
    *,
    user,
    workspace_slug: str | None = None,
    q: str = "",
    kind: str = "",
    segment: str = "",
    source_id: int | None = None,
) -> QuerySet[Evidence]:
    evidence = evidence_base().filter(workspace_id__in=member_workspace_ids(user))
    if workspace_slug:
        evidence = evidence.filter(workspace__slug=workspace_slug)
    if kind:
        evidence = evidence.filter(source__kind=kind)
    if segment:
        segment_filter = Q(segment__name=segment) | Q(
            segment__isnull=True, source__segment__name=segment
        )
        if segment.isdigit():
            segment_filter = Q(segment_id=int(segment)) | Q(
                segment__isnull=True, source__segment_id=int(segment)
            )
        evidence = evidence.filter(segment_filter)
    if source_id:
        evidence = evidence.filter(source_id=source_id)
    if q.strip():
        evidence = evidence_search(evidence, q.strip())
    return evidence


def effective_segment(evidence: Evidence):
    return evidence.segment or evidence.source.segment


def evidence_payload(evidence: Evidence) -> dict:
    segment = effective_segment(evidence)
    return {
        "id": evidence.pk,
        "workspace": evidence.workspace.slug,
        "source": evidence.source_id,
        "source_title": evidence.source.title,
        "kind": evidence.source.kind,
        "text": evidence.text,
        "collected_on": iso(evidence.collected_on),
        "segment": segment.pk if segment else None,
        "segment_name": segment.name if segment else None,
        "participant": evidence.participant,
        "locator": evidence.locator,
        "url": evidence.url or evidence.source.url,
        "created_at": iso(evidence.created_at),
    }


def link_payload(link: EvidenceLink) -> dict:
    return {
        "id": link.pk,
        "note": link.note_id,
        "evidence": evidence_payload(link.evidence),
        "stance": link.stance,
        "comment": link.comment,
        "created_by": link.created_by.username if link.created_by_id else None,
        "created_at": iso(link.created_at),
    }


def links_for_note(*, note_id: int) -> QuerySet[EvidenceLink]:
    return (
        EvidenceLink.objects.filter(note_id=note_id)
        .select_related(
            "created_by",
            "evidence",
            "evidence__workspace",
            "evidence__source",
            "evidence__segment",
            "evidence__source__segment",
        )
        .order_by("created_at", "id")
    )


def link_for_user(*, user, link_id: int, role: Role | str = Role.VIEWER) -> EvidenceLink:
    link = links_for_note_all().filter(pk=link_id).first()
    if link is None:
        raise Http404("Not found.")
    require_role(user=user, workspace_id=link.note.map.workspace_id, role=role)
    return link


def links_for_note_all() -> QuerySet[EvidenceLink]:
    return EvidenceLink.objects.select_related("note", "note__map", "evidence")
