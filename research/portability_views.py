"""Pages for maps that travel: import a JSON export from the home page, duplicate from the
board's menu. Thin: parse, call research.portability, redirect with a message."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods

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
@require_http_methods(["POST"])
def map_duplicate(request, map_id):
    try:
        empathy_map = portability.map_duplicate(
            actor=request.user, map_id=map_id, with_notes=request.POST.get("notes") != "0"
        )
    except ValidationError as error:
        messages.error(request, _error(error))
        return redirect("map-board", map_id=map_id)
    messages.success(request, f"Duplicated as “{empathy_map.title}”.")
    return redirect(empathy_map.get_absolute_url())
