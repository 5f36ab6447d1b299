"""An uploaded file kept while the library page asks a question about it (new segments).

A browser cannot send a chosen file again by itself, so the first upload is kept on disk in
settings.IMPORT_PENDING_DIR under a random token, for the user and workspace who sent it, for
an hour at most; the answer to the question carries the token. It is removed once imported,
cancelled, or expired.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

MAX_AGE_SECONDS = 3600
TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")


@dataclass(frozen=True)
class PendingImport:
    token: str
    data: bytes
    fields: dict  # format, filename, collected_on, segment, interviewer, on_error


def _directory() -> Path:
    directory = Path(settings.IMPORT_PENDING_DIR)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


def pending_import_keep(*, user_id: int, workspace_slug: str, data: bytes, fields: dict) -> str:
    directory = _directory()
    _remove_expired(directory)
    token = secrets.token_urlsafe(24)  # 32 characters
    meta = {"user": user_id, "workspace": workspace_slug, "at": time.time(), "fields": fields}
    (directory / f"{token}.bin").write_bytes(data)
    (directory / f"{token}.json").write_text(json.dumps(meta))
    return token


def pending_import_get(*, token: str, user_id: int, workspace_slug: str) -> PendingImport | None:
    """The kept upload, only for the user and workspace that sent it, else None."""
    if not isinstance(token, str) or not TOKEN.fullmatch(token):
        return None
    directory = _directory()
    try:
        meta = json.loads((directory / f"{token}.json").read_text())
        data = (directory / f"{token}.bin").read_bytes()
    except (OSError, ValueError):
        return None
    if meta.get("user") != user_id or meta.get("workspace") != workspace_slug:
        return None
    if time.time() - meta.get("at", 0) > MAX_AGE_SECONDS:
        pending_import_drop(token=token)
        return None
    return PendingImport(token, data, meta.get("fields", {}))


def pending_import_drop(*, token: str) -> None:
    if not TOKEN.fullmatch(token or ""):
        return
    for suffix in (".bin", ".json"):
        (_directory() / f"{token}{suffix}").unlink(missing_ok=True)


def _remove_expired(directory: Path) -> None:
    cutoff = time.time() - MAX_AGE_SECONDS
    for path in directory.glob("*.json"):
        try:
            if path.stat().st_mtime < cutoff:
                pending_import_drop(token=path.stem)
        except OSError:
            continue
