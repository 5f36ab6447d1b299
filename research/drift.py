"""The drift radar: recent evidence a map does not reflect.

Two readings of the workspace's recent evidence (collected or added in the last `days`) against
one map's live notes (see docs/drift.md for how it is measured):

- **unlinked**: each recent item linked to no note of the map, with the notes it is most likely
  about. That is the suggestion ranker in reverse: the item's text is the query and the map's
  notes are the candidates, ranked by the same two signals the suggestions fuse (the word
  ranker, `research.ranking.rank_evidence`, and the cosine of all-MiniLM-L6-v2 vectors), with
  the same reciprocal-rank fusion (`research.embeddings.fuse_suggestions`).
- **uncovered**: groups of those items that no note is close to. An item is *close* to a note
  when the cosine of their vectors is at least `CLOSE_COSINE`; items close to no note are
  grouped by average-linkage agglomerative clustering on the same vectors, two groups merging
  while the average cosine between their members is at least `GROUP_COSINE`; a group needs
  `MIN_GROUP` items. Each group comes with its items most representative first (nearest the
  group's mean vector), the section it most likely belongs to, and its top stemmed words.

The functions on plain values (`likely_notes`, `group_items`, `uncovered_themes`) are pure, so
the labeled set measures exactly what the product runs.
"""

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from maps.history import visible_note_ids
from maps.models import SECTION_PROMPTS, Role
from maps.selectors import map_for_user, note_data
from maps.services import note_create
from research import embeddings
from research.models import EvidenceLink, Stance
from research.ranking import LIGHT_WORDS, rank_evidence, stem, tokenize
from research.selectors import evidence_base, evidence_payload
from research.status import today

DEFAULT_DAYS = 90
MAX_DAYS = 3650
# The most recent items read (1.5 kB of vector each), and the unlinked ones listed.
RECENT_LIMIT = 400
UNLINKED_LIMIT = 100
LIKELY_NOTES = 3
# Chosen on tests/data/drift/labeled.json (docs/drift.md): two groups (notes among them)
# merge while the average cosine between their members reaches this.
GROUP_COSINE = 0.3
# How much the word ranker counts against the cosine when ranking a map's notes for an item.
LIKELY_ALPHA = 0.1
MIN_GROUP = 2
EXCERPTS = 3
TOP_WORDS = 5
THEME_EVIDENCE_LIMIT = 50


@dataclass(frozen=True)
class Item:
    id: int
    text: str
    vector: np.ndarray


@dataclass(frozen=True)
class MapNote:
    id: int
    text: str
    section: str
    vector: np.ndarray


@dataclass(frozen=True)
class LikelyNote:
    note: int
    score: float
    cosine: float | None
    matched: list[str]


@dataclass(frozen=True)
class Theme:
    items: list[int]  # most representative first
    section: str
    words: list[str]
    closest_cosine: float  # the best cosine of any member to any note


# Pure ---------------------------------------------------------------------------------------


def likely_notes(item: Item, notes: Sequence[MapNote], *, limit: int = LIKELY_NOTES):
    """The notes an item is most likely about, best first: the suggestion ranker in reverse
    (the item's text the query, the notes the candidates), blended by `hybrid_rank` at
    `LIKELY_ALPHA`. A note is offered only when a word matched or the cosine reaches the
    suggestions' `MIN_COSINE`, as a suggestion is."""
    if not notes:
        return []
    candidates = [(note.id, note.text) for note in notes]
    matrix = np.stack([note.vector for note in notes])
    matched = {
        found.evidence_id: found.matched
        for found in rank_evidence(item.text, candidates, limit=len(candidates))
    }
    cosine = dict(zip([note.id for note in notes], (matrix @ item.vector).tolist(), strict=True))
    ranked = embeddings.hybrid_rank(item.text, item.vector, candidates, matrix, alpha=LIKELY_ALPHA)
    offered = [
        LikelyNote(note_id, round(score, 4), round(cosine[note_id], 4), matched.get(note_id, []))
        for note_id, score in ranked
        if note_id in matched or cosine[note_id] >= embeddings.MIN_COSINE
    ]
    return offered[:limit]


def closest_cosines(items: Sequence[Item], notes: Sequence[MapNote]) -> np.ndarray:
    """Each item's best cosine to any note (-1 when the map has no notes)."""
    if not items:
        return np.zeros(0, dtype=np.float32)
    if not notes:
        return np.full(len(items), -1.0, dtype=np.float32)
    return (np.stack([i.vector for i in items]) @ np.stack([n.vector for n in notes]).T).max(1)


