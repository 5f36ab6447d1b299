"""GET /api/v1/maps/{id}/export/?format=json|csv|md: the whole map, safe to open anywhere."""

import csv
import io

import pytest
from django.utils.text import slugify

from tests.factories import EvidenceFactory, LinkFactory, NoteFactory, SegmentFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def board(empathy_map, workspace, alice):
    segment = SegmentFactory(workspace=workspace, name="Enterprise")
    source = SourceFactory(workspace=workspace, kind="support_ticket", title="Zendesk March")
    formula = EvidenceFactory(
        source=source,
        text='=HYPERLINK("http://evil.example","click")',
        segment=segment,
        participant="@ops",
    )
    plain = EvidenceFactory(source=source, text="Exports lose accents")
    supported = NoteFactory(
        map=empathy_map, section="pains", text="-1 on exports: accents break", author=alice
    )
    LinkFactory(note=supported, evidence=formula, stance="supports", comment="+ seen twice")
    LinkFactory(note=supported, evidence=plain, stance="contradicts")
    NoteFactory(map=empathy_map, section="says", text="@channel I just want it to work")
    NoteFactory(map=empathy_map, section="says", text="Gone", deleted_at="2026-01-01T00:00Z")
    return {"supported": supported, "formula": formula}


def export(api, user, empathy_map, fmt=None):
    params = {"format": fmt} if fmt else {}
    return api(user).get(f"/api/v1/maps/{empathy_map.pk}/export/", params)


def test_json_has_the_map_live_notes_statuses_and_links(api, vera, empathy_map, board):
    response = export(api, vera, empathy_map, "json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    data = response.json()
    assert data["map"]["id"] == empathy_map.pk
    texts = [note["text"] for note in data["notes"]]
    assert "Gone" not in texts
    assert len(texts) == 2
    note = next(note for note in data["notes"] if note["id"] == board["supported"].pk)
    assert note["status"] == "contested"
    assert [link["stance"] for link in note["links"]] == ["supports", "contradicts"]
    assert note["links"][0]["evidence"]["text"].startswith("=HYPERLINK")
    assert note["links"][0]["evidence"]["segment_name"] == "Enterprise"


def test_json_is_the_default(api, vera, empathy_map, board):
    response = export(api, vera, empathy_map)
    assert response.status_code == 200
    assert "notes" in response.json()


def test_a_json_download_is_named_after_the_map(api, vera, empathy_map, board):
    response = export(api, vera, empathy_map, "json")
    expected = f'attachment; filename="{slugify(empathy_map.title)}-{empathy_map.pk}.json"'
    assert response["Content-Disposition"] == expected


def test_csv_neutralises_every_formula_cell(api, vera, empathy_map, board):
    response = export(api, vera, empathy_map, "csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 3  # two links of one note, and the note without links
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), row
    linked = [row for row in rows if row["evidence_id"]]
    assert linked[0]["text"] == "'-1 on exports: accents break"
    assert linked[0]["evidence_text"] == '\'=HYPERLINK("http://evil.example","click")'
    assert linked[0]["evidence_participant"] == "'@ops"
    assert linked[0]["link_comment"] == "'+ seen twice"
    assert linked[0]["status"] == "contested"
    lonely = next(row for row in rows if not row["evidence_id"])
    assert lonely["text"] == "'@channel I just want it to work"
    assert lonely["status"] == "assumption"


def test_markdown_lists_notes_under_their_sections(api, vera, empathy_map, board):
    response = export(api, vera, empathy_map, "md")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/markdown")
    text = response.content.decode()
    assert text.startswith(f"# {empathy_map.title}\n")
    assert text.index("## Says") < text.index("## Pains")
    assert "- -1 on exports: accents break _(contested, product, narrow, fresh until " in text
    assert "  - supports: “=HYPERLINK" in text
    assert "Gone" not in text


def test_an_unknown_format_is_a_400_in_json(api, vera, empathy_map):
    response = export(api, vera, empathy_map, "xlsx")
    assert response.status_code == 400
    assert "format" in response.json()


def test_outsiders_get_a_json_404_whatever_the_format(api, mallory, empathy_map):
    response = export(api, mallory, empathy_map, "csv")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]


@pytest.mark.parametrize("fmt", ["json", "csv", "md"])
def test_export_takes_a_fixed_number_of_queries(
    api, vera, empathy_map, workspace, fmt, django_assert_max_num_queries
):
    source = SourceFactory(workspace=workspace)
    for number in range(30):
        note = NoteFactory(map=empathy_map, section="does")
        for _ in range(number % 3):
            LinkFactory(note=note, evidence=EvidenceFactory(source=source))
    with django_assert_max_num_queries(6):
        response = export(api, vera, empathy_map, fmt)
    assert response.status_code == 200
