import pytest

from maps.models import Note
from research.status import today
from tests.factories import EvidenceFactory, LinkFactory, SegmentFactory, SourceFactory

pytestmark = pytest.mark.django_db


def fill_map(empathy_map, count):
    segment = SegmentFactory(workspace=empathy_map.workspace)
    source = SourceFactory(workspace=empathy_map.workspace, segment=segment)
    evidence = [EvidenceFactory(source=source) for _ in range(3)]
    notes = Note.objects.bulk_create(
        Note(map=empathy_map, section=empathy_map.sections[i % 9], text=f"Note {i}", position=i)
        for i in range(count)
    )
    from research.models import EvidenceLink

    EvidenceLink.objects.bulk_create(
        EvidenceLink(note=note, evidence=item, stance="supports" if j else "contradicts")
        for note in notes
        for j, item in enumerate(evidence[: 1 + note.pk % 3])
    )


@pytest.mark.parametrize("count", [10, 500])
def test_map_detail_takes_the_same_queries_whatever_the_number_of_notes(
    api, bob, empathy_map, count, django_assert_max_num_queries
):
    fill_map(empathy_map, count)
    client = api(bob)
    with django_assert_max_num_queries(6):
        response = client.get(f"/api/v1/maps/{empathy_map.pk}/")
    assert response.status_code == 200
    assert len(response.data["notes"]) == count
    assert all(
        note["evidence"]["supports"] + note["evidence"]["contradicts"] >= 1
        for note in response.data["notes"]
    )


def test_map_detail_has_the_contract_fields(api, bob, empathy_map):
    LinkFactory(
        note__map=empathy_map,
        evidence__source__workspace=empathy_map.workspace,
        evidence__source__collected_on=today(),
    )
    detail = api(bob).get(f"/api/v1/maps/{empathy_map.pk}/").data
    for field in [
        "id",
        "workspace",
        "title",
        "persona",
        "description",
        "layout",
        "sections",
        "freshness_days",
        "seq",
        "created_at",
        "updated_at",
        "notes",
    ]:
        assert field in detail
    assert detail["workspace"] == "acme"
    assert detail["layout"] == "extended"
    assert detail["sections"] == [
        "says",
        "thinks",
        "does",
        "feels",
        "goals",
        "pains",
        "gains",
        "sees",
        "hears",
    ]
    assert detail["freshness_days"] == 180
    note = detail["notes"][0]
    for field in [
        "id",
        "map",
        "section",
        "text",
        "team",
        "color",
        "position",
        "version",
        "status",
        "narrow",
        "evidence",
        "review",
        "author",
        "created_at",
        "updated_at",
    ]:
        assert field in note
    assert note["status"] == "supported"
    assert note["narrow"] is True


def test_note_payload_matches_the_documented_schema(api, bob, empathy_map):
    from maps.api import NoteSerializer

    note = (
        api(bob)
        .post(
            f"/api/v1/maps/{empathy_map.pk}/notes/",
            {"section": "says", "text": "Hi"},
            format="json",
        )
        .data
    )
    assert set(note) == set(NoteSerializer().fields)
