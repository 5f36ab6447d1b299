"""Backup and restore of one workspace: every row that belongs to it, as one versioned JSON file.

`workspace_export` writes the workspace, its members (with their teams), maps (settings, vote,
timer, review checkpoint), notes (deleted ones too: the recycle bin), the event log, stances,
votes, comments, mentions, persona pictures, and the evidence library (segments, sources,
evidence with its embedding, links). Rows keep their ids in the file, and people are named by
username: the file does not depend on the database it came from.

`workspace_restore` writes it back in one transaction, into any database: every row gets a new
id, and every id inside the event log's payloads (notes, maps, links, evidence, sources,
segments, comments) is rewritten, so that history, time travel and compare answer as before.
An id in an old payload whose row no longer existed at export time (a deleted link or evidence
item) becomes its negative: still one distinct item to the replay, never a row of the target.

Users are matched by username. A username the target database does not have is created there
with the exported name and e-mail and an unusable password: authorship and history keep their
names, and the person logs in once an administrator sets a password
(`manage.py changepassword USERNAME`). Not in the file: passwords, API tokens, sessions, login
lockouts, background tasks and pending library uploads.

A map-level copy (research/portability.py) rebuilds a map through the services and starts a new
history; this copies rows, so that the history itself survives.
"""

import base64
import json
from datetime import date, datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import slugify

from maps.limits import LimitReached, notes_detail
from maps.models import (
    Comment,
    EmpathyMap,
    MapEvent,
    Membership,
    Mention,
    Note,
    NoteStance,
    NoteVote,
    PersonaPicture,
    Workspace,
)
from research.models import Evidence, EvidenceLink, Segment, Source
from research.tasks import embedding_schedule

FORMAT = "empathymap.workspace"
VERSION = 1

# In the order they are restored: each row's relations point only at rows of earlier tables
# (a comment's parent is set in a second pass).
TABLES: list[tuple[str, type[models.Model]]] = [
    ("memberships", Membership),
    ("segments", Segment),
    ("sources", Source),
    ("evidence", Evidence),
    ("maps", EmpathyMap),
    ("persona_pictures", PersonaPicture),
    ("notes", Note),
    ("links", EvidenceLink),
    ("stances", NoteStance),
    ("votes", NoteVote),
    ("comments", Comment),
    ("mentions", Mention),
    # Last: its payloads name rows of every table above, by their new ids.
    ("events", MapEvent),
]
USER_FIELDS = ("username", "email", "first_name", "last_name")


class BackupFormatError(ValidationError):
    """A file this version cannot restore; nothing was written."""

    def __init__(self, detail: str):
        super().__init__({"file": [detail]})
        self.detail = detail


# Export ---------------------------------------------------------------------------------------


def _rows(model: type[models.Model], workspace: Workspace) -> models.QuerySet:
    scope = {
        Membership: {"workspace": workspace},
        Segment: {"workspace": workspace},
        Source: {"workspace": workspace},
        Evidence: {"workspace": workspace},
        EmpathyMap: {"workspace": workspace},
        PersonaPicture: {"map__workspace": workspace},
        Note: {"map__workspace": workspace},
        EvidenceLink: {"note__map__workspace": workspace},
        MapEvent: {"map__workspace": workspace},
        NoteStance: {"note__map__workspace": workspace},
        NoteVote: {"note__map__workspace": workspace},
        Comment: {"note__map__workspace": workspace},
        Mention: {"comment__note__map__workspace": workspace},
    }[model]
    return model.objects.filter(**scope).order_by("pk")


def _is_user(field) -> bool:
    return field.is_relation and field.related_model is get_user_model()


def _dump_value(field, value):
    if value is None:
        return None
    if isinstance(field, models.BinaryField):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _dump_row(row, fields, usernames: dict[int, str], user_ids: set[int]) -> dict:
    data = {}
    for field in fields:
        value = getattr(row, field.attname)
        if _is_user(field):
            if value is not None:
                user_ids.add(value)
            data[field.name] = usernames.get(value) if value is not None else None
        else:
            data[field.name] = _dump_value(field, value)
    return data


