"""Pages: home (workspaces and maps), members, sign up, a map's board, review and settings.

Thin: parse, call a selector or a service, render. The board's cards are drawn by
static/js/board.js from the JSON state rendered into the page with `json_script`.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_http_methods

from maps import history_views, persona_picture_views, selectors, services, visibility
from maps.forms import (
    MapForm,
    MapSettingsForm,
    MemberForm,
    RoleForm,
    WorkspaceForm,
    add_service_errors,
)
from maps.models import (
    COMMENT_TEXT_MAX,
    NOTE_TEXT_MAX,
    SECTION_PROMPTS,
    Phase,
    ReviewState,
    Role,
    Section,
    Team,
)
from research import selectors as research_selectors
from research.drift_views import drift_context
from research.models import SourceKind
from research.portability import map_from_template
from research.status import STATUS_LABELS, STATUSES


@require_http_methods(["GET", "POST"])
def signup(request):
    if not settings.ALLOW_SIGNUP:
        raise Http404("Sign-up is closed on this server.")
    form = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.username}. Create a workspace to begin.")
        return redirect("home")
    return render(request, "registration/signup.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def home(request):
    every_workspace = selectors.workspaces_for_user(user=request.user)
    names = [workspace.name for workspace in every_workspace]
    for workspace in every_workspace:
        workspace.name_is_shared = names.count(workspace.name) > 1
    workspaces = [w for w in every_workspace if not w.archived]
    archived_workspaces = [w for w in every_workspace if w.archived]
    editable = [w for w in workspaces if Role(w.role).includes(Role.EDITOR)]
    workspace_form = WorkspaceForm(prefix="ws")
    templates = list(selectors.maps_for_user(user=request.user))
    map_form = MapForm(prefix="map", workspaces=editable, templates=templates)
    if request.method == "POST" and "ws-name" in request.POST:
        workspace_form = WorkspaceForm(request.POST, prefix="ws")
        if workspace_form.is_valid():
            try:
                workspace = services.workspace_create(
                    actor=request.user, name=workspace_form.cleaned_data["name"]
                )
            except ValidationError as error:
                add_service_errors(workspace_form, error)
            else:
                messages.success(request, f"Workspace “{workspace.name}” created.")
                return redirect("home")
    elif request.method == "POST":
        map_form = MapForm(request.POST, prefix="map", workspaces=editable, templates=templates)
        if map_form.is_valid():
            data = map_form.cleaned_data
            try:
                if data.get("template"):
                    empathy_map = map_from_template(
                        actor=request.user,
                        template_id=data["template"],
                        workspace_slug=data["workspace"],
                        title=data["title"],
                        persona=data["persona"],
                    )
                else:
                    empathy_map = services.map_create(
                        actor=request.user,
                        workspace_slug=data["workspace"],
                        title=data["title"],
                        persona=data["persona"],
                        layout=data["layout"],
                    )
            except ValidationError as error:
                add_service_errors(map_form, error)
            else:
                return redirect(empathy_map.get_absolute_url())
    maps = list(selectors.maps_for_user(user=request.user, include_archived=True))
    for workspace in every_workspace:
        workspace.map_list = [m for m in maps if m.workspace_id == workspace.pk]
    return render(
        request,
        "maps/home.html",
        {
            "workspaces": workspaces,
            "archived_workspaces": archived_workspaces,
            "workspace_form": workspace_form,
            "map_form": map_form,
            "import_workspaces": [w for w in workspaces if Role(w.role).includes(Role.RESEARCHER)],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def members(request, slug):
    workspace = selectors.workspace_for_user(user=request.user, slug=slug)
    is_lead = Role(workspace.role).includes(Role.LEAD)
    form = MemberForm()
    rename_form = WorkspaceForm(prefix="rename", initial={"name": workspace.name})
    if request.method == "POST":
        action = request.POST.get("action", "add")
        try:
            if action == "rename":
                rename_form = WorkspaceForm(request.POST, prefix="rename")
                if rename_form.is_valid():
                    services.workspace_update(
                        actor=request.user,
                        workspace_slug=slug,
                        name=rename_form.cleaned_data["name"],
                    )
                    messages.success(request, "Workspace renamed.")
                    return redirect("members", slug=slug)
            elif action in ("archive", "unarchive"):
                archived = action == "archive"
                services.workspace_update(
                    actor=request.user, workspace_slug=slug, archived=archived
                )
                if archived:
                    messages.success(request, f"“{workspace.name}” archived: it is read-only now.")
                    return redirect("home")
                messages.success(request, f"“{workspace.name}” restored from the archive.")
                return redirect("members", slug=slug)
            elif action == "add":
                form = MemberForm(request.POST)
                if form.is_valid():
                    services.member_add(
                        actor=request.user, workspace_slug=slug, **form.cleaned_data
                    )
                    messages.success(request, f"{form.cleaned_data['username']} added.")
                    return redirect("members", slug=slug)
            elif action == "role":
                role_form = RoleForm(request.POST)
                if role_form.is_valid():
                    services.member_update(
                        actor=request.user,
                        workspace_slug=slug,
                        username=request.POST.get("username", ""),
                        role=role_form.cleaned_data["role"],
                    )
                    messages.success(request, "Role changed.")
                    return redirect("members", slug=slug)
            elif action == "team":
                services.member_update(
                    actor=request.user,
                    workspace_slug=slug,
                    username=request.POST.get("username", ""),
                    team=request.POST.get("team", ""),
                )
                messages.success(request, "Team changed.")
                return redirect("members", slug=slug)
            elif action == "remove":
                services.member_remove(
                    actor=request.user,
                    workspace_slug=slug,
                    username=request.POST.get("username", ""),
                )
                messages.success(request, "Member removed.")
                return redirect("members", slug=slug)
        except ValidationError as error:
            if action == "add":
                add_service_errors(form, error)
            elif action == "rename":
                add_service_errors(rename_form, error)
            else:
                for message_list in error.message_dict.values():
                    for message in message_list:
                        messages.error(request, message)
    return render(
        request,
        "maps/members.html",
        {
            "workspace": workspace,
            "memberships": selectors.members_of(workspace=workspace),
            "form": form,
            "rename_form": rename_form,
            "is_lead": is_lead,
            "roles": Role.choices,
            "teams": Team.choices,
        },
    )


def section_info(empathy_map) -> list[dict]:
    return [
        {"key": key, "label": Section(key).label, "prompt": SECTION_PROMPTS[key]}
        for key in empathy_map.sections
    ]


def every_section_info(empathy_map) -> list[dict]:
    """All nine sections, the map's own first: the board keeps notes of sections its layout
    leaves out (after a switch to classic) in a tray of their own."""
    in_layout = empathy_map.sections
    keys = [*in_layout, *(key for key in Section.values if key not in in_layout)]
    return [
        {
            "key": key,
            "label": Section(key).label,
            "prompt": SECTION_PROMPTS[key],
            "in_layout": key in in_layout,
        }
        for key in keys
    ]


def board_state(*, user, empathy_map) -> dict:
    """Everything the board script needs to draw the map before its socket connects."""
    role = Role(empathy_map.role)
    viewer = visibility.viewer_of_map(empathy_map)
    every_note = selectors.map_notes(empathy_map=empathy_map, viewer=user)
    notes = visibility.visible_notes(viewer, every_note)
    shown = {note["id"] for note in notes}
    links = research_selectors.note_link_facts(map_id=empathy_map.pk)
    hidden = visibility.hidden_counts(viewer, every_note)
    return {
        # The map (and its seq) is read before the notes: events after it replay harmlessly.
        "map": {**selectors.map_payload(empathy_map), "hidden": hidden},
        "notes": notes,
        "links": {note_id: facts for note_id, facts in links.items() if note_id in shown},
        "segments": [
            {"id": segment.pk, "name": segment.name}
            for segment in research_selectors.segments_for_user(
                user=user, workspace_slug=empathy_map.workspace.slug
            )
        ],
        "sections": section_info(empathy_map),
        "all_sections": every_section_info(empathy_map),
        "teams": Team.choices,
        "note_text_max": NOTE_TEXT_MAX,
        "comment_text_max": COMMENT_TEXT_MAX,
        "statuses": list(STATUS_LABELS.items()),
        "review_states": ReviewState.choices,
        "source_kinds": SourceKind.choices,
        "me": {
            "username": user.username,
            "role": role.value,
            "team": viewer.team,
            "can_edit": role.includes(Role.EDITOR) and not empathy_map.read_only,
            "can_research": role.includes(Role.RESEARCHER) and not empathy_map.read_only,
            "can_review": role.includes(Role.LEAD) and not empathy_map.read_only,
        },
        # Who a lead may ask for research (needs research): researchers and leads.
        "researchers": (
            [
                membership.user.username
                for membership in selectors.members_of(workspace=empathy_map.workspace)
                if Role(membership.role).includes(Role.RESEARCHER)
            ]
            if role.includes(Role.LEAD)
            else []
        ),
        "urls": {
            "api": "/api/v1/",
            "socket": f"/ws/maps/{empathy_map.pk}/",
            "library": f"/w/{empathy_map.workspace.slug}/evidence/",
        },
    }


@login_required
@require_http_methods(["GET"])
def board(request, map_id):
    empathy_map = selectors.map_for_user(user=request.user, map_id=map_id)
    return render(
        request,
        "maps/board.html",
        {
            "map": empathy_map,
            "sections": every_section_info(empathy_map),
            "board": board_state(user=request.user, empathy_map=empathy_map),
            "is_lead": Role(empathy_map.role).includes(Role.LEAD),
            "can_duplicate": Role(empathy_map.role).includes(Role.RESEARCHER)
            and not empathy_map.workspace.archived,
        },
    )


def review_glance(summary: dict, labels: dict) -> dict:
    """The review's at-a-glance tiles and the lists they link to, counted by one rule: every
    live note of the status (as `counts`), the dismissed ones listed apart at the end."""
    queue = summary["assumption_queue"]
    dismissed = summary["dismissed"]
    tiles = {}
    for key, anchor, wanted in (
        ("assumption", "assumptions", lambda e: e["reason"] == "assumption"),
        ("contested", "contested", lambda e: e["reason"] == "contested"),
        ("stale", "stale", lambda e: e["reason"] == "stale"),
        # Narrow notes of any status: a contested or stale one is also in that list.
        ("narrow", "narrow", lambda e: e["note"]["narrow"]),
    ):
        open_notes = [labelled(e["note"], labels) for e in queue if wanted(e)]
        ruled = [labelled(e["note"], labels) for e in dismissed if wanted(e)]
        tiles[key] = {
            "anchor": f"list-{anchor}",
            "count": len(open_notes) + len(ruled),
            "notes": open_notes,
            "dismissed": ruled,
        }
    return tiles


def labelled(note: dict, labels: dict) -> dict:
    return {
        **note,
        "section_label": labels.get(note["section"], note["section"]),
        "team_label": Team(note["team"]).label,
        "review_label": ReviewState(note["review"]["state"]).label,
    }


CHANGE_LABELS = {
    "created": "created",
    "edited": "edited",
    "moved": "moved",
    "deleted": "deleted",
    "restored": "restored",
    "reviewed": "reviewed",
    "linked": "evidence linked",
    "unlinked": "evidence unlinked",
    "map_updated": "map settings changed",
    "map_reviewed": "marked reviewed",
    "evidence_corrected": "evidence corrected",
}


def team_group(entry: dict, label: str) -> dict:
    """One `team_view` (a section's or the whole map's) as table rows and signals in words."""
    teams = entry["teams"]

    def share(names: list[str], status: str) -> str:
        return ", ".join(
            f"{Team(team).label} ({teams[team][status]} of {teams[team]['notes']})"
            for team in names
        )

    signals = []
    for signal in entry["signals"]:
        if signal["kind"] == "assumed_vs_supported":
            signals.append(
                f"Mostly assumptions: {share(signal['assuming'], 'assumption')}. "
                f"Mostly supported: {share(signal['supported'], 'supported')}."
            )
        else:
            signals.append(
                f"Contradicted by fresh evidence: {share(signal['teams'], 'contested')}."
            )
    return {
        "label": label,
        "signals": signals,
        "teams": [
            {
                "label": Team(team).label,
                "notes": counts["notes"],
                "cells": [(status, counts[status]) for status in STATUSES],
            }
            for team, counts in teams.items()
        ],
    }


def change_rows(changes: dict, labels: dict) -> dict:
    counts = [(CHANGE_LABELS[name], count) for name, count in changes["counts"].items() if count]
    notes = [
        {
            **labelled(entry["note"], labels),
            "what": ", ".join(CHANGE_LABELS[name] for name in entry["changes"]),
            "by": ", ".join(entry["by"]),
            "at": parse_datetime(entry["at"]),
            "status_label": STATUS_LABELS[entry["note"]["status"]],
        }
        for entry in changes["notes"]
    ]
    last_review = changes["last_review"]
    return {
        **changes,
        "since": parse_datetime(changes["since"]) if changes["since"] else None,
        "last_review": last_review and {**last_review, "at": parse_datetime(last_review["at"])},
        "count_list": counts,
        "note_list": notes,
        "more": changes["notes_touched"] - len(notes),
    }


@login_required
@require_http_methods(["GET", "POST"])
def review(request, map_id):
    empathy_map = selectors.map_for_user(user=request.user, map_id=map_id)
    if request.method == "POST":
        try:
            services.map_mark_reviewed(actor=request.user, map_id=map_id)
        except ValidationError as error:
            for message_list in error.message_dict.values():
                for message in message_list:
                    messages.error(request, message)
        else:
            messages.success(request, "Marked reviewed. Changes from now on will show here.")
        return redirect("map-review", map_id=map_id)
    since_text = request.GET.get("since", "").strip()
    since = since_error = None
    if since_text:
        try:
            since = selectors.parse_since(since_text)
        except ValidationError as error:
            since_error = error.message_dict["since"][0]
    viewer = visibility.viewer_of_map(empathy_map)
    summary = selectors.map_review(empathy_map=empathy_map, since=since, viewer=viewer)
    labels = dict(Section.choices)
    rows = [
        {
            "key": key,
            "label": labels[key],
            "cells": [(status, counts[status]) for status in STATUSES],
            "total": sum(counts.values()),
            "lacks_evidence": key in summary["sections_without_evidence"],
        }
        for key, counts in summary["by_section"].items()
    ]
    glance = review_glance(summary, labels)
    segments = [segment["name"] for segment in summary.get("segments", [])]
    coverage = summary.get("coverage") or {}
    coverage_rows = [
        {
            "label": labels.get(key, key),
            "cells": [counts.get(name, 0) for name in segments],
            "unsegmented": summary.get("coverage_unsegmented", {}).get(key, 0),
        }
        for key, counts in coverage.items()
    ]
    teams_overall = team_group(summary["teams"], "Whole map")
    team_groups = [
        team_group(entry, labels.get(key, key))
        for key, entry in summary["teams_by_section"].items()
        if entry["teams"]
    ]
    return render(
        request,
        "maps/review.html",
        {
            "map": empathy_map,
            "summary": summary,
            "rows": rows,
            "statuses": list(STATUS_LABELS.items()),
            "status_totals": [(s, STATUS_LABELS[s], summary["counts"][s]) for s in STATUSES],
            "glance": glance,
            "stale_soon": [labelled(note, labels) for note in summary.get("stale_soon", [])],
            "segments": segments,
            "coverage_rows": coverage_rows if segments else [],
            "segments_without_evidence": summary.get("segments_without_evidence", []),
            "by_team": sorted(
                ((Team(team).label, count) for team, count in summary["by_team"].items()),
                key=lambda item: -item[1],
            ),
            "empty_sections": [
                labels[key] for key in summary["sections_without_evidence"] if key in labels
            ],
            "is_lead": Role(empathy_map.role).includes(Role.LEAD),
            "team_groups": team_groups,
            "team_signals": any(group["signals"] for group in team_groups),
            "teams_overall": teams_overall,
            "team_table": [teams_overall, *team_groups],
            "team_overall_table": [teams_overall],
            "changes": change_rows(summary["changes"], labels),
            "since_text": since_text,
            "since_error": since_error,
            "time_zone": timezone.get_current_timezone_name(),
            **history_views.review_context(request, empathy_map, summary["changes"]),
            **drift_context(
                user=request.user,
                empathy_map=empathy_map,
                notes=selectors.map_notes(empathy_map=empathy_map),
            ),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def map_settings(request, map_id):
    """Rename, describe, archive or unarchive a map (lead)."""
    empathy_map = selectors.map_for_user(user=request.user, map_id=map_id, role=Role.LEAD)
    initial = {
        "title": empathy_map.title,
        "persona": empathy_map.persona,
        "description": empathy_map.description,
        "freshness_days": empathy_map.freshness_days,
        "layout": empathy_map.layout,
    }
    form = MapSettingsForm(initial=initial)
    if request.method == "POST":
        try:
            if request.POST.get("action") in ("archive", "unarchive"):
                archived = request.POST["action"] == "archive"
                services.map_update(actor=request.user, map_id=map_id, archived=archived)
                verb = "archived" if archived else "restored from the archive"
                messages.success(request, f"“{empathy_map.title}” {verb}.")
                return redirect("home") if archived else redirect("map-board", map_id=map_id)
            if request.POST.get("action") in ("picture", "remove-picture"):
                return persona_picture_views.settings_action(request, empathy_map)
            if request.POST.get("action") == "phase":
                phase = request.POST.get("phase", "")
                services.map_update(actor=request.user, map_id=map_id, phase=phase)
                messages.success(request, f"Phase: {Phase(phase).label}.")
                return redirect("map-board", map_id=map_id)
            form = MapSettingsForm(request.POST)
            if form.is_valid():
                changes = dict(form.cleaned_data)
                if not changes.get("layout"):
                    changes.pop("layout", None)  # a form without the field keeps the layout
                services.map_update(actor=request.user, map_id=map_id, **changes)
                messages.success(request, "Map settings saved.")
                return redirect("map-board", map_id=map_id)
        except ValidationError as error:
            if form.is_bound:
                add_service_errors(form, error)
            else:  # the phase or archive buttons: no form fields to put the error on
                messages.error(request, " ".join(error.messages))
    return render(
        request,
        "maps/settings.html",
        {
            "map": empathy_map,
            "form": form,
            "phases": Phase.choices,
            **persona_picture_views.settings_context(empathy_map),
        },
    )
