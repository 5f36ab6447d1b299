"""The workshop's reads: alignment of the teams, comments and mentions, with access checks."""

from itertools import combinations

from django.db.models import QuerySet

from maps import visibility
from maps.models import Comment, EmpathyMap, EventKind, MapEvent, Mention, ReviewState
from maps.selectors import iso, map_notes, note_for_user
from maps.workshop import notes as workshop_notes

SHARED = "shared"
DISPUTED = "disputed"
SINGLE_TEAM = "single_team"
MENTIONS_LIMIT = 200


# Alignment ------------------------------------------------------------------------------------


def classify(agree_teams: set[str], disagree_teams: set[str]) -> str:
    """A live note is *shared* when members of two or more teams agree with it and no one
    disagrees; *disputed* when members of one team agree and members of another team disagree;
    otherwise *single-team* (contract: alignment)."""
    if len(agree_teams) >= 2 and not disagree_teams:
        return SHARED
    if any(agree != disagree for agree in agree_teams for disagree in disagree_teams):
        return DISPUTED
    return SINGLE_TEAM


def share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def team_view(agreement: dict, team: str) -> str | None:
    """How a team sees a note: agree or disagree when its members say only that, split when
    both, None when none of them has a stance."""
    agrees = team in agreement["agree"]
    disagrees = team in agreement["disagree"]
    if agrees and disagrees:
        return "split"
    return "agree" if agrees else "disagree" if disagrees else None


def team_pairs(notes: list[dict]) -> list[dict]:
    """Each pair of teams with a stance on the map: of the live notes either team has a stance
    on (`notes`), the share both teams agree with, no member of either disagreeing (`agreed`)."""
    teams = sorted(
        {
            team
            for note in notes
            for side in ("agree", "disagree")
            for team in note["agreement"][side]
        }
    )
    pairs = []
    for first, second in combinations(teams, 2):
        considered = agreed = 0
        for note in notes:
            views = (team_view(note["agreement"], first), team_view(note["agreement"], second))
            if views == (None, None):
                continue
            considered += 1
            agreed += views == ("agree", "agree")
        pairs.append(
            {
                "teams": [first, second],
                "score": share(agreed, considered),
                "notes": considered,
                "agreed": agreed,
            }
        )
    return pairs


def loudness(note: dict) -> int:
    """Votes (when this reader may see them) plus agreements."""
    return (note["votes"]["total"] or 0) + sum(note["agreement"]["agree"].values())


def alignment_of(empathy_map: EmpathyMap, notes: list[dict]) -> dict:
    """The alignment of these live notes (as `map_notes` gives them) and of their map's past."""
    kinds = {note["id"]: note_kind(note) for note in notes}
    grouped: dict[str, list[int]] = {SHARED: [], SINGLE_TEAM: [], DISPUTED: []}
    for note in notes:
        grouped[kinds[note["id"]]].append(note["id"])
    by_section = {}
    for section in empathy_map.sections:
        in_section = [note for note in notes if note["section"] == section]
        shared = sum(1 for note in in_section if kinds[note["id"]] == SHARED)
        by_section[section] = share(shared, len(in_section))
    order = {section: index for index, section in enumerate(empathy_map.sections)}
    assumptions = [
        note
        for note in notes
        if note["status"] == "assumption" and note["review"]["state"] != ReviewState.DISMISSED
    ]
    assumptions.sort(
        key=lambda note: (-loudness(note), order.get(note["section"], 99), note["position"])
    )
    return {
        "score": share(len(grouped[SHARED]), len(notes)),
        "by_section": by_section,
        "by_team_pair": team_pairs(notes),
        "shared": grouped[SHARED],
        "single_team": grouped[SINGLE_TEAM],
        "disputed": grouped[DISPUTED],
        "loud_assumptions": [note["id"] for note in assumptions],
        "history": alignment_history(empathy_map),
    }


def note_kind(note: dict) -> str:
    return classify(set(note["agreement"]["agree"]), set(note["agreement"]["disagree"]))


def map_alignment(*, empathy_map: EmpathyMap, viewer) -> tuple[dict, dict[int, dict]]:
    """The alignment endpoint's body, and the notes it names by id (for the page).

    `empathy_map` comes from `map_for_user` (its role says whether the viewer sees blind totals:
    loud assumptions are ranked on the votes this viewer may see, so the order leaks nothing),
    and its team says which notes a member sees while the map drafts: only those count for them.
    """
    notes = map_notes(empathy_map=empathy_map, viewer=viewer)
    notes = visibility.visible_notes(visibility.viewer_of_map(empathy_map), notes)
    return alignment_of(empathy_map, notes), {note["id"]: note for note in notes}