def workspace_export(*, workspace: Workspace) -> dict:
    """The whole workspace as one JSON-ready dict (see the module's docstring), read in one
    transaction: on PostgreSQL a repeatable-read snapshot, so that boards edited meanwhile
    never give an event without its note (SQLite's read transaction is a snapshot already)."""
    outermost = not connection.in_atomic_block  # else the caller's transaction decides
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        return _export(workspace)


def _export(workspace: Workspace) -> dict:
    usernames = dict(get_user_model().objects.values_list("pk", "username"))
    user_ids: set[int] = set()
    tables = {}
    for name, model in TABLES:
        fields = model._meta.concrete_fields
        rows = _rows(model, workspace)
        if model is PersonaPicture:
            rows = rows.only(*[field.attname for field in fields])
        tables[name] = [_dump_row(row, fields, usernames, user_ids) for row in rows.iterator()]
    users = get_user_model().objects.filter(pk__in=user_ids).order_by("username")
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": timezone.now().isoformat(),
        "workspace": {
            "id": workspace.pk,
            "name": workspace.name,
            "slug": workspace.slug,
            "archived": workspace.archived,
            "created_at": workspace.created_at.isoformat(),
        },
        "users": [{name: getattr(user, name) for name in USER_FIELDS} for user in users],
        **tables,
    }


def workspace_export_json(*, workspace: Workspace) -> str:
    return json.dumps(workspace_export(workspace=workspace), ensure_ascii=False)


# Restore --------------------------------------------------------------------------------------


def read_backup(text: str | bytes) -> dict:
    """The backup in a file's contents, refused unless it is this format and version."""
    try:
        data = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BackupFormatError("This is not a workspace backup: it is not JSON.") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupFormatError(
            f"This is not a workspace backup (format {FORMAT!r}, from manage.py export_workspace)."
        )
    if data.get("version") != VERSION:
        raise BackupFormatError(
            f"This backup is format version {data.get('version')!r}; this empathymap restores "
            f"version {VERSION} only. Restore it with the release that wrote it."
        )
    for key in ("workspace", "users", *[name for name, _model in TABLES]):
        if key not in data:
            raise BackupFormatError(f"This backup has no {key!r}: the file is incomplete.")
    return data


class IdMap:
    """Old id -> new id, per table; an id of a row the export did not hold becomes negative."""

    def __init__(self):
        self.tables: dict[type[models.Model], dict[int, int]] = {}

    def add(self, model, old: int, new: int) -> None:
        self.tables.setdefault(model, {})[old] = new

    def new(self, model, old):
        if old is None or isinstance(old, bool) or not isinstance(old, int):
            return old
        return self.tables.get(model, {}).get(old, -abs(old))

    def existing(self, model, old):
        """For a foreign key: the new id, which must exist."""
        if old is None:
            return None
        try:
            return self.tables[model][old]
        except KeyError:
            raise BackupFormatError(
                f"The backup is inconsistent: {model.__name__} {old} is referred to but missing."
            ) from None


