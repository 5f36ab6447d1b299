"""Pages for maps that travel: import a JSON export from the home page, duplicate from the
board's menu (a page asking for the copy's title, workspace and notes). Thin: parse, call
research.portability, redirect with a message."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from maps import selectors as map_selectors
from maps.forms import DuplicateMapForm, add_service_errors
from maps.models import Role
from research import portability, services


def _error(error: ValidationError) -> str:
    return next(iter(error.message_dict.values()))[0]


@login_required
@require_http_methods(["POST"])
def map_import(request):
    upload = request.FILES.get("file")
    workspace = request.POST.get("workspace", "")
    try:
        if upload is None:
            raise ValidationError({"file": "Choose a JSON export to import."})
        if upload.size > services.import_limit():
            raise ValidationError({"file": "The file is over the import limit."})
        data = portability.read_export(upload)
        empathy_map = portability.map_import(
            actor=request.user, workspace_slug=workspace, data=data
        )
    except ValidationError as error:
        messages.error(request, _error(error))
        return redirect("home")
    messages.success(request, f"Imported “{empathy_map.title}”.")
    return redirect(empathy_map.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
def map_duplicate(request, map_id):
    source = map_selectors.map_for_user(user=request.user, map_id=map_id)
    workspaces = [
        workspace
        for workspace in map_selectors.workspaces_for_user(user=request.user)
        if Role(workspace.role).includes(Role.RESEARCHER)
    ]
    if not workspaces:
        raise PermissionDenied("Duplicating a map takes a researcher or lead of a workspace.")
    form = DuplicateMapForm(
        request.POST if request.method == "POST" else None,
        workspaces=workspaces,
        initial={"title": f"{source.title} (copy)"[:200], "workspace": source.workspace.slug},
    )
    if request.method == "POST" and form.is_valid():
        fields = form.cleaned_data
        try:
            empathy_map = portability.map_duplicate(
                actor=request.user,
                map_id=source.pk,
                title=fields["title"].strip() or None,
                workspace_slug=fields["workspace"] or None,
                with_notes=fields["notes"] != "0",
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Duplicated as “{empathy_map.title}”.")
            return redirect(empathy_map.get_absolute_url())
    return render(request, "research/map_duplicate.html", {"map": source, "form": form})
