"""/maps/{id}/alignment/: the alignment page, its chart and its one action."""

import re

import pytest

from maps.models import Note
from tests.workshop_support import assign_teams, create_note, put_stance

pytestmark = pytest.mark.django_db


@pytest.fixture
def aligned(api, monkeypatch, workspace, alice, bob, vera, empathy_map):
    assign_teams(monkeypatch, workspace, {alice: "product", bob: "design", vera: "sales"})
    shared = create_note(api, bob, empathy_map, "<script>alert(1)</script> wants totals")
    disputed = create_note(api, bob, empathy_map, "Hates spreadsheets", section="feels")
    api(alice).post(f"/api/v1/maps/{empathy_map.pk}/review/")
    put_stance(api, alice, shared["id"], "agree")
    put_stance(api, bob, shared["id"], "agree")
    put_stance(api, alice, disputed["id"], "agree")
    put_stance(api, vera, disputed["id"], "disagree")
    api(alice).post(f"/api/v1/maps/{empathy_map.pk}/review/")
    return {"shared": shared, "disputed": disputed}


def page(client, user, empathy_map):
    client.force_login(user)
    response = client.get(f"/maps/{empathy_map.pk}/alignment/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_shows_the_score_sections_pairs_and_lists(client, vera, aligned, empathy_map):
    html = page(client, vera, empathy_map)
    assert "50%" in html  # 1 of 2 notes shared
    assert "1 of 2 notes shared across teams" in html
    assert "Design &amp; Product" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; wants totals" in html
    assert "<script>alert" not in html
    assert 'id="list-disputed"' in html
    assert "agree: Product 1 · disagree: Sales 1" in html


def test_the_score_over_time_is_an_svg_drawn_on_the_server(client, vera, aligned, empathy_map):
    html = page(client, vera, empathy_map)
    assert "<svg" in html
    assert len(re.findall(r"<circle class=\"chart-dot\"", html)) == 2  # two checkpoints
    assert re.search(r'<polyline class="chart-line" points="[\d., ]+"', html)
    # No inline script and no inline style: a Content-Security-Policy forbids them.
    assert "<script>" not in html.replace("<script>alert", "")
    assert not re.search(r"<script(?![^>]*src=)", html)
    assert "style=" not in html


def test_the_chart_ends_at_todays_score_when_it_moved_since_the_last_checkpoint(
    client, api, vera, aligned, empathy_map
):
    html = page(client, vera, empathy_map)
    assert "chart-now" not in html  # nothing moved since the last checkpoint

    put_stance(api, vera, aligned["disputed"]["id"], "agree")  # sales comes round: 2 of 2

    html = page(client, vera, empathy_map)
    dots = re.findall(r'<circle class="chart-dot( chart-now)?"[^>]*><title>([^<]*)</title>', html)
    assert len(dots) == 3
    assert [cls for cls, _title in dots] == ["", "", " chart-now"]
    assert dots[-1][1] == "Now: 100%"
    assert "100%" in html.split('id="history-heading"')[0]  # the headline says the same
    assert "each review checkpoint, and now</title>" in html


def test_a_lead_asks_for_research_on_a_loud_assumption(client, alice, aligned, empathy_map):
    html = page(client, alice, empathy_map)
    assert html.count(">Ask for research</button>") == 2
    response = client.post(
        f"/maps/{empathy_map.pk}/alignment/", {"note": aligned["disputed"]["id"]}
    )
    assert response.status_code == 302
    note = Note.objects.get(pk=aligned["disputed"]["id"])
    assert note.review_state == "needs_research"
    assert note.reviewed_by == alice
    assert "Research asked for" in page(client, alice, empathy_map)


def test_others_see_no_action_and_may_not_post_one(client, bob, aligned, empathy_map):
    assert "Ask for research</button>" not in page(client, bob, empathy_map)
    response = client.post(
        f"/maps/{empathy_map.pk}/alignment/", {"note": aligned["disputed"]["id"]}
    )
    assert response.status_code == 403
    assert Note.objects.get(pk=aligned["disputed"]["id"]).review_state == "unreviewed"


def test_outsiders_get_404(client, mallory, empathy_map):
    client.force_login(mallory)
    assert client.get(f"/maps/{empathy_map.pk}/alignment/").status_code == 404


def test_the_review_page_links_to_it(client, vera, empathy_map):
    client.force_login(vera)
    html = client.get(f"/maps/{empathy_map.pk}/review/").content.decode()
    assert f'href="/maps/{empathy_map.pk}/alignment/"' in html


def test_an_empty_map_says_so(client, vera, empathy_map):
    html = page(client, vera, empathy_map)
    assert "No notes yet." in html
    assert "<svg" not in html