def group_items(vectors: np.ndarray, *, threshold: float = GROUP_COSINE) -> list[list[int]]:
    """Average-linkage agglomerative clustering of unit vectors by cosine: the two groups with
    the highest average cosine between their members merge, until none reaches `threshold`.
    Returns groups of row indexes, each in ascending order; ties merge the lowest indexes."""
    count = len(vectors)
    if count == 0:
        return []
    sums = (vectors @ vectors.T).astype(np.float64)  # sum of cosines between two groups
    sizes = np.ones(count)
    average = sums.copy()
    np.fill_diagonal(average, -np.inf)
    members = {index: [index] for index in range(count)}
    active = np.ones(count, dtype=bool)
    while len(members) > 1:
        first, second = np.unravel_index(np.argmax(average), average.shape)
        if average[first, second] < threshold:
            break
        first, second = min(first, second), max(first, second)
        sums[first, :] += sums[second, :]
        sums[:, first] += sums[:, second]
        sizes[first] += sizes[second]
        members[first] += members.pop(second)
        active[second] = False
        # Only the merged group's averages change; the absorbed group leaves the matrix.
        row = np.where(active, sums[first, :] / (sizes[first] * sizes), -np.inf)
        row[first] = -np.inf
        average[first, :] = row
        average[:, first] = row
        average[second, :] = -np.inf
        average[:, second] = -np.inf
    return [sorted(group) for _, group in sorted(members.items())]


# Words that name no theme: dates, fillers of speech, and the ranker's vague words ("really").
_THEME_NOISE = """
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday
    saturday sunday today yesterday tomorrow per via etc yeah yes okay ok um uh oh hmm also
"""
THEME_NOISE = LIGHT_WORDS | frozenset(_THEME_NOISE.split())


def top_words(texts: Sequence[str], every_text: Sequence[str], *, limit: int = TOP_WORDS):
    """Words that set the group apart: stems by how many of the group's texts use them times
    how rare they are among all the recent texts (words shared by two or more of the group's
    texts first), each shown in the form the group uses most."""

    def stems_of(text: str) -> dict[str, str]:
        return {stem(word): word for word in tokenize(text) if word not in THEME_NOISE}

    document_frequency = Counter(word for text in every_text for word in stems_of(text))
    in_group: Counter = Counter()
    forms: dict[str, Counter] = {}
    for text in texts:
        for word_stem, word in stems_of(text).items():
            in_group[word_stem] += 1
            forms.setdefault(word_stem, Counter())[word] += 1
    total = max(len(every_text), 1)
    scored = [
        (count >= 2, count * math.log((total + 1) / (document_frequency[word] + 0.5)), word)
        for word, count in in_group.items()
        if len(word) > 2 and not word.isdigit()
    ]
    scored.sort(key=lambda entry: (not entry[0], -entry[1], entry[2]))
    return [forms[word].most_common(1)[0][0] for _, _, word in scored[:limit]]


def section_vectors(notes: Sequence[MapNote], sections: Sequence[str]) -> dict[str, np.ndarray]:
    """Each section as one unit vector: its prompt's, plus the mean of its notes' vectors."""
    prompts = prompt_vectors(tuple(sections))
    vectors = {}
    for section in sections:
        vector = prompts[section].astype(np.float64)
        mine = [note.vector for note in notes if note.section == section]
        if mine:
            vector = vector + np.mean(mine, axis=0)
        vectors[section] = vector / (np.linalg.norm(vector) or 1.0)
    return vectors


def uncovered_themes(
    items: Sequence[Item],
    notes: Sequence[MapNote],
    *,
    sections: Sequence[str],
    every_text: Sequence[str] | None = None,
    group_threshold: float = GROUP_COSINE,
    min_group: int = MIN_GROUP,
) -> list[Theme]:
    """Groups of items that no note is close to, largest first.

    The notes are clustered with the items, as anchors: a group that a note joins is what that
    note says; a group that no note joins is a theme the map does not cover. So a note is
    *close* to a group when its average cosine to the group's members reaches the threshold.
    """
    if len(items) < min_group:
        return []
    closest = closest_cosines(items, notes)
    far = list(range(len(items)))
    vectors = np.stack([item.vector for item in items] + [note.vector for note in notes])
    by_section = section_vectors(notes, sections)
    texts = every_text if every_text is not None else [item.text for item in items]
    themes = []
    for group in group_items(vectors, threshold=group_threshold):
        if len(group) < min_group or group[-1] >= len(far):  # too small, or a note is in it
            continue
        members = [far[index] for index in group]
        centroid = np.mean([items[index].vector for index in members], axis=0)
        centroid = centroid / (np.linalg.norm(centroid) or 1.0)
        ordered = sorted(members, key=lambda index: (-float(items[index].vector @ centroid), index))
        section = max(sections, key=lambda key: float(by_section[key] @ centroid))
        themes.append(
            Theme(
                items=[items[index].id for index in ordered],
                section=section,
                words=top_words([items[index].text for index in members], texts),
                closest_cosine=round(float(max(closest[index] for index in members)), 4),
            )
        )
    themes.sort(key=lambda theme: (-len(theme.items), theme.items[0]))
    return themes


# Vectors, cached: a note's text and a section prompt embed the same every time ---------------

_VECTOR_CACHE: dict[str, np.ndarray] = {}
VECTOR_CACHE_SIZE = 5000


