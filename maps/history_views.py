"""Pages for the map's past: the map as of a moment (read-only), a note's history, the recycle
bin, and the status transitions shown on the review page. Thin: parse, call, render."""

from datetime import datetime, time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.http import require_http_methods

from maps import history, selectors, services
from maps.models import ReviewState, Role, Section, Team
from research.status import STATUS_LABELS

KIND_LABELS = {
    "note.created": "Created",
    "note.updated": "Edited",
    "note.moved": "Moved",
    "note.deleted": "Deleted",
    "note.restored": "Restored",
    "note.reviewed": "Reviewed",
    "link.created": "Evidence linked",
    "link.deleted": "Evidence unlinked",
    "comment.created": "Commented",
}
FIELD_LABELS = {
    "text": "Text",
    "team": "Team",
    "color": "Colour",
    "section": "Section",
    "position": "Position",
    "review_state": "Review",
    "review_comment": "Review comment",
    "status": "Status",
}


def first_error(error: ValidationError) -> str:
    return next(iter(error.message_dict.values()))[0]


def shown_note(note: dict) -> dict:
    return {
        **note,
        "team_label": Team(note["team"]).label if note["team"] in Team.values else note["team"],
        "status_label": STATUS_LABELS.get(note["status"], note["status"]),
        "review_label": ReviewState(note["review"]["state"]).label,
    }


def end_of_day(text: str):
    """The last moment of a picked day (or now, for today), as the date picker means it."""
    try:
        day = parse_date(text or "")
    except ValueError:  # well formed but no such day, say 2026-02-30
        day = None
    if day is None:
        raise ValidationError({"as_of": "Pick a day."})
    moment = timezone.make_aware(datetime.combine(day, time.max))
    return min(moment, timezone.now()).isoformat()


# The map as of a moment -----------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def map_as_of(request, map_id):
    empathy_map = selectors.map_for_user(user=request.user, map_id=map_id)
    error = None
    value = request.GET.get("as_of", "").strip()
    try:
        if request.GET.get("day"):
            value = end_of_day(request.GET["day"])
        moment = history.resolve_moment(empathy_map, value or str(empathy_map.seq))
    except ValidationError as exc:
        error = first_error(exc)
        moment = history.resolve_moment(empathy_map, str(empathy_map.seq))
    state = history.replay(user=request.user, empathy_map=empathy_map, moment=moment)
    notes = [shown_note(note) for note in history.ordered_notes(state)]
    sections = [
        {
            "key": key,
            "label": Section(key).label,
            "notes": [note for note in notes if note["section"] == key],
        }
        for key in empathy_map.sections
    ]
    counts = dict.fromkeys(STATUS_LABELS.values(), 0)
    for note in notes:
        counts[note["status_label"]] += 1
    return render(
        request,
        "maps/as_of.html",
        {
            "map": empathy_map,
            "past": state.map,
            "moment": moment,
            "sections": sections,
            "counts": counts,
            "total": len(notes),
            "error": error,
            "created_day": timezone.localdate(empathy_map.created_at).isoformat(),
            "today": timezone.localdate().isoformat(),
            "time_zone": timezone.get_current_timezone_name(),
        },
    )


# A note's history -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def note_history(request, note_id):
    note = selectors.note_for_user(user=request.user, note_id=note_id)
    if request.method == "POST":
        try:
            seq = request.POST.get("seq")
            history.note_restore_text(actor=request.user, note_id=note_id, seq=seq)
        except services.VersionConflict:
            messages.error(request, "Someone edited the note just now; look again and retry.")
        except ValidationError as error:
            messages.error(request, first_error(error))
        else:
            messages.success(request, "The earlier text is back (as a new edit).")
        return redirect("note-history", note_id=note_id)
    current = selectors.note_data(note_id)
    events = []
    for event in history.note_history(user=request.user, note_id=note_id):
        state = event.get("note") or {}
        events.append(
            {
                **event,
                "label": KIND_LABELS.get(event["kind"], event["kind"]),
                "at": parse_datetime(event["at"]),
                "changed": [
                    {"label": FIELD_LABELS.get(name, name), "before": pair[0], "after": pair[1]}
                    for name, pair in event["changes"].items()
                    if name != "position"
                ],
                "text": state.get("text"),
                "evidence_text": ((event.get("link") or {}).get("evidence") or {}).get("text"),
                "stance": (event.get("link") or {}).get("stance"),
                "restorable": bool(state.get("text")) and state.get("text") != current["text"],
            }
        )
    role = Role(note.role)
    return render(
        request,
        "maps/note_history.html",
        {
            "map": note.map,
            "note": shown_note(current),
            "events": events,
            "can_edit": role.includes(Role.EDITOR)
            and not note.map.read_only
            and not current["deleted"],
        },
    )


