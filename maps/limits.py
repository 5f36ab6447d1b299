"""Caps on what one map may hold, so that no one user can grow a map without bound.

`MAX_NOTES_PER_MAP` counts a map's live notes (the recycle bin does not count, so a full map
makes room by deleting; restoring a note needs room again). `MAX_COMMENTS_PER_MAP` counts every
comment on the map's notes. Every path that adds notes or comments (the REST API, websocket ops,
a map import or duplicate, a note from a drift theme, a restore from the recycle bin, a
workspace restore) checks here, inside its transaction and after locking the map row: two
writers at once cannot both take the last place.
"""

from django.conf import settings
from django.core.exceptions import ValidationError

from maps.models import Comment, EmpathyMap, Note


class LimitReached(ValidationError):
    """A cap that a write would pass: 400 with `code` and `limit` (websocket: `invalid` with
    `reason` the code and `field`)."""

    def __init__(self, *, field: str, code: str, limit: int, detail: str):
        super().__init__({field: [detail]})
        self.field = field
        self.error_code = code
        self.limit = limit
        self.detail = detail


def max_notes_per_map() -> int:
    return settings.MAX_NOTES_PER_MAP


def max_comments_per_map() -> int:
    return settings.MAX_COMMENTS_PER_MAP


def live_note_count(map_id: int) -> int:
    return Note.objects.filter(map_id=map_id, deleted_at__isnull=True).count()


def ensure_room_for_notes(locked_map: EmpathyMap, *, adding: int = 1) -> None:
    """Refuse when `adding` more live notes would pass the cap; call with the map row locked."""
    limit = max_notes_per_map()
    if adding <= 0:
        return
    present = live_note_count(locked_map.pk)
    if present + adding > limit:
        raise LimitReached(
            field="notes",
            code="too_many_notes",
            limit=limit,
            detail=notes_detail(limit=limit, present=present, adding=adding),
        )


def notes_detail(*, limit: int, present: int, adding: int) -> str:
    if adding == 1:
        return (
            f"This map is full: a map holds at most {limit} notes (MAX_NOTES_PER_MAP). "
            "Delete some notes or start another map."
        )
    return (
        f"This would make {present + adding} notes on one map; a map holds at most {limit} "
        "(MAX_NOTES_PER_MAP). Nothing was created."
    )


def ensure_room_for_comments(locked_map: EmpathyMap, *, adding: int = 1) -> None:
    """Refuse when `adding` more comments would pass the cap; call with the map row locked."""
    limit = max_comments_per_map()
    present = Comment.objects.filter(note__map_id=locked_map.pk).count()
    if present + adding > limit:
        raise LimitReached(
            field="comments",
            code="too_many_comments",
            limit=limit,
            detail=(
                f"This map has reached its limit of {limit} comments (MAX_COMMENTS_PER_MAP); "
                "no more can be added."
            ),
        )
