"""Imports through the library page: the date it used, the question about new segments,
skipping bad rows."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from research.models import Evidence, Segment, Source
from tests.factories import SegmentFactory

pytestmark = pytest.mark.django_db

FILES = Path(__file__).resolve().parent.parent / "data" / "imports"
LIBRARY = "/w/acme/evidence/"
NEAR_DUPLICATE = (
    b"period,metric,value,segment\n"
    b"2026-02,weekly active users,1234,Enterprise\n"
    b"2026-02,receipts scanned per user,12.5,enterprise  Finance\n"
)


@pytest.fixture(autouse=True)
def pending_dir(settings, tmp_path):
    settings.IMPORT_PENDING_DIR = str(tmp_path / "pending")
    return tmp_path / "pending"


@pytest.fixture
def finance(workspace):
    return SegmentFactory(workspace=workspace, name="Enterprise finance")


def post_import(client, user, name, data, fmt, **fields):
    client.force_login(user)
    upload = SimpleUploadedFile(name, data, content_type="text/plain")
    form = {"action": "import", "imp-format": fmt, "imp-file": upload}
    form.update({f"imp-{key}": value for key, value in fields.items()})
    return client.post(LIBRARY, form)


def test_the_page_says_the_transcript_was_dated_by_its_header(client, rita):
    data = (FILES / "workshop-northwind-finance.txt").read_bytes()
    response = post_import(client, rita, "workshop-northwind-finance.txt", data, "transcript")
    page = response.content.decode()
    assert "Dated <strong>20 May 2026</strong>, from the file&#x27;s header." in page
    assert "import-warning" not in page
    assert {str(day) for day in Evidence.objects.values_list("collected_on", flat=True)} == {
        "2026-05-20"
    }


def test_the_page_warns_visibly_when_a_transcript_is_dated_today(client, rita):
    response = post_import(
        client, rita, "call.txt", b"Priya: We close in five days.\n", "transcript"
    )
    page = response.content.decode()
    assert 'class="import-warning" role="alert"' in page
    assert "every turn is dated today" in page


def test_the_page_asks_before_creating_a_segment_and_guesses_the_near_duplicate(
    client, rita, finance, pending_dir
):
    response = post_import(client, rita, "usage.csv", NEAR_DUPLICATE, "usage_csv")
    page = response.content.decode()
    assert "New segments in usage.csv" in page
    assert "“Enterprise” in the file is" in page
    assert f'<option value="{finance.pk}" selected>Enterprise finance</option>' in page
    assert (Evidence.objects.count(), Source.objects.count()) == (0, 0)
    [kept] = pending_dir.glob("*.bin")

    answer = client.post(
        LIBRARY, {"action": "import-segments", "pending": kept.stem, "seg-0": str(finance.pk)}
    )
    assert "Import finished" in answer.content.decode()
    assert set(Evidence.objects.values_list("segment", flat=True)) == {finance.pk}
    assert set(Segment.objects.values_list("name", flat=True)) == {"Enterprise finance"}
    assert not list(pending_dir.glob("*"))


def test_the_answer_can_create_the_new_segment(client, rita, finance, pending_dir):
    post_import(client, rita, "usage.csv", NEAR_DUPLICATE, "usage_csv")
    [kept] = pending_dir.glob("*.bin")
    response = client.post(
        LIBRARY, {"action": "import-segments", "pending": kept.stem, "seg-0": "new"}
    )
    assert "New segment: Enterprise." in response.content.decode()
    assert set(Segment.objects.values_list("name", flat=True)) == {
        "Enterprise finance",
        "Enterprise",
    }
    assert Evidence.objects.count() == 2


def test_cancelling_imports_nothing_and_forgets_the_file(client, rita, finance, pending_dir):
    post_import(client, rita, "usage.csv", NEAR_DUPLICATE, "usage_csv")
    [kept] = pending_dir.glob("*.bin")
    response = client.post(LIBRARY, {"action": "import-cancel", "pending": kept.stem}, follow=True)
    assert "Import cancelled" in response.content.decode()
    assert Evidence.objects.count() == 0
    assert not list(pending_dir.glob("*"))


def test_another_user_cannot_answer_for_a_kept_upload(client, rita, alice, finance, pending_dir):
    post_import(client, rita, "usage.csv", NEAR_DUPLICATE, "usage_csv")
    [kept] = pending_dir.glob("*.bin")
    client.force_login(alice)
    response = client.post(
        LIBRARY,
        {"action": "import-segments", "pending": kept.stem, "seg-0": "new"},
        follow=True,
    )
    assert "That upload has expired" in response.content.decode()
    assert Evidence.objects.count() == 0


def test_the_skip_box_imports_the_good_rows_and_lists_the_others(client, rita):
    data = b"id,created,subject\n1,2026-03-02,Fine\n2,03/04/2026,Ambiguous\n3,2026-03-05,Ok\n"
    response = post_import(client, rita, "t.csv", data, "support_csv", skip_bad_rows="on")
    page = response.content.decode()
    assert "1 row could not be read and was left out" in page
    assert "Line 3: created &quot;03/04/2026&quot; is not a date" in page
    assert Evidence.objects.count() == 2


def test_without_the_skip_box_one_bad_row_stops_the_import(client, rita):
    data = b"id,created,subject\n1,2026-03-02,Fine\n2,03/04/2026,Ambiguous\n"
    response = post_import(client, rita, "t.csv", data, "support_csv")
    assert "line 3:" in response.content.decode()
    assert Evidence.objects.count() == 0
