"""The workshop's part of every note's JSON: agreement by team, dot votes and comment count.

Read in bulk for any number of notes: vote totals and comment counts are subqueries of the
notes' own query (`annotate_notes`), stances one more query (`note_extras`), and the members'
teams one more only when there are stances. Imports nothing from maps.selectors, which calls it.

`mine` (the caller's stance, the caller's votes) exists only for a known viewer: in events, which
go to everyone on the map, it is null and a client keeps the value it has. A blind vote's totals
are null for everyone but a lead while the vote is open, events included.
"""

from django.db.models import IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from maps.models import Comment, EmpathyMap, Membership, NoteStance, NoteVote, Role


def member_teams(workspace_id: int) -> dict[int, str]:
    """Each member's team in the workspace, by user id: the one place that reads it. People who
    have left the workspace have no team, and their stances are not counted."""
    return dict(Membership.objects.filter(workspace_id=workspace_id).values_list("user_id", "team"))


def blind_for(empathy_map: EmpathyMap, *, viewer_is_lead: bool) -> bool:
    """Vote totals are hidden from this reader: a blind vote is open and they do not lead."""
    return empathy_map.vote_open and empathy_map.vote_blind and not viewer_is_lead


def _sum_subquery(queryset: QuerySet, field: str) -> Coalesce:
    summed = queryset.order_by().values("note_id").annotate(total=Sum(field)).values("total")
    return Coalesce(Subquery(summed, output_field=IntegerField()), Value(0))


def annotate_notes(notes: QuerySet, *, viewer=None) -> QuerySet:
    """Add `workshop_comments`, `workshop_votes` and `workshop_my_votes` to a notes query.

    Votes count in the note's map's current round, so the round needs no extra query.
    """
    current = NoteVote.objects.filter(note_id=OuterRef("pk"), round=OuterRef("map__vote_round"))
    comments = (
        Comment.objects.filter(note_id=OuterRef("pk"))
        .order_by()
        .values("note_id")
        .annotate(total=Sum(Value(1)))
        .values("total")
    )
    fields = {
        "workshop_comments": Coalesce(Subquery(comments, output_field=IntegerField()), Value(0)),
        "workshop_votes": _sum_subquery(current, "count"),
    }
    if viewer is not None and viewer.is_authenticated:
        fields["workshop_my_votes"] = _sum_subquery(current.filter(user_id=viewer.pk), "count")
    return notes.annotate(**fields)


def read_stance_rows(note_ids: list[int] | None, *, map_id: int) -> list[tuple[int, int, str]]:
    """(note id, user id, stance) of the map's notes (or of these notes)."""
    stances = NoteStance.objects.filter(note__map_id=map_id)
    if note_ids is not None:
        stances = stances.filter(note_id__in=note_ids)
    return list(stances.values_list("note_id", "user_id", "value"))


def agreement_by_note(
    rows: list[tuple[int, int, str]], *, teams: dict[int, str], viewer_id: int | None
) -> dict[int, dict]:
    """{note id: {"agree": {team: n}, "disagree": {team: n}, "mine"}} from stance rows."""
    result: dict[int, dict] = {}
    for note_id, user_id, value in rows:
        entry = result.setdefault(note_id, empty_agreement(viewer_id))
        if user_id == viewer_id:
            entry["mine"] = value
        team = teams.get(user_id)
        if team is None:
            continue  # no longer a member
        entry[value][team] = entry[value].get(team, 0) + 1
    for entry in result.values():
        entry["agree"] = dict(sorted(entry["agree"].items()))
        entry["disagree"] = dict(sorted(entry["disagree"].items()))
    return result


def empty_agreement(viewer_id: int | None = None) -> dict:
    return {"agree": {}, "disagree": {}, "mine": None}


def note_extras(
    notes: list,
    *,
    empathy_map: EmpathyMap,
    viewer=None,
    viewer_is_lead: bool = False,
    stance_rows: list | None = None,
) -> dict[int, dict]:
    """{note id: {"agreement", "votes", "comments"}} for notes read through `annotate_notes`;
    `stance_rows`, when the caller knows them already (say, none), spare their query."""
    if not notes:
        return {}
    viewer_id = viewer.pk if viewer is not None and viewer.is_authenticated else None
    rows = stance_rows
    if rows is None:
        note_ids = [note.pk for note in notes] if len(notes) <= 500 else None
        rows = read_stance_rows(note_ids, map_id=empathy_map.pk)
    teams = member_teams(empathy_map.workspace_id) if rows else {}
    agreement = agreement_by_note(rows, teams=teams, viewer_id=viewer_id)
    hidden = blind_for(empathy_map, viewer_is_lead=viewer_is_lead)
    extras = {}
    for note in notes:
        mine = getattr(note, "workshop_my_votes", None)
        extras[note.pk] = {
            "agreement": agreement.get(note.pk, empty_agreement(viewer_id)),
            "votes": {
                "total": None if hidden else note.workshop_votes,
                "mine": mine if viewer_id is not None else None,
            },
            "comments": note.workshop_comments,
        }
    return extras


def new_note_extras(empathy_map: EmpathyMap) -> dict:
    """`note_extras` of a note just created, as every member sees it: nothing yet (no query)."""
    hidden = blind_for(empathy_map, viewer_is_lead=False)
    return {
        "agreement": empty_agreement(),
        "votes": {"total": None if hidden else 0, "mine": None},
        "comments": 0,
    }


def map_fields(empathy_map: EmpathyMap) -> dict:
    """The workshop's fields of a map's JSON: `vote`, `timer` and `step` (no query)."""
    vote = None
    if empathy_map.vote_round:
        vote = {
            "open": empathy_map.vote_open,
            "per_person": empathy_map.vote_per_person,
            "blind": empathy_map.vote_blind,
            "round": empathy_map.vote_round,
        }
    timer = None
    if empathy_map.timer_ends_at is not None:
        timer = {"ends_at": iso(empathy_map.timer_ends_at), "seconds": empathy_map.timer_seconds}
    return {"vote": vote, "timer": timer, "step": empathy_map.workshop_step or None}


def iso(moment) -> str:
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def viewer_leads(empathy_map: EmpathyMap, viewer) -> bool:
    """Whether the reader leads the map's workspace, from the role `map_for_user` set."""
    role = getattr(empathy_map, "role", None)
    return viewer is not None and role is not None and Role(role) == Role.LEAD