# The recycle bin ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def map_bin(request, map_id):
    empathy_map = selectors.map_for_user(user=request.user, map_id=map_id)
    if request.method == "POST":
        note_id = selectors.parse_id(request.POST.get("note"))
        try:
            if note_id is None:
                raise ValidationError({"note": "Choose a note to restore."})
            note = selectors.note_for_user(user=request.user, note_id=note_id)
            if note.map_id != empathy_map.pk:
                raise ValidationError({"note": "That note is not on this map."})
            services.note_restore(actor=request.user, note_id=note_id)
        except ValidationError as error:
            messages.error(request, first_error(error))
        else:
            messages.success(request, f"Restored “{note.text[:60]}” to the board.")
        return redirect("map-bin", map_id=map_id)
    labels = dict(Section.choices)
    notes = [
        {
            **shown_note(note),
            "section_label": labels.get(note["section"], note["section"]),
            "deleted_at": parse_datetime(note["deleted_at"]) if note["deleted_at"] else None,
        }
        for note in history.deleted_notes(user=request.user, empathy_map=empathy_map)
    ]
    return render(
        request,
        "maps/bin.html",
        {
            "map": empathy_map,
            "notes": notes,
            "can_restore": Role(empathy_map.role).includes(Role.EDITOR)
            and not empathy_map.read_only,
        },
    )


# On the review page ---------------------------------------------------------------------------


def local_input(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def transitions_view(data: dict, notes_by_id: dict) -> dict:
    rows = []
    for change in data["status_changes"]:
        note = notes_by_id.get(change["note"])
        rows.append(
            {
                **change,
                "text": note["text"] if note else "",
                "from_label": STATUS_LABELS[change["from"]],
                "to_label": STATUS_LABELS[change["to"]],
            }
        )
    return {
        **data,
        "sentences": history.transition_sentences(data["counts"]),
        "rows": rows,
        "from_at": parse_datetime(data["from"]["at"]),
        "to_at": parse_datetime(data["to"]["at"]),
    }


def review_context(request, empathy_map, changes: dict) -> dict:
    """The status transitions since the review's basis, and the compare panel's two moments."""
    since_review = history.review_transitions(
        user=request.user, empathy_map=empathy_map, changes=changes
    )
    notes_by_id = {note["id"]: note for note in since_review["added"]}
    live = selectors.map_notes(empathy_map=empathy_map, include_deleted=True)
    notes_by_id.update({note["id"]: note for note in live})
    context = {"review_transitions": transitions_view(since_review, notes_by_id)}

    start_text = request.GET.get("from", "").strip()
    end_text = request.GET.get("to", "").strip()
    compare_error = None
    compared = None
    if start_text:
        try:
            compared = history.map_compare(
                user=request.user, map_id=empathy_map.pk, start=start_text, end=end_text or None
            )
        except ValidationError as error:
            compare_error = first_error(error)
    if compared is not None:
        compared = transitions_view(compared, notes_by_id)
        start_text = local_input(compared["from_at"])
        end_text = local_input(compared["to_at"]) if end_text else ""
    context.update(
        compare=compared,
        compare_error=compare_error,
        compare_from=start_text,
        compare_to=end_text,
        compare_default=local_input(empathy_map.reviewed_at or empathy_map.created_at),
    )
    return context