class PayloadRewriter:
    """Every id inside a stored event payload, rewritten to the restored rows' ids."""

    def __init__(self, ids: IdMap, *, old_slug: str, new_slug: str):
        self.ids = ids
        self.old_slug = old_slug
        self.new_slug = new_slug

    def payload(self, payload: dict) -> dict:
        payload = dict(payload)
        if isinstance(payload.get("note"), dict):
            payload["note"] = self.note(payload["note"])
        if isinstance(payload.get("link"), dict):
            payload["link"] = self.link(payload["link"])
        if isinstance(payload.get("evidence"), dict):
            payload["evidence"] = self.evidence(payload["evidence"])
        if isinstance(payload.get("comment"), dict):
            payload["comment"] = self.comment(payload["comment"])
        if isinstance(payload.get("map"), dict):
            payload["map"] = self.map(payload["map"])
        if isinstance(payload.get("before"), dict):
            payload["before"] = self.map(payload["before"])
        if isinstance(payload.get("vote_totals"), dict):
            payload["vote_totals"] = {
                str(self.ids.new(Note, int(key))): value
                for key, value in payload["vote_totals"].items()
                if str(key).lstrip("-").isdigit()
            }
        return payload

    def note(self, note: dict) -> dict:
        return {**note, "id": self.ids.new(Note, note.get("id")), **self._map_ref(note)}

    def _map_ref(self, data: dict) -> dict:
        return {"map": self.ids.new(EmpathyMap, data["map"])} if "map" in data else {}

    def link(self, link: dict) -> dict:
        link = {**link, "id": self.ids.new(EvidenceLink, link.get("id"))}
        if "note" in link:
            link["note"] = self.ids.new(Note, link["note"])
        if isinstance(link.get("evidence"), dict):
            link["evidence"] = self.evidence(link["evidence"])
        elif "evidence" in link:
            link["evidence"] = self.ids.new(Evidence, link["evidence"])
        return link

    def evidence(self, evidence: dict) -> dict:
        evidence = {**evidence, "id": self.ids.new(Evidence, evidence.get("id"))}
        if "source" in evidence:
            evidence["source"] = self.ids.new(Source, evidence["source"])
        if "segment" in evidence:
            evidence["segment"] = self.ids.new(Segment, evidence["segment"])
        if evidence.get("workspace") == self.old_slug:
            evidence["workspace"] = self.new_slug
        return evidence

    def comment(self, comment: dict) -> dict:
        comment = {**comment, "id": self.ids.new(Comment, comment.get("id"))}
        for key, model in (("note", Note), ("parent", Comment)):
            if key in comment:
                comment[key] = self.ids.new(model, comment[key])
        return comment

    def map(self, data: dict) -> dict:
        data = dict(data)
        old_id = data.get("id")
        if "id" in data:
            data["id"] = self.ids.new(EmpathyMap, old_id)
        if data.get("workspace") == self.old_slug:
            data["workspace"] = self.new_slug
        picture = data.get("persona_picture")
        if isinstance(picture, str) and isinstance(old_id, int):
            data["persona_picture"] = picture.replace(f"/maps/{old_id}/", f"/maps/{data['id']}/", 1)
        return data


def _users(data: dict) -> dict[str, object]:
    """The target's user for each username in the file, created (unusable password) if new."""
    user_model = get_user_model()
    wanted = {}
    for entry in data["users"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("username"), str):
            raise BackupFormatError("The backup's users are not valid.")
        wanted[entry["username"]] = entry
    users = {user.username: user for user in user_model.objects.filter(username__in=wanted)}
    for username, entry in wanted.items():
        if username not in users:
            user = user_model(**{name: entry.get(name) or "" for name in USER_FIELDS})
            user.set_unusable_password()
            user.save()
            users[username] = user
    return users


def _load_value(field, value):
    if value is None:
        return None
    if isinstance(field, models.BinaryField):
        return base64.b64decode(value)
    if isinstance(field, models.DateTimeField):
        return parse_datetime(value)
    if isinstance(field, models.DateField):
        return parse_date(value)
    return value


def _check_caps(data: dict) -> None:
    live = {}
    for note in data["notes"]:
        if note.get("deleted_at") is None:
            live[note["map"]] = live.get(note["map"], 0) + 1
    limit = settings.MAX_NOTES_PER_MAP
    for count in live.values():
        if count > limit:
            raise LimitReached(
                field="notes",
                code="too_many_notes",
                limit=limit,
                detail=notes_detail(limit=limit, present=0, adding=count),
            )
    notes_map = {note["id"]: note["map"] for note in data["notes"]}
    comments: dict[int, int] = {}
    for comment in data["comments"]:
        map_id = notes_map.get(comment["note"])
        comments[map_id] = comments.get(map_id, 0) + 1
    comment_limit = settings.MAX_COMMENTS_PER_MAP
    if any(count > comment_limit for count in comments.values()):
        raise LimitReached(
            field="comments",
            code="too_many_comments",
            limit=comment_limit,
            detail=f"A map in this backup has more than {comment_limit} comments "
            "(MAX_COMMENTS_PER_MAP); nothing was restored.",
        )


def _timestamps(model) -> list[str]:
    return [
        field.attname
        for field in model._meta.concrete_fields
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    ]


def _user_id(users: dict, username) -> int | None:
    if username is None:
        return None
    if username not in users:
        raise BackupFormatError(f"The backup names a user {username!r} it does not list.")
    return users[username].pk


