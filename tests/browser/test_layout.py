"""Names people type may be one long word: pages wrap them instead of growing sideways."""

import pytest

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1280, 820])
def test_a_long_workspace_name_does_not_widen_the_page(board_server, open_as, width):
    name = "Q" * 120
    status, workspaces = board_server.request("GET", "/api/v1/workspaces/")
    assert status == 200
    if not any(workspace["name"] == name for workspace in workspaces):
        status, _ = board_server.request("POST", "/api/v1/workspaces/", {"name": name})
        assert status == 201
    page = open_as("alice", "/", viewport={"width": width, "height": 900})
    assert page.get_by_role("heading", name=name).is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") == width
    page.goto("/w/" + "q" * 60 + "/members/")
    assert page.evaluate("document.documentElement.scrollWidth") == width


def test_review_tables_keep_words_whole_on_a_tablet(board_server, open_as):
    board = board_server.new_map(title="Tablet review")
    for team_note in ["Loses receipts", "Hates month end"]:
        board_server.add_note(board["id"], team_note, section="pains")
    page = open_as("alice", f"/maps/{board['id']}/review/", viewport={"width": 820, "height": 1180})
    # Column headers and team names are single words: each stays on one line.
    lines = page.locator(
        "table.team-matrix th[scope=col], table.team-matrix th[scope=row]"
    ).evaluate_all(
        """(cells) => cells.map((cell) => {
            const range = document.createRange();
            range.selectNodeContents(cell);
            return new Set([...range.getClientRects()].map((rect) => Math.round(rect.top))).size;
        })"""
    )
    assert lines and max(lines) == 1, lines
    assert page.evaluate("document.documentElement.scrollWidth") == 820


def test_the_header_stays_on_one_line_on_a_tablet(board_server, open_as):
    page = open_as("rita", "/w/acme/evidence/", viewport={"width": 820, "height": 1180})
    boxes = [
        page.locator(selector).bounding_box() for selector in (".brand", "nav", ".logout-form")
    ]
    middles = [box["y"] + box["height"] / 2 for box in boxes]
    assert max(middles) - min(middles) < 12, boxes
    assert page.get_by_text("Signed in as").count() == 1  # still there for screen readers


@pytest.mark.parametrize("path", ["/w/acme/evidence/", "/w/acme/members/"])
def test_the_library_and_members_pages_fit_a_phone(board_server, open_as, path):
    # A long source title makes the library's source filter as wide as its longest option,
    # and a lead's members table has a role, a team and a remove button on every row.
    title = "Quarterly interview round with finance leads at agencies, " * 3
    status, sources = board_server.request("GET", "/api/v1/sources/?workspace=acme")
    assert status == 200
    sources = sources["results"] if isinstance(sources, dict) else sources
    if not any(source["title"].startswith(title[:40]) for source in sources):
        status, _ = board_server.request(
            "POST", "/api/v1/sources/", {"workspace": "acme", "kind": "interview", "title": title}
        )
        assert status == 201
    page = open_as("alice", path, viewport={"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") == 390
