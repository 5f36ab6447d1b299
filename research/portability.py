"""Maps that travel: a JSON export read back in as an equal map, and a map duplicated.

In `research` rather than `maps` because a map's notes bring their evidence along, and
`research` is the app that may use both (see docs/design: the dependency has one direction).

An import creates, in one transaction: the map with the export's settings; each note with its
text, section, team, colour, position, version and review; each link, to the same evidence when
that item is in the target workspace (same id, same text, same source title and kind), else to
a copy of it, made there with its source and segment, so that every status comes out the same.
Every note and link is a map event (`note.created`, `link.created`), so the new map has a
history and boards see it like any other. A second import of the same file makes a second map.
"""

import json
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.dateparse import parse_date, parse_datetime

from maps.events import lock_map, record_event
from maps.limits import ensure_room_for_notes
from maps.models import (
    LAYOUT_SECTIONS,
    EmpathyMap,
    EventKind,
    Layout,
    Membership,
    Note,
    PersonaPicture,
    ReviewState,
    Role,
)
from maps.selectors import map_for_user, note_data, workspace_for_user
from maps.services import (
    clean_color,
    clean_note_text,
    clean_position,
    clean_shelf_life,
    clean_team,
    ensure_workspace_is_open,
)
from research import embeddings
from research.export import map_export
from research.models import Evidence, EvidenceLink, Segment, Source, SourceKind, Stance
from research.selectors import link_payload, links_for_note

NOT_AN_EXPORT = "This is not a map export (the JSON from /api/v1/maps/{id}/export/)."


class ExportFormatError(ValidationError):
    def __init__(self, detail: str, field: str = "file"):
        super().__init__({field: f"{NOT_AN_EXPORT} {detail}".strip()})


