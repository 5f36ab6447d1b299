"""Helpers for the workshop tests: members' teams, and notes made through the API."""

from maps.models import Membership
from maps.workshop import notes as workshop_notes


def assign_teams(monkeypatch, workspace, teams: dict) -> None:
    """Put members in teams ({user: team}); the others stay `other`.

    Through Membership.team when the model has it, else through the one function the workshop
    reads teams from (maps.workshop.notes.member_teams), so these tests hold either way.
    """
    field_names = {field.name for field in Membership._meta.get_fields()}
    if "team" in field_names:
        for user, team in teams.items():
            Membership.objects.filter(workspace=workspace, user=user).update(team=team)
        return
    by_id = {user.pk: team for user, team in teams.items()}
    real = workshop_notes.member_teams

    def member_teams(workspace_id):
        found = real(workspace_id)
        if workspace_id != workspace.pk:
            return found
        return {user_id: by_id.get(user_id, team) for user_id, team in found.items()}

    monkeypatch.setattr(workshop_notes, "member_teams", member_teams)


def create_note(api, user, empathy_map, text="A note", section="says", team="product") -> dict:
    response = api(user).post(
        f"/api/v1/maps/{empathy_map.pk}/notes/",
        {"section": section, "text": text, "team": team},
        format="json",
    )
    assert response.status_code == 201, response.data
    return response.data


def put_stance(api, user, note_id, stance):
    return api(user).put(f"/api/v1/notes/{note_id}/stance/", {"stance": stance}, format="json")


def open_vote(api, lead, empathy_map, **config):
    response = api(lead).patch(
        f"/api/v1/maps/{empathy_map.pk}/", {"vote": {"open": True, **config}}, format="json"
    )
    assert response.status_code == 200, response.data
    return response.data


def close_vote(api, lead, empathy_map):
    response = api(lead).patch(
        f"/api/v1/maps/{empathy_map.pk}/", {"vote": {"open": False}}, format="json"
    )
    assert response.status_code == 200, response.data
    return response.data


def vote(api, user, note_id):
    return api(user).post(f"/api/v1/notes/{note_id}/votes/")


def unvote(api, user, note_id):
    return api(user).delete(f"/api/v1/notes/{note_id}/votes/")
