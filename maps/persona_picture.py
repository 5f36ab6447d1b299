"""The persona's picture: stored in the database (no media server), PNG, JPEG or WebP only,
judged by the file's first bytes and never by its name or declared type."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from maps.events import record_event
from maps.models import EmpathyMap, EventKind, PersonaPicture, Role

# The signatures of the formats a browser shows safely as an <img>.
PNG = b"\x89PNG\r\n\x1a\n"
JPEG = b"\xff\xd8\xff"


class PictureTooLarge(Exception):
    """The picture is over PERSONA_PICTURE_MAX_BYTES (the API answers 413)."""

    def __init__(self, limit: int):
        super().__init__(f"The picture is over the limit of {limit} bytes.")
        self.limit = limit


def max_bytes() -> int:
    return settings.PERSONA_PICTURE_MAX_BYTES


def picture_type(data: bytes) -> str | None:
    """The content type the bytes are, by their magic bytes; None for anything else."""
    if data.startswith(PNG):
        return "image/png"
    if data.startswith(JPEG):
        return "image/jpeg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def clean_picture(data) -> str:
    """The picture's content type, or ValidationError on `file` / PictureTooLarge."""
    if not isinstance(data, bytes | bytearray) or not data:
        raise ValidationError({"file": "Choose a picture file (PNG, JPEG or WebP)."})
    if len(data) > max_bytes():
        raise PictureTooLarge(max_bytes())
    content_type = picture_type(bytes(data))
    if content_type is None:
        raise ValidationError({"file": "The picture must be a PNG, JPEG or WebP image."})
    return content_type


def picture_url(empathy_map: EmpathyMap) -> str | None:
    """The picture's address with a version, so that a new picture is never served from cache."""
    if empathy_map.persona_picture_seq is None:
        return None
    path = reverse("map-persona-picture", args=[empathy_map.pk])
    return f"{path}?v={empathy_map.persona_picture_seq}"


def _record(*, actor, locked: EmpathyMap, before: str | None, op_id: str | None) -> None:
    from maps.selectors import map_payload

    payload = {
        "map": {**map_payload(locked), "seq": locked.seq + 1},
        "before": {"persona_picture": before},
    }
    record_event(
        locked_map=locked, kind=EventKind.MAP_UPDATED, actor=actor, payload=payload, op_id=op_id
    )


def persona_picture_set(*, actor, map_id: int, data: bytes, op_id: str | None = None):
    """Set the map's persona picture (lead); records `map.updated` carrying its new URL."""
    from maps.selectors import map_for_user
    from maps.services import ensure_map_is_open, lock_open_map

    ensure_map_is_open(map_for_user(user=actor, map_id=map_id, role=Role.LEAD))
    content_type = clean_picture(data)
    with transaction.atomic():
        locked = lock_open_map(map_id)
        before = picture_url(locked)
        PersonaPicture.objects.update_or_create(
            map=locked, defaults={"data": bytes(data), "content_type": content_type}
        )
        locked.persona_picture_seq = locked.seq + 1  # the seq of the event below
        locked.save(update_fields=["persona_picture_seq", "updated_at"])
        _record(actor=actor, locked=locked, before=before, op_id=op_id)
    locked.role = Role.LEAD
    return locked


def persona_picture_remove(*, actor, map_id: int, op_id: str | None = None):
    """Remove the map's persona picture (lead); nothing to remove records nothing."""
    from maps.selectors import map_for_user
    from maps.services import ensure_map_is_open, lock_open_map

    ensure_map_is_open(map_for_user(user=actor, map_id=map_id, role=Role.LEAD))
    with transaction.atomic():
        locked = lock_open_map(map_id)
        if locked.persona_picture_seq is not None:
            before = picture_url(locked)
            PersonaPicture.objects.filter(map=locked).delete()
            locked.persona_picture_seq = None
            locked.save(update_fields=["persona_picture_seq", "updated_at"])
            _record(actor=actor, locked=locked, before=before, op_id=op_id)
    locked.role = Role.LEAD
    return locked


def picture_for_user(*, user, map_id: int) -> PersonaPicture:
    """The picture of a map the user is a member of; 404 for non-members and maps without."""
    from django.http import Http404

    from maps.selectors import map_for_user

    empathy_map = map_for_user(user=user, map_id=map_id)
    picture = PersonaPicture.objects.filter(map=empathy_map).first()
    if picture is None:
        raise Http404("Not found.")
    return picture