def text_vectors(texts: Sequence[str]) -> list[np.ndarray]:
    missing = list(dict.fromkeys(text for text in texts if text not in _VECTOR_CACHE))
    if missing:
        if len(_VECTOR_CACHE) + len(missing) > VECTOR_CACHE_SIZE:
            _VECTOR_CACHE.clear()
        for text, vector in zip(missing, embeddings.embed(missing), strict=True):
            _VECTOR_CACHE[text] = vector
    return [_VECTOR_CACHE[text] for text in texts]


def prompt_vectors(sections: tuple[str, ...]) -> dict[str, np.ndarray]:
    prompts = [SECTION_PROMPTS[section] for section in sections]
    return dict(zip(sections, text_vectors(prompts), strict=True))


# Reading the map and its workspace ------------------------------------------------------------


def clean_days(value) -> int:
    if value in (None, ""):
        return DEFAULT_DAYS
    text = str(value)
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_DAYS:
        raise ValidationError({"days": f"Give a whole number of days, 1 to {MAX_DAYS}."})
    return int(text)


def recent_evidence(*, workspace_id: int, days: int):
    """The workspace's items collected or added in the last `days`, with a vector, newest
    first (items still waiting for their vector, after an import, join on the next read)."""
    since = today() - timedelta(days=days)
    added_since = timezone.now() - timedelta(days=days)
    return (
        evidence_base()
        .filter(workspace_id=workspace_id, embedding__isnull=False)
        .filter(Q(collected_on__gte=since) | Q(created_at__gte=added_since))
        .order_by("-collected_on", "-id")[:RECENT_LIMIT]
    )


def map_drift(*, user, map_id: int, days=DEFAULT_DAYS) -> dict:
    """`GET /api/v1/maps/{id}/drift/`: recent evidence the map does not reflect (any member)."""
    days = clean_days(days)
    empathy_map = map_for_user(user=user, map_id=map_id)
    live = list(
        empathy_map.notes.filter(deleted_at__isnull=True)
        .order_by("section", "position", "id")
        .values_list("id", "text", "section")
    )
    # Notes the user may not see (the drafting phase) are neither offered nor used as anchors.
    visible = visible_note_ids(
        user=user, empathy_map=empathy_map, note_ids=[row[0] for row in live]
    )
    live = [row for row in live if row[0] in visible]
    notes = [
        MapNote(note_id, text, section, vector)
        for (note_id, text, section), vector in zip(
            live, text_vectors([text for _, text, _ in live]), strict=True
        )
    ]
    linked = set(
        EvidenceLink.objects.filter(
            note__map_id=empathy_map.pk, note__deleted_at__isnull=True
        ).values_list("evidence_id", flat=True)
    )
    recent = list(recent_evidence(workspace_id=empathy_map.workspace_id, days=days))
    unlinked = [evidence for evidence in recent if evidence.pk not in linked]
    vectors = embeddings.from_bytes([evidence.embedding for evidence in unlinked])
    items = [
        Item(evidence.pk, evidence.text, vector)
        for evidence, vector in zip(unlinked, vectors, strict=True)
    ]
    by_id = {evidence.pk: evidence for evidence in unlinked}
    themes = uncovered_themes(
        items,
        notes,
        sections=empathy_map.sections,
        every_text=[evidence.text for evidence in recent],
    )
    return {
        "days": days,
        "since": (today() - timedelta(days=days)).isoformat(),
        "unlinked": [
            {
                "evidence": evidence_payload(by_id[item.id]),
                "notes": [
                    {"note": likely.note, "score": likely.score, "matched": likely.matched}
                    for likely in likely_notes(item, notes)
                ],
            }
            for item in items[:UNLINKED_LIMIT]
        ],
        "uncovered": [
            {
                "evidence": [evidence_payload(by_id[item_id]) for item_id in theme.items],
                "section": theme.section,
                "words": theme.words,
            }
            for theme in themes
        ],
    }


# One write: a note made from a theme, linked to its excerpts -------------------------------


def note_create_with_evidence(
    *,
    actor,
    map_id: int,
    section: str,
    text: str,
    evidence_ids: Sequence[int],
    stance: str = Stance.SUPPORTS,
    comment: str = "",
    team: str | None = None,
) -> dict:
    """A new note already linked to the given evidence (researcher: it links), all or nothing:
    `note.created` then one `link.created` per item, broadcast after the one commit."""
    from research.services import link_create

    map_for_user(user=actor, map_id=map_id, role=Role.RESEARCHER)
    ids = list(dict.fromkeys(evidence_ids or []))
    if not ids:
        raise ValidationError({"evidence": "Choose at least one evidence item to link."})
    if len(ids) > THEME_EVIDENCE_LIMIT:
        raise ValidationError({"evidence": f"Link at most {THEME_EVIDENCE_LIMIT} items at once."})
    if stance not in Stance.values:
        raise ValidationError({"stance": f"Choose one of: {', '.join(Stance.values)}."})
    extra = {"team": team} if team else {}
    with transaction.atomic():
        note = note_create(actor=actor, map_id=map_id, section=section, text=text, **extra)
        for evidence_id in ids:
            link_create(
                actor=actor,
                note_id=note["id"],
                evidence_id=evidence_id,
                stance=stance,
                comment=comment,
            )
        return note_data(note["id"])