def _insert(model, rows: list[dict], *, ids: IdMap, users: dict, rewrite) -> list:
    """Create the rows with remapped relations, then put back their stored timestamps (which
    an insert would set to now)."""
    fields = model._meta.concrete_fields
    pk_is_relation = model._meta.pk.is_relation
    objects, old_ids = [], []
    for row in rows:
        values = {}
        for field in fields:
            key = field.name
            if field.primary_key and not pk_is_relation:
                continue
            value = row.get(key)
            if _is_user(field):
                values[field.attname] = _user_id(users, value)
            elif field.is_relation:
                if model is Comment and field.name == "parent":
                    values[field.attname] = None  # set once every comment has its new id
                else:
                    values[field.attname] = ids.existing(field.related_model, value)
            else:
                values[field.attname] = _load_value(field, value)
        if rewrite is not None:
            values = rewrite(values)
        objects.append(model(**values))
        old_ids.append(row["map"] if pk_is_relation else row["id"])
    created = model.objects.bulk_create(objects, batch_size=500)
    if not pk_is_relation:
        for old, obj in zip(old_ids, created, strict=True):
            ids.add(model, old, obj.pk)
    stamps = _timestamps(model)
    if stamps and created:
        for obj, row in zip(created, rows, strict=True):
            for name in stamps:
                setattr(obj, name, parse_datetime(row[name]) if row.get(name) else timezone.now())
        model.objects.bulk_update(created, stamps, batch_size=500)
    return created


def workspace_restore(*, data: dict, slug: str | None = None) -> Workspace:
    """A new workspace equal to the backed-up one, in one transaction (see the module's
    docstring). `slug` restores it under another slug (the original one is taken).

    A file whose rows are not what this version wrote (edited by hand, truncated) is refused
    with BackupFormatError and nothing written."""
    try:
        return _restore(data=data, slug=slug)
    except (KeyError, TypeError, ValueError, AttributeError, DataError, IntegrityError) as error:
        raise BackupFormatError(
            f"The backup's rows are not valid ({type(error).__name__}: {error}); "
            "nothing was restored."
        ) from error


def _restore(*, data: dict, slug: str | None) -> Workspace:
    exported = data["workspace"]
    new_slug = slugify(slug or exported.get("slug") or "")[:60]
    if not new_slug:
        raise ValidationError({"slug": "Give a slug of letters, digits or hyphens."})
    if Workspace.objects.filter(slug=new_slug).exists():
        raise ValidationError(
            {"slug": f"A workspace with the slug {new_slug!r} exists; restore with --slug NEW."}
        )
    _check_caps(data)
    ids = IdMap()
    with transaction.atomic():
        users = _users(data)
        workspace = Workspace.objects.create(
            name=exported["name"], slug=new_slug, archived=bool(exported.get("archived"))
        )
        Workspace.objects.filter(pk=workspace.pk).update(
            created_at=parse_datetime(exported["created_at"])
        )
        ids.add(Workspace, exported.get("id"), workspace.pk)
        rewriter = PayloadRewriter(ids, old_slug=exported.get("slug"), new_slug=new_slug)
        for name, model in TABLES:
            rows = data[name]
            rewrite = None
            if model is MapEvent:

                def rewrite(values):
                    values["payload"] = rewriter.payload(values["payload"])
                    values["note_id"] = ids.new(Note, values["note_id"])
                    return values

            _insert(model, rows, ids=ids, users=users, rewrite=rewrite)
        _link_comment_replies(data["comments"], ids)
        missing = list(
            Evidence.objects.filter(workspace=workspace, embedding__isnull=True).values_list(
                "pk", flat=True
            )
        )
        if missing:
            embedding_schedule(evidence_ids=missing)
    workspace.refresh_from_db()
    return workspace


def _link_comment_replies(rows: list[dict], ids: IdMap) -> None:
    replies = [
        Comment(pk=ids.existing(Comment, row["id"]), parent_id=ids.existing(Comment, row["parent"]))
        for row in rows
        if row.get("parent") is not None
    ]
    Comment.objects.bulk_update(replies, ["parent"], batch_size=500)
