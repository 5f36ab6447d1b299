"""Reads of the evidence library, always scoped to the caller's workspaces."""

from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db import models
from django.db.models import Count, F, Q, QuerySet
from django.http import Http404

from maps import visibility
from maps.models import Membership, Note, ReviewState, Role
from maps.selectors import (
    iso,
    note_for_user,
    note_payload,
    parse_id,
    require_membership,
    require_role,
    username,
    workspace_for_user,
)
from research import embeddings
from research import status as evidence_status
from research.models import Evidence, EvidenceLink, Segment, Source
from research.ranking import rank_evidence
from research.search import any_word_matches, crude_stem, on_postgresql, search_evidence, words
from research.status import LinkFact, compute_status, is_fresh


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
    # The stored vector (1.5 kB a row) is read only by suggestions, which ask for it.
    return Evidence.objects.select_related(
        "workspace", "source", "segment", "source__segment"
    ).defer("embedding")


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
    """Every word must match (full-text on PostgreSQL, most relevant first); see research/search."""
    return search_evidence(queryset, q)


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
        segment_id = parse_id(segment)
        if segment_id is not None:
            segment_filter = Q(segment_id=segment_id) | Q(
                segment__isnull=True, source__segment_id=segment_id
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


def links_with_evidence() -> QuerySet[EvidenceLink]:
    """Links with all that `link_payload` reads, oldest first; callers filter them."""
    return EvidenceLink.objects.select_related(
        "created_by",
        "evidence",
        "evidence__workspace",
        "evidence__source",
        "evidence__segment",
        "evidence__source__segment",
    ).order_by("created_at", "id")


def links_for_note(*, note_id: int) -> QuerySet[EvidenceLink]:
    return links_with_evidence().filter(note_id=note_id)


def link_for_user(*, user, link_id: int, role: Role | str = Role.VIEWER) -> EvidenceLink:
    link = links_for_note_all().filter(pk=link_id).first()
    if link is None:
        raise Http404("Not found.")
    role_held, team = require_membership(
        user=user, workspace_id=link.note.map.workspace_id, role=role
    )
    viewer = visibility.viewer_for(role=role_held, team=team, phase=link.note.map.phase)
    if not visibility.may_see(viewer, link.note.team):
        raise Http404("Not found.")
    return link


def links_for_note_all() -> QuerySet[EvidenceLink]:
    return EvidenceLink.objects.select_related("note", "note__map", "evidence")


def note_link_facts(*, map_id: int) -> dict[int, list[dict]]:
    """For each live note of the map, its links' id, evidence, stance and effective segment, in
    one query.

    The board uses it to filter notes by segment and keeps it current from link events.
    """
    rows = (
        EvidenceLink.objects.filter(note__map_id=map_id, note__deleted_at__isnull=True)
        .select_related("evidence__segment", "evidence__source__segment")
        .order_by("id")
    )
    facts: dict[int, list[dict]] = {}
    for link in rows:
        segment = effective_segment(link.evidence)
        facts.setdefault(link.note_id, []).append(
            {
                "id": link.pk,
                "evidence": link.evidence_id,
                "stance": link.stance,
                "segment": segment.pk if segment else None,
                "segment_name": segment.name if segment else None,
            }
        )
    return facts


def links_for_evidence(*, user, evidence_id: int) -> QuerySet[EvidenceLink]:
    """The live notes an evidence item supports or contradicts, with their maps; notes hidden
    from `user` by drafting left out."""
    return (
        EvidenceLink.objects.filter(evidence_id=evidence_id, note__deleted_at__isnull=True)
        .filter(visibility.visible_notes_q(user, prefix="note__"))
        .select_related("note", "note__map", "created_by")
        .order_by("note__map__title", "note__section", "note__position")
    )


# Suggestions ----------------------------------------------------------------------------------

SUGGESTION_LIMIT = 20
# Past this many unlinked items, only those sharing a word with the note are ranked by words.
SUGGESTION_CANDIDATES = 2000
# The most recent items with a vector that are compared by meaning (1.5 kB each to read).
SEMANTIC_CANDIDATES = 10000


@dataclass(frozen=True)
class EmbeddingProgress:
    total: int  # evidence items of the workspace
    embedded: int  # of them with a vector (suggested by meaning as well as by words)

    @property
    def pending(self) -> int:
        return self.total - self.embedded


def embedding_progress_of(evidence: QuerySet[Evidence]) -> EmbeddingProgress:
    """How many of these items have a vector, in one query."""
    counts = evidence.aggregate(
        total=Count("pk"), embedded=Count("pk", filter=Q(embedding__isnull=False))
    )
    return EmbeddingProgress(total=counts["total"], embedded=counts["embedded"])


def embedding_progress(*, user, workspace_slug: str) -> EmbeddingProgress:
    """How far the background embedding of a workspace's evidence is (any member)."""
    workspace = workspace_for_user(user=user, slug=workspace_slug)
    return embedding_progress_of(Evidence.objects.filter(workspace_id=workspace.pk))


@dataclass(frozen=True)
class NoteSuggestions:
    results: list["SuggestedEvidence"]
    # Unlinked items still waiting for their vector: ranked by their words only until then.
    pending: int

    @property
    def complete(self) -> bool:
        return self.pending == 0


@dataclass(frozen=True)
class SuggestedEvidence:
    evidence: Evidence
    score: float
    matched: list[str]
    reason: str = ""


def suggestion_candidates(*, note) -> QuerySet[Evidence]:
    """The workspace's evidence not yet linked to the note."""
    linked = EvidenceLink.objects.filter(note_id=note.pk).values("evidence_id")
    return Evidence.objects.filter(workspace_id=note.map.workspace_id).exclude(pk__in=linked)


def note_suggestions_with_progress(
    *, user, note_id: int, limit: int = SUGGESTION_LIMIT
) -> NoteSuggestions:
    """`note_suggestions`, and how many candidates still wait for their vector."""
    note = note_for_user(user=user, note_id=note_id)
    pending = suggestion_candidates(note=note).filter(embedding__isnull=True).count()
    return NoteSuggestions(results=suggestions_for_note(note=note, limit=limit), pending=pending)


def note_suggestions(
    *, user, note_id: int, limit: int = SUGGESTION_LIMIT
) -> list[SuggestedEvidence]:
    """Unlinked evidence of the note's workspace, most relevant to its text first (any member).

    The word ranker's order and the order by meaning (cosine of the stored vectors to the
    note's, embedded here) are fused by reciprocal rank; see docs/suggestions.md.
    """
    return suggestions_for_note(note=note_for_user(user=user, note_id=note_id), limit=limit)


def suggestions_for_note(*, note, limit: int = SUGGESTION_LIMIT) -> list[SuggestedEvidence]:
    """`note_suggestions` for a note the caller may read."""
    candidates = suggestion_candidates(note=note)
    by_words = candidates
    if candidates.count() > SUGGESTION_CANDIDATES:
        by_words = prefilter_candidates(candidates, note.text)[:SUGGESTION_CANDIDATES]
    words = rank_evidence(
        note.text, by_words.values_list("id", "text"), limit=SUGGESTION_CANDIDATES
    )
    cosines = []
    if note.text.strip():
        # Not prefiltered: finding evidence that shares no word with the note is the point.
        stored = list(
            candidates.filter(embedding__isnull=False)
            .order_by("-collected_on", "-id")
            .values_list("id", "embedding")[:SEMANTIC_CANDIDATES]
        )
        if stored:
            note_vector = embeddings.embed_note(note.text, note.section)
            ids, vectors = zip(*stored, strict=True)
            cosines = embeddings.cosine_scores(note_vector, ids, vectors)
    ranked = embeddings.fuse_suggestions(words, cosines, limit=limit)
    found = evidence_base().defer("embedding").in_bulk([item.evidence_id for item in ranked])
    return [
        SuggestedEvidence(
            found[item.evidence_id],
            item.score,
            item.matched,
            f"matching words: {', '.join(item.matched)}" if item.matched else "similar meaning",
        )
        for item in ranked
        if item.evidence_id in found
    ]


def prefilter_candidates(candidates: QuerySet[Evidence], text: str) -> QuerySet[Evidence]:
    """Evidence sharing a word with `text`: full-text on PostgreSQL, a crude stem elsewhere."""
    if on_postgresql():
        return any_word_matches(candidates, text)
    stems = {crude_stem(word) for word in words(text) if len(word) > 2}
    if not stems:
        return candidates
    return candidates.filter(reduce(or_, (Q(text__icontains=stem) for stem in stems)))


# Research requests ----------------------------------------------------------------------------

REQUESTS_LIMIT = 500


class RequestState(models.TextChoices):
    OPEN = "open", "Open"
    ANSWERED = "answered", "Answered"
    ALL = "all", "All"


def research_requests_for_user(
    *,
    user,
    workspace_slug: str | None = None,
    assignee: str = "",
    state: str = RequestState.OPEN,
) -> list[dict]:
    """Notes a lead marked `needs_research`, in the caller's workspaces, soonest due first.

    A request is answered, and leaves the open queue, once fresh evidence (supporting or
    contradicting) is linked to the note after the request was made; a new review ends it too,
    since the note is then no longer `needs_research`. `assignee` is a username, `me`, `none`
    for requests nobody has taken, or `me_or_none` for both of those. Three queries, whatever
    the number of requests.
    """
    notes = Note.objects.filter(
        map__workspace_id__in=member_workspace_ids(user),
        map__archived=False,
        review_state=ReviewState.NEEDS_RESEARCH,
        deleted_at__isnull=True,
    ).filter(visibility.visible_notes_q(user))
    if workspace_slug:
        notes = notes.filter(map__workspace__slug=workspace_slug)
    if assignee == "me":
        notes = notes.filter(research_assignee_id=user.pk)
    elif assignee == "none":
        notes = notes.filter(research_assignee__isnull=True)
    elif assignee == "me_or_none":
        notes = notes.filter(Q(research_assignee_id=user.pk) | Q(research_assignee__isnull=True))
    elif assignee:
        notes = notes.filter(research_assignee__username=assignee)
    notes = notes.select_related(
        "map", "map__workspace", "author", "reviewed_by", "research_assignee"
    ).order_by(F("research_due").asc(nulls_last=True), "reviewed_at", "id")[:REQUESTS_LIMIT]
    notes = list(notes)

    facts: dict[int, list[tuple[LinkFact, object]]] = {}
    rows = EvidenceLink.objects.filter(note_id__in=[note.pk for note in notes]).values_list(
        "note_id",
        "stance",
        "created_at",
        "evidence__collected_on",
        "evidence__source__kind",
        "evidence__segment_id",
        "evidence__source__segment_id",
    )
    for note_id, stance, created_at, collected_on, kind, segment_id, source_segment_id in rows:
        fact = LinkFact(stance, collected_on, kind, segment_id or source_segment_id)
        facts.setdefault(note_id, []).append((fact, created_at))

    day = evidence_status.today()
    requests = []
    for note in notes:
        empathy_map = note.map
        shelf_life = empathy_map.shelf_life or {}
        note_facts = facts.get(note.pk, [])
        answered = any(
            (note.reviewed_at is None or linked_at > note.reviewed_at)
            and is_fresh(
                fact.collected_on,
                fact.source_kind,
                today=day,
                freshness_days=empathy_map.freshness_days,
                shelf_life=shelf_life,
            )
            for fact, linked_at in note_facts
        )
        if (state == RequestState.OPEN and answered) or (
            state == RequestState.ANSWERED and not answered
        ):
            continue
        status = compute_status(
            [fact for fact, _ in note_facts],
            today=day,
            freshness_days=empathy_map.freshness_days,
            shelf_life=shelf_life,
        )
        requests.append(
            {
                "note": note_payload(note, status),
                "map": {"id": empathy_map.pk, "title": empathy_map.title},
                "workspace": empathy_map.workspace.slug,
                "requested_by": username(note.reviewed_by),
                "requested_at": iso(note.reviewed_at),
                "comment": note.review_comment,
                "assignee": username(note.research_assignee),
                "due": iso(note.research_due),
                "overdue": bool(note.research_due and note.research_due < day and not answered),
                "answered": answered,
            }
        )
    return requests
