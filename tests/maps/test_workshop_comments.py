"""Comments under a note, and @mentions of members: their inbox and its unread count."""

import re

import pytest

from maps.models import Comment, MapEvent, Mention
from tests.factories import MembershipFactory, UserFactory
from tests.workshop_support import create_note

pytestmark = pytest.mark.django_db


@pytest.fixture
def note(api, bob, empathy_map):
    return create_note(api, bob, empathy_map, "Month end is a scramble")


def comment(api, user, note_id, text, **extra):
    return api(user).post(
        f"/api/v1/notes/{note_id}/comments/", {"text": text, **extra}, format="json"
    )


def mentions(api, user, **params):
    response = api(user).get("/api/v1/mentions/", params)
    assert response.status_code == 200
    return response.data


def test_an_editor_comments_and_everyone_reads_oldest_first(api, bob, rita, vera, note):
    first = comment(api, bob, note["id"], "  I hear this every week  ")
    assert first.status_code == 201
    assert first.data["text"] == "I hear this every week"
    assert (first.data["author"], first.data["note"], first.data["parent"]) == (
        "bob",
        note["id"],
        None,
    )
    reply = comment(api, rita, note["id"], "Which customers?", parent=first.data["id"])
    assert reply.data["parent"] == first.data["id"]
    listed = api(vera).get(f"/api/v1/notes/{note['id']}/comments/").data
    assert [c["text"] for c in listed] == ["I hear this every week", "Which customers?"]
    assert api(vera).get(f"/api/v1/notes/{note['id']}/").data["comments"] == 2


def test_a_comment_is_an_event_with_the_comment_and_the_count(
    api, bob, note, broadcasts, django_capture_on_commit_callbacks
):
    comment(api, bob, note["id"], "First")
    with django_capture_on_commit_callbacks(execute=True):
        second = comment(api, bob, note["id"], "Second").data
    ((_group, message),) = broadcasts
    event = message["event"]
    assert event["kind"] == "comment.created"
    assert event["comment"] == second
    assert event["comments"] == 2
    assert event["note"]["id"] == note["id"]
    assert event["note"]["comments"] == 2


def test_a_viewer_reads_but_may_not_comment(api, vera, note):
    assert comment(api, vera, note["id"], "Me too").status_code == 403
    assert api(vera).get(f"/api/v1/notes/{note['id']}/comments/").status_code == 200
    assert not Comment.objects.exists()


def test_outsiders_get_404(api, mallory, note):
    assert comment(api, mallory, note["id"], "Hi").status_code == 404
    assert api(mallory).get(f"/api/v1/notes/{note['id']}/comments/").status_code == 404


@pytest.mark.parametrize("text", ["", "   ", "x" * 2001, None])
def test_text_must_be_1_to_2000_characters(api, bob, note, text):
    response = comment(api, bob, note["id"], text)
    assert response.status_code == 400
    assert "text" in response.data
    assert not MapEvent.objects.filter(kind="comment.created").exists()


def test_2000_characters_after_trimming_are_fine(api, bob, note):
    assert comment(api, bob, note["id"], " " + "x" * 2000 + " ").status_code == 201


def test_html_is_kept_as_literal_text(api, bob, note):
    text = "<img src=x onerror=alert(1)>"
    assert comment(api, bob, note["id"], text).data["text"] == text


def test_a_parent_must_be_a_comment_of_the_same_note(api, bob, empathy_map, note):
    other = create_note(api, bob, empathy_map, "Another")
    elsewhere = comment(api, bob, other["id"], "Elsewhere").data
    response = comment(api, bob, note["id"], "Reply", parent=elsewhere["id"])
    assert response.status_code == 400
    assert "parent" in response.data


def test_a_deleted_note_takes_no_comment(api, bob, note):
    api(bob).delete(f"/api/v1/notes/{note['id']}/")
    assert comment(api, bob, note["id"], "Late").status_code == 404


# Mentions ------------------------------------------------------------------------------------