def read_export(file) -> dict:
    """The export in an uploaded file, checked for the shape an import relies on."""
    try:
        data = json.loads(file.read().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ExportFormatError("It is not JSON text.") from None
    check_export(data)
    return data


def _require(condition: bool, detail: str) -> None:
    if not condition:
        raise ExportFormatError(detail)


def check_export(data) -> None:
    _require(isinstance(data, dict), "Expected an object with map and notes.")
    empathy_map, notes = data.get("map"), data.get("notes")
    _require(isinstance(empathy_map, dict), "It has no map.")
    _require(isinstance(notes, list), "It has no list of notes.")
    _require(isinstance(empathy_map.get("title"), str), "The map has no title.")
    _require(empathy_map.get("layout") in Layout.values, "The map's layout is unknown.")
    sections = LAYOUT_SECTIONS[Layout(empathy_map["layout"])]
    for index, note in enumerate(notes, start=1):
        where = f"Note {index}"
        _require(isinstance(note, dict), f"{where} is not an object.")
        _require(note.get("section") in sections, f"{where} has an unknown section.")
        _require(isinstance(note.get("text"), str), f"{where} has no text.")
        _require(isinstance(note.get("links", []), list), f"{where} has links that are no list.")
        for link in note.get("links", []):
            _require(isinstance(link, dict), f"{where} has a link that is not an object.")
            _require(link.get("stance") in Stance.values, f"{where} has a link of no stance.")
            evidence = link.get("evidence")
            _require(isinstance(evidence, dict), f"{where} has a link without its evidence.")
            _require(
                isinstance(evidence.get("text"), str) and evidence["text"].strip(),
                f"{where} has evidence without text.",
            )
            _require(evidence.get("kind") in SourceKind.values, f"{where}: unknown source kind.")
            _require(
                parse_date(str(evidence.get("collected_on"))) is not None,
                f"{where} has evidence without its date.",
            )


def _members(workspace_id: int) -> dict[str, tuple[object, str]]:
    rows = Membership.objects.filter(workspace_id=workspace_id).select_related("user")
    return {row.user.username: (row.user, row.role) for row in rows}


def _moment(value) -> datetime | None:
    return parse_datetime(value) if isinstance(value, str) else None


def _day(value) -> date | None:
    return parse_date(value) if isinstance(value, str) else None


def _text(value, limit: int) -> str:
    return (value if isinstance(value, str) else "").strip()[:limit]


class EvidenceResolver:
    """The target workspace's item for each exported one: the same item when it is there,
    else a copy made there with its source and segment (one source per exported source)."""

    def __init__(self, *, actor, workspace):
        self.actor = actor
        self.workspace = workspace
        self.items: dict[object, Evidence] = {}
        self.sources: dict[object, Source] = {}
        self.segments: dict[str, Segment] = {}

    def resolve(self, exported: list[dict]) -> None:
        missing = []
        for evidence in exported:
            key = evidence.get("id")
            if key in self.items:
                continue
            same = self._same_item(evidence)
            if same is not None:
                self.items[key] = same
            else:
                missing.append(evidence)
                self.items[key] = None
        if missing:
            vectors = embeddings.embed([evidence["text"] for evidence in missing])
            for evidence, vector in zip(missing, vectors, strict=True):
                self.items[evidence.get("id")] = self._copy(evidence, vector)

    def _same_item(self, evidence: dict) -> Evidence | None:
        if not isinstance(evidence.get("id"), int):
            return None
        return Evidence.objects.filter(
            pk=evidence["id"],
            workspace_id=self.workspace.pk,
            text=evidence["text"],
            source__title=evidence.get("source_title", ""),
            source__kind=evidence["kind"],
        ).first()

    def _segment(self, name) -> Segment | None:
        name = _text(name, 120)
        if not name:
            return None
        if name not in self.segments:
            self.segments[name], _ = Segment.objects.get_or_create(
                workspace=self.workspace, name=name
            )
        return self.segments[name]

    def _copy(self, evidence: dict, vector) -> Evidence:
        collected_on = _day(evidence["collected_on"])
        key = (evidence.get("source"), evidence.get("source_title"), evidence["kind"])
        source = self.sources.get(key)
        if source is None:
            source = self.sources[key] = Source.objects.create(
                workspace=self.workspace,
                kind=evidence["kind"],
                title=_text(evidence.get("source_title"), 300) or "Imported evidence",
                collected_on=collected_on,
                created_by=self.actor,
            )
        url = _text(evidence.get("url"), 500)
        return Evidence.objects.create(
            workspace=self.workspace,
            source=source,
            text=evidence["text"].strip()[:10000],
            collected_on=collected_on,
            segment=self._segment(evidence.get("segment_name")),
            participant=_text(evidence.get("participant"), 120),
            locator=_text(evidence.get("locator"), 120),
            url=url if url.startswith(("http://", "https://")) else "",
            created_by=self.actor,
            embedding=embeddings.to_bytes(vector),
        )

    def __getitem__(self, key) -> Evidence:
        return self.items[key]


def _map_fields(exported: dict, *, title: str | None) -> dict:
    try:
        days = int(exported.get("freshness_days") or 180)
        shelf_life = clean_shelf_life(exported.get("shelf_life") or {})
    except (TypeError, ValueError, ValidationError):
        raise ExportFormatError("The map's freshness settings are not valid.") from None
    return {
        "title": (title or _text(exported["title"], 200) or "Imported map")[:200],
        "persona": _text(exported.get("persona"), 200),
        "description": _text(exported.get("description"), 4000),
        "layout": exported["layout"],
        "freshness_days": min(max(days, 1), 36500),
        "shelf_life": shelf_life,
    }


def _note_fields(note: dict, members: dict, actor) -> dict:
    try:
        fields = {
            "section": note["section"],
            "text": clean_note_text(note["text"]),
            "team": clean_team(note.get("team", "product")),
            "color": clean_color(note.get("color", "yellow")),
            "position": clean_position(note.get("position", 0)),
        }
    except ValidationError as error:
        raise ExportFormatError(f"A note is not valid: {error.messages[0]}") from None
    version = note.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and version >= 1:
        fields["version"] = version
    author = members.get(note.get("author") or "")
    fields["author"] = author[0] if author else actor
    review = note.get("review") if isinstance(note.get("review"), dict) else {}
    if review.get("state") in ReviewState.values and review["state"] != ReviewState.UNREVIEWED:
        reviewer = members.get(review.get("by") or "")
        fields.update(
            review_state=review["state"],
            review_comment=_text(review.get("comment"), 2000),
            reviewed_by=reviewer[0] if reviewer else None,
            reviewed_at=_moment(review.get("at")),
        )
    research = note.get("research") if isinstance(note.get("research"), dict) else {}
    assignee = members.get(research.get("assignee") or "")
    needs_research = fields.get("review_state") == ReviewState.NEEDS_RESEARCH
    if needs_research and assignee and Role(assignee[1]).includes(Role.RESEARCHER):
        fields["research_assignee"] = assignee[0]
        fields["research_due"] = _day(research.get("due"))
    return fields


def map_import(
    *,
    actor,
    workspace_slug: str,
    data: dict,
    title: str | None = None,
    with_notes: bool = True,
) -> EmpathyMap:
    """A new map in the workspace equal to the exported one (researcher); all or nothing."""
    workspace = workspace_for_user(user=actor, slug=workspace_slug, role=Role.RESEARCHER)
    ensure_workspace_is_open(workspace)
    check_export(data)
    fields = _map_fields(data["map"], title=title)
    notes = data["notes"] if with_notes else []
    members = _members(workspace.pk)
    note_fields = [_note_fields(note, members, actor) for note in notes]
    with transaction.atomic():
        empathy_map = EmpathyMap.objects.create(workspace=workspace, created_by=actor, **fields)
        locked = lock_map(empathy_map.pk)
        ensure_room_for_notes(locked, adding=len(notes))
        resolver = EvidenceResolver(actor=actor, workspace=workspace)
        resolver.resolve([link["evidence"] for note in notes for link in note.get("links", [])])
        for note, values in zip(notes, note_fields, strict=True):
            created = Note.objects.create(map=locked, **values)
            record_event(
                locked_map=locked,
                kind=EventKind.NOTE_CREATED,
                actor=actor,
                payload={"note": note_data(created.pk)},
            )
            linked: set[int] = set()
            for link in note.get("links", []):
                evidence = resolver[link["evidence"].get("id")]
                if evidence.pk in linked:
                    continue
                linked.add(evidence.pk)
                creator = members.get(link.get("created_by") or "")
                made = EvidenceLink.objects.create(
                    note=created,
                    evidence=evidence,
                    stance=link["stance"],
                    comment=_text(link.get("comment"), 2000),
                    created_by=creator[0] if creator else actor,
                )
                record_event(
                    locked_map=locked,
                    kind=EventKind.LINK_CREATED,
                    actor=actor,
                    payload={
                        "link": link_payload(links_for_note(note_id=created.pk).get(pk=made.pk)),
                        "note": note_data(created.pk),
                    },
                )
    empathy_map.refresh_from_db()
    empathy_map.role = workspace.role
    return empathy_map


def map_duplicate(
    *,
    actor,
    map_id: int,
    title: str | None = None,
    workspace_slug: str | None = None,
    with_notes: bool = True,
) -> EmpathyMap:
    """A copy of a map the actor can read, in the same or another workspace (researcher there):
    its export imported again, so evidence is shared within a workspace and copied across."""
    source = map_for_user(user=actor, map_id=map_id)
    target = workspace_slug or source.workspace.slug
    workspace_for_user(user=actor, slug=target, role=Role.RESEARCHER)
    if title is not None:
        title = title.strip()
        if not title:
            raise ValidationError({"title": "Title may not be empty."})
    data = map_export(empathy_map=source)
    with transaction.atomic():
        copy = map_import(
            actor=actor,
            workspace_slug=target,
            data=data,
            title=title or f"{source.title} (copy)"[:200],
            with_notes=with_notes,
        )
        # The persona's picture comes along (an export leaves it out: it is bytes, not text).
        picture = PersonaPicture.objects.filter(map_id=source.pk).first()
        if picture is not None:
            PersonaPicture.objects.create(
                map_id=copy.pk, data=picture.data, content_type=picture.content_type
            )
            copy.persona_picture_seq = copy.seq
            copy.save(update_fields=["persona_picture_seq"])
    return copy


def map_from_template(
    *, actor, template_id: int, workspace_slug: str, title: str, persona: str = ""
):
    """A new, empty map with an existing map's layout, description and freshness settings
    (editor in the target, as for any new map; reading the template needs membership)."""
    from maps.services import map_create

    template = map_for_user(user=actor, map_id=template_id)
    return map_create(
        actor=actor,
        workspace_slug=workspace_slug,
        title=title,
        persona=persona or template.persona,
        description=template.description,
        layout=template.layout,
        freshness_days=template.freshness_days,
        shelf_life=template.shelf_life or {},
    )