def alignment_history(empathy_map: EmpathyMap) -> list[dict]:
    """The score as it was at each review checkpoint ("Mark reviewed"), replayed from the event
    log in two queries: which notes were live (created, deleted, restored events) and who took
    which stance (note.stance events carry the actor's new stance), at that seq.

    Replayed rather than stored with the checkpoint so that every checkpoint has its point,
    those made before stances existed too, from the one source of truth. People are counted in
    the team they are in now, and not at all once they have left (as the live score does).
    """
    checkpoints = list(
        MapEvent.objects.filter(
            map_id=empathy_map.pk, kind=EventKind.MAP_UPDATED, payload__reviewed=True
        )
        .order_by("seq")
        .values_list("seq", "created_at")
    )
    if not checkpoints:
        return []
    events = (
        MapEvent.objects.filter(
            map_id=empathy_map.pk,
            seq__lte=checkpoints[-1][0],
            note_id__isnull=False,
            kind__in=[
                EventKind.NOTE_CREATED,
                EventKind.NOTE_DELETED,
                EventKind.NOTE_RESTORED,
                EventKind.NOTE_STANCE,
            ],
        )
        .order_by("seq")
        .values_list("seq", "kind", "note_id", "actor_id", "payload__stance")
    )
    teams = workshop_notes.member_teams(empathy_map.workspace_id)
    live: set[int] = set()
    stances: dict[int, dict[int, str]] = {}
    points = []
    pending = iter(events)
    upcoming = next(pending, None)
    for checkpoint_seq, at in checkpoints:
        while upcoming is not None and upcoming[0] <= checkpoint_seq:
            _seq, kind, note_id, actor_id, stance = upcoming
            if kind in (EventKind.NOTE_CREATED, EventKind.NOTE_RESTORED):
                live.add(note_id)
            elif kind == EventKind.NOTE_DELETED:
                live.discard(note_id)
            elif stance in ("agree", "disagree"):
                stances.setdefault(note_id, {})[actor_id] = stance
            else:
                stances.get(note_id, {}).pop(actor_id, None)
            upcoming = next(pending, None)
        shared = 0
        for note_id in live:
            sides: dict[str, set[str]] = {"agree": set(), "disagree": set()}
            for user_id, stance in stances.get(note_id, {}).items():
                if user_id in teams:
                    sides[stance].add(teams[user_id])
            shared += classify(sides["agree"], sides["disagree"]) == SHARED
        points.append({"at": iso(at), "seq": checkpoint_seq, "score": share(shared, len(live))})
    return points


# Comments -------------------------------------------------------------------------------------


def comment_payload(comment: Comment) -> dict:
    return {
        "id": comment.pk,
        "note": comment.note_id,
        "parent": comment.parent_id,
        "author": comment.author.username if comment.author_id else None,
        "text": comment.text,
        "created_at": iso(comment.created_at),
    }


def note_comments(*, user, note_id: int) -> list[dict]:
    """A note's comments, oldest first (any member)."""
    note = note_for_user(user=user, note_id=note_id)
    comments = Comment.objects.filter(note_id=note.pk).select_related("author")
    return [comment_payload(comment) for comment in comments.order_by("created_at", "id")]


# Mentions -------------------------------------------------------------------------------------


def mentions_for_user(*, user) -> QuerySet[Mention]:
    """The user's mentions, newest first, in workspaces they still belong to."""
    return (
        Mention.objects.filter(
            user_id=user.pk,
            comment__note__map__workspace__memberships__user_id=user.pk,
        )
        .select_related("comment", "comment__author", "comment__note", "comment__note__map")
        .order_by("-created_at", "-id")
    )


def unread_mentions(*, user) -> int:
    if not user.is_authenticated:
        return 0
    return mentions_for_user(user=user).filter(read_at__isnull=True).count()


def mention_payload(mention: Mention) -> dict:
    comment = mention.comment
    return {
        "id": mention.pk,
        "comment": comment_payload(comment),
        "note": comment.note_id,
        "map": comment.note.map_id,
        "map_title": comment.note.map.title,
        "by": comment.author.username if comment.author_id else None,
        "at": iso(mention.created_at),
        "read": mention.read_at is not None,
    }


def mention_list(*, user, unread_only: bool = False) -> list[dict]:
    mentions = mentions_for_user(user=user)
    if unread_only:
        mentions = mentions.filter(read_at__isnull=True)
    return [mention_payload(mention) for mention in mentions[:MENTIONS_LIMIT]]