def test_a_mention_notifies_members_only_once_and_never_the_author(
    api, bob, rita, vera, mallory, note
):
    text = "@rita and @vera, see this. @rita again, @mallory, @nobody and me @bob."
    made = comment(api, bob, note["id"], text).data
    assert sorted(Mention.objects.values_list("user__username", flat=True)) == ["rita", "vera"]
    (mention,) = mentions(api, rita)
    assert mention["comment"] == made
    assert (mention["note"], mention["map"], mention["by"], mention["read"]) == (
        note["id"],
        note["map"],
        "bob",
        False,
    )
    assert mentions(api, mallory) == []
    assert mentions(api, bob) == []
    event = MapEvent.objects.get(kind="comment.created")
    assert event.payload["mentioned"] == ["rita", "vera"]  # for their open boards' headers


def test_mentions_end_at_the_name(api, bob, rita, note):
    comment(api, bob, note["id"], "Thanks @rita. And email@rita.example is not one.")
    assert list(Mention.objects.values_list("user__username", flat=True)) == ["rita"]


def test_a_mention_ignores_the_case_of_the_name(api, bob, rita, note):
    comment(api, bob, note["id"], "What do you think, @Rita?")
    assert list(Mention.objects.values_list("user__username", flat=True)) == ["rita"]


def test_mentions_come_newest_first_and_are_marked_read(api, bob, rita, note):
    comment(api, bob, note["id"], "@rita first")
    comment(api, bob, note["id"], "@rita second")
    listed = mentions(api, rita)
    assert [m["comment"]["text"] for m in listed] == ["@rita second", "@rita first"]
    assert api(rita).get("/api/v1/mentions/unread/").data == {"unread": 2}
    response = api(rita).post(f"/api/v1/mentions/{listed[1]['id']}/read/")
    assert response.status_code == 200
    assert response.data["read"] is True
    assert api(rita).get("/api/v1/mentions/unread/").data == {"unread": 1}
    assert [m["comment"]["text"] for m in mentions(api, rita, unread=1)] == ["@rita second"]


def test_nobody_reads_anyone_elses_mentions(api, bob, rita, vera, note):
    comment(api, bob, note["id"], "@rita look")
    mention = Mention.objects.get()
    assert api(vera).post(f"/api/v1/mentions/{mention.pk}/read/").status_code == 404
    assert Mention.objects.get().read_at is None


def test_mentions_in_a_workspace_you_left_are_gone(api, alice, bob, rita, note, workspace):
    comment(api, bob, note["id"], "@rita look")
    api(alice).delete(f"/api/v1/workspaces/{workspace.slug}/members/rita/")
    assert mentions(api, rita) == []
    assert api(rita).get("/api/v1/mentions/unread/").data == {"unread": 0}


def test_a_member_of_another_workspace_only_is_not_mentioned(api, bob, note):
    stranger = UserFactory(username="stranger")
    MembershipFactory(user=stranger)  # a workspace of their own
    comment(api, bob, note["id"], "@stranger hello")
    assert not Mention.objects.exists()


# Pages ---------------------------------------------------------------------------------------


def test_the_header_shows_unread_mentions_and_opening_one_marks_it_read(
    client, bob, rita, note, api
):
    comment(api, bob, note["id"], "@rita <b>look</b>")
    client.force_login(rita)
    home = client.get("/").content.decode()
    assert re.search(r'class="nav-mentions">.*?Mentions.*?<strong>\(1\)</strong>', home)
    page = client.get("/mentions/").content.decode()
    assert "@rita &lt;b&gt;look&lt;/b&gt;" in page
    assert "<b>look</b>" not in page
    mention = Mention.objects.get()
    response = client.get(f"/mentions/{mention.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/maps/{note['map']}/#note-{note['id']}"
    assert Mention.objects.get().read_at is not None
    assert not re.search(r'class="nav-mentions">[^\n]*<strong>', client.get("/").content.decode())


def test_the_inbox_shows_a_long_comment_cut_short(client, bob, rita, note, api):
    comment(api, bob, note["id"], "@rita " + "word " * 399)  # 2,001 characters
    client.force_login(rita)
    page = client.get("/mentions/").content.decode()
    (shown,) = re.findall(r'<a class="note-row-text"[^>]*>([^<]*)</a>', page)
    assert len(shown) == 280 and shown.endswith("…")


def test_someone_elses_mention_page_is_a_404(client, bob, rita, vera, note, api):
    comment(api, bob, note["id"], "@rita hi")
    client.force_login(vera)
    assert client.get(f"/mentions/{Mention.objects.get().pk}/").status_code == 404
