"""`/maps/{id}/persona-picture/`: the persona's picture, to the map's members only."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.http import http_date
from django.views.decorators.http import require_http_methods

from maps.persona_picture import (
    PictureTooLarge,
    max_bytes,
    persona_picture_remove,
    persona_picture_set,
    picture_for_user,
    picture_url,
)


@require_http_methods(["GET", "HEAD"])
def persona_picture(request, map_id):
    if not request.user.is_authenticated:
        raise Http404("Not found.")
    picture = picture_for_user(user=request.user, map_id=map_id)
    response = HttpResponse(bytes(picture.data), content_type=picture.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    # Private: members only. The URL carries a version (?v=seq), so a day's cache is safe.
    response["Cache-Control"] = "private, max-age=86400"
    response["Last-Modified"] = http_date(picture.updated_at.timestamp())
    return response


def limit_text() -> str:
    limit = max_bytes()
    return f"{limit // 1024} KB" if limit >= 1024 else f"{limit} bytes"


def settings_context(empathy_map) -> dict:
    """What the settings page shows of the picture: its URL (or None) and the limit."""
    return {
        "persona_picture": picture_url(empathy_map),
        "persona_picture_limit": limit_text(),
    }


def settings_action(request, empathy_map):
    """The settings page's picture forms: upload (action=picture) or remove (remove-picture).
    A refusal shows as a message on the page; ValidationError of the map (archived) too."""
    if request.POST.get("action") == "remove-picture":
        persona_picture_remove(actor=request.user, map_id=empathy_map.pk)
        messages.success(request, "Persona picture removed.")
        return redirect("map-settings", map_id=empathy_map.pk)
    upload = request.FILES.get("picture")
    if upload is None:
        raise ValidationError({"picture": "Choose a picture file (PNG, JPEG or WebP)."})
    if upload.size > max_bytes():
        raise ValidationError({"picture": f"The picture is over {limit_text()}."})
    try:
        persona_picture_set(
            actor=request.user, map_id=empathy_map.pk, data=upload.read(max_bytes() + 1)
        )
    except PictureTooLarge:
        raise ValidationError({"picture": f"The picture is over {limit_text()}."}) from None
    messages.success(request, "Persona picture saved: the board shows it.")
    return redirect("map-settings", map_id=empathy_map.pk)
