"""Pages of the workshop: a map's alignment and the mentions inbox (thin)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_http_methods

from maps import selectors, services
from maps.models import ReviewState, Role, Section, Team
from maps.workshop import selectors as workshop_selectors
from maps.workshop import services as workshop_services
from research.status import STATUS_LABELS

CHART_WIDTH = 480
CHART_HEIGHT = 160
CHART_PAD = {"left": 40, "right": 16, "top": 12, "bottom": 28}


def percent(score: float | None) -> str:
    return "–" if score is None else f"{round(score * 100)}%"


def team_label(team: str) -> str:
    return Team(team).label if team in Team.values else team


def agreement_text(agreement: dict) -> str:
    parts = []
    for side, word in (("agree", "agree"), ("disagree", "disagree")):
        if agreement[side]:
            teams = ", ".join(f"{team_label(t)} {n}" for t, n in agreement[side].items())
            parts.append(f"{word}: {teams}")
    return " · ".join(parts) or "no stances yet"


def note_row(note: dict) -> dict:
    return {
        **note,
        "section_label": Section(note["section"]).label,
        "team_label": team_label(note["team"]),
        "status_label": STATUS_LABELS[note["status"]],
        "agreement_text": agreement_text(note["agreement"]),
        "agree_count": sum(note["agreement"]["agree"].values()),
        "research_requested": note["review"]["state"] == ReviewState.NEEDS_RESEARCH,
    }


def score_chart(history: list[dict]) -> dict | None:
    """The score over time as SVG coordinates, drawn by the template (no script)."""
    points = [point for point in history if point["score"] is not None]
    if not points:
        return None
    inner_width = CHART_WIDTH - CHART_PAD["left"] - CHART_PAD["right"]
    inner_height = CHART_HEIGHT - CHART_PAD["top"] - CHART_PAD["bottom"]
    step = inner_width / (len(points) - 1) if len(points) > 1 else 0
    dots = []
    for index, point in enumerate(points):
        x = CHART_PAD["left"] + (index * step if len(points) > 1 else inner_width / 2)
        y = CHART_PAD["top"] + (1 - point["score"]) * inner_height
        at = parse_datetime(point["at"])
        dots.append(
            {
                "x": round(x, 1),
                "y": round(y, 1),
                "score": percent(point["score"]),
                "at": at,
                "seq": point["seq"],
                "now": point.get("now", False),
            }
        )
    grid = [
        {"y": round(CHART_PAD["top"] + (1 - value) * inner_height, 1), "label": percent(value)}
        for value in (0, 0.5, 1)
    ]
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": CHART_PAD["left"],
        "right": CHART_WIDTH - CHART_PAD["right"],
        "label_x": CHART_PAD["left"] - 6,
        "date_y": CHART_HEIGHT - 8,
        "line": " ".join(f"{dot['x']},{dot['y']}" for dot in dots),
        "dots": dots,
        "grid": grid,
        "first": dots[0],
        "last": dots[-1],
    }


def with_now(history: list[dict], score: float | None, empathy_map) -> list[dict]:
    """The checkpoints and, when the map or its score moved since the last, today's score as a
    last point: so the chart ends where the headline stands."""
    if not history or score is None:
        return history
    last = history[-1]
    if last["seq"] == empathy_map.seq and last["score"] == score:
        return history
    now = {"score": score, "at": timezone.now().isoformat(), "seq": empathy_map.seq, "now": True}
    return [*history, now]


def ask_for_research(request, empathy_map) -> None:
    note_id = selectors.parse_id(request.POST.get("note"))
    if note_id is None:
        messages.error(request, "Choose a note to ask research about.")
        return
    note = selectors.note_for_user(user=request.user, note_id=note_id, role=Role.LEAD)
    if note.map_id != empathy_map.pk:
        raise Http404("This note is on another map.")
    services.note_review(
        actor=request.user,
        note_id=note_id,
        state=ReviewState.NEEDS_RESEARCH,
        comment="Loud assumption in the alignment workshop.",
    )
    messages.success(request, f"Research asked for: “{note.text[:80]}”.")


@login_required
@require_http_methods(["GET", "POST"])
def alignment(request, map_id):
    empathy_map = selectors.map_for_user(user=request.user, map_id=map_id)
    is_lead = Role(empathy_map.role).includes(Role.LEAD)
    if request.method == "POST":
        if not is_lead:
            raise PermissionDenied("Only a lead may ask for research.")
        try:
            ask_for_research(request, empathy_map)
        except ValidationError as error:
            for message_list in error.message_dict.values():
                for message in message_list:
                    messages.error(request, message)
        return redirect("map-alignment", map_id=map_id)
    result, notes = workshop_selectors.map_alignment(empathy_map=empathy_map, viewer=request.user)

    def rows(ids: list[int]) -> list[dict]:
        return [note_row(notes[note_id]) for note_id in ids]

    section_counts = dict.fromkeys(empathy_map.sections, 0)
    for note in notes.values():
        section_counts[note["section"]] = section_counts.get(note["section"], 0) + 1
    return render(
        request,
        "maps/alignment.html",
        {
            "map": empathy_map,
            "is_lead": is_lead,
            "can_ask": is_lead and not empathy_map.read_only,
            "alignment": result,
            "score": percent(result["score"]),
            "score_value": result["score"],
            "total": len(notes),
            "sections": [
                {
                    "label": Section(key).label,
                    "score": percent(score),
                    "value": score,
                    "notes": section_counts.get(key, 0),
                }
                for key, score in result["by_section"].items()
            ],
            "pairs": [
                {
                    "label": " & ".join(team_label(team) for team in pair["teams"]),
                    "score": percent(pair["score"]),
                    "value": pair["score"],
                    "notes": pair["notes"],
                    "agreed": pair["agreed"],
                }
                for pair in result["by_team_pair"]
            ],
            "shared": rows(result["shared"]),
            "disputed": rows(result["disputed"]),
            "single_team": rows(result["single_team"]),
            "loud": rows(result["loud_assumptions"]),
            "blind": empathy_map.vote_open and empathy_map.vote_blind and not is_lead,
            "chart": score_chart(with_now(result["history"], result["score"], empathy_map)),
            "history": [
                {**point, "at": parse_datetime(point["at"]), "label": percent(point["score"])}
                for point in result["history"]
            ],
        },
    )


@login_required
@require_http_methods(["GET"])
def mentions(request):
    return render(
        request,
        "maps/mentions.html",
        {
            "mentions": [
                {**mention, "at": parse_datetime(mention["at"])}
                for mention in workshop_selectors.mention_list(user=request.user)
            ]
        },
    )


@login_required
@require_http_methods(["GET"])
def mention_open(request, mention_id):
    """Opening a mention marks it read and shows its note on the board."""
    mention = workshop_services.mention_mark_read(actor=request.user, mention_id=mention_id)
    note = mention.comment.note
    return redirect(f"/maps/{note.map_id}/#note-{note.pk}")
