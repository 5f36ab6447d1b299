"""The drift panel on the review page, and its two actions: link an item to a note, and create
a note from an uncovered theme. Thin: parse, call a service, redirect with a message."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_http_methods

from maps.models import Role, Section
from maps.selectors import map_for_user, parse_id
from research import drift, services
from research.models import SourceKind, Stance

PANEL_UNLINKED = 10
PANEL_EXCERPTS = 3


def _error(error: ValidationError) -> str:
    return next(iter(error.message_dict.values()))[0]


def _shown(evidence: dict) -> dict:
    kind = evidence.get("kind")
    return {
        **evidence,
        "collected_on": parse_date(evidence["collected_on"] or ""),
        "kind_label": SourceKind(kind).label if kind in SourceKind.values else kind,
    }


def drift_context(*, user, empathy_map, notes: list[dict]) -> dict:
    """The review page's drift panel: themes first, then unlinked items with likely notes."""
    data = drift.map_drift(user=user, map_id=empathy_map.pk)
    text_of = {note["id"]: note["text"] for note in notes}
    labels = dict(Section.choices)
    themes = [
        {
            "number": number,
            "excerpts": [_shown(item) for item in theme["evidence"][:PANEL_EXCERPTS]],
            "more": len(theme["evidence"]) - PANEL_EXCERPTS,
            "ids": [item["id"] for item in theme["evidence"]],
            "section": theme["section"],
            "section_label": labels.get(theme["section"], theme["section"]),
            "words": theme["words"],
            "draft": theme["evidence"][0]["text"][:300],
        }
        for number, theme in enumerate(data["uncovered"], start=1)
    ]
    unlinked = [
        {
            "evidence": _shown(entry["evidence"]),
            "likely": [
                {**likely, "text": text_of.get(likely["note"], "")}
                for likely in entry["notes"]
                if likely["note"] in text_of
            ],
        }
        for entry in data["unlinked"][:PANEL_UNLINKED]
    ]
    role = Role(empathy_map.role)
    return {
        "drift": {
            "days": data["days"],
            "since": parse_date(data["since"]),
            "themes": themes,
            "unlinked": unlinked,
            "unlinked_total": len(data["unlinked"]),
        },
        "drift_notes": notes,
        "drift_sections": [(key, labels[key]) for key in empathy_map.sections],
        "can_link": role.includes(Role.RESEARCHER) and not empathy_map.read_only,
    }


def _back(map_id):
    response = redirect("map-review", map_id=map_id)
    response["Location"] += "#drift"
    return response


@login_required
@require_http_methods(["POST"])
def drift_link(request, map_id):
    map_for_user(user=request.user, map_id=map_id)
    try:
        note_id = parse_id(request.POST.get("note"))
        evidence_id = parse_id(request.POST.get("evidence"))
        if note_id is None:
            raise ValidationError({"note": "Choose the note this evidence is about."})
        if evidence_id is None:
            raise ValidationError({"evidence": "Choose an evidence item."})
        services.link_create(
            actor=request.user,
            note_id=note_id,
            evidence_id=evidence_id,
            stance=request.POST.get("stance", Stance.SUPPORTS),
            comment=request.POST.get("comment", ""),
        )
    except ValidationError as error:
        messages.error(request, _error(error))
    else:
        messages.success(request, "Linked. The note's status now counts this evidence.")
    return _back(map_id)


@login_required
@require_http_methods(["POST"])
def drift_theme_note(request, map_id):
    map_for_user(user=request.user, map_id=map_id)
    ids = [parse_id(value) for value in request.POST.getlist("evidence")]
    try:
        if None in ids:
            raise ValidationError({"evidence": "Choose evidence items."})
        note = drift.note_create_with_evidence(
            actor=request.user,
            map_id=map_id,
            section=request.POST.get("section", ""),
            text=request.POST.get("text", ""),
            evidence_ids=ids,
        )
    except ValidationError as error:
        messages.error(request, _error(error))
    else:
        count = note["evidence"]["supports"]
        messages.success(
            request, f"Note created with {count} supporting excerpt{'s' if count != 1 else ''}."
        )
    return _back(map_id)
