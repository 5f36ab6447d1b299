"""POST /api/v1/workspaces/{slug}/imports/: atomic, idempotent, bounded imports."""

import io
from datetime import date
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from research.models import Evidence, Segment, Source
from tests.factories import SegmentFactory

pytestmark = pytest.mark.django_db

FILES = Path(__file__).resolve().parent.parent / "data" / "imports"

SUPPORT_CSV = (
    "Ticket ID,Created At,Subject,Description,Plan,Channel,URL\n"
    "4311,2026-03-02T09:14:00Z,Receipt scan wrong total,"
    '"Took a photo of a $48.20 lunch receipt and it saved $4,820.",Starter,email,'
    "https://help.example.com/t/4311\n"
    '4312,2026-03-03 16:40,Bank feed disconnected,"Chase keeps asking me to reconnect.\n'
    'Every few days.",Pro,chat,\n'
    "4313,2026-03-05,Export for my accountant,"
    "Where is the CSV export? My accountant needs it by Friday.,Starter,email,"
    "javascript:alert(1)\n"
)

TRANSCRIPT_VTT = """\
WEBVTT

00:00:01.000 --> 00:00:04.000
<v Interviewer>How do you keep track of receipts today?

00:00:04.500 --> 00:00:11.000
<v Maria Lopez>Honestly? A shoebox. I photograph them on Sunday night and hope for the best.

00:00:11.500 --> 00:00:14.000
<v Interviewer>What happens at tax time?

00:00:14.500 --> 00:00:22.000
<v Maria Lopez>Panic. My accountant sends me a list of what is missing and I dig through the box.
"""

TRANSCRIPT_TXT = """\
Interview with Dev, finance lead
Facilitator: Walk me through your month end.
Dev: I export everything to a spreadsheet first, because I do not trust the categories.
Then I fix them by hand.
Facilitator: How long does that take?
Dev: Two evenings, at least.
"""

USAGE_CSV = """\
period,metric,value,segment
2026-02,weekly active users,1234,Starter
2026-02,receipts scanned per user,12.5,Pro
2026-Q1,exports to CSV,87,Starter
"""


def upload(api, user, content, fmt, *, slug="acme", name="file.csv", **fields):
    # These tests are not about segments: new ones may be created (see test_import_segments).
    fields.setdefault("create_segments", "true")
    data = content.encode() if isinstance(content, str) else content
    file = io.BytesIO(data)
    file.name = name
    return api(user).post(
        f"/api/v1/workspaces/{slug}/imports/",
        {"file": file, "format": fmt, **fields},
        format="multipart",
    )


def test_a_researcher_imports_a_support_export(api, rita):
    response = upload(api, rita, SUPPORT_CSV, "support_csv", name="zendesk-2026-03.csv")
    assert response.status_code == 201, response.data
    assert response.data["created"] == 3
    assert response.data["skipped"] == 0
    source = Source.objects.get(pk=response.data["source"])
    assert source.kind == "support_ticket"
    assert len(source.import_key) == 64
    tickets = {item.external_key: item for item in Evidence.objects.filter(source=source)}
    assert set(tickets) == {"4311", "4312", "4313"}
    first = tickets["4311"]
    assert first.text.startswith("Receipt scan wrong total")
    assert "$4,820" in first.text
    assert first.collected_on.isoformat() == "2026-03-02"
    assert first.segment.name == "Starter"
    assert first.url == "https://help.example.com/t/4311"
    assert tickets["4313"].url == ""
    assert set(Segment.objects.values_list("name", flat=True)) == {"Starter", "Pro"}


def test_it_imports_a_vtt_transcript_without_the_interviewer(api, rita):
    response = upload(
        api, rita, TRANSCRIPT_VTT, "transcript", name="maria-2026-02-11.vtt", segment="Freelancers"
    )
    assert response.status_code == 201, response.data
    assert response.data["created"] == 2
    items = list(Evidence.objects.order_by("locator"))
    assert [item.participant for item in items] == ["Maria Lopez", "Maria Lopez"]
    assert items[0].locator == "00:00:04.500"
    assert items[0].collected_on.isoformat() == "2026-02-11"
    assert all(item.segment.name == "Freelancers" for item in items)
    source = items[0].source
    assert source.kind == "interview"
    assert source.segment.name == "Freelancers"


def test_a_text_transcript_names_turns_by_line_and_takes_the_given_date(api, rita):
    response = upload(
        api, rita, TRANSCRIPT_TXT, "transcript", name="dev.txt", collected_on="2026-01-20"
    )
    assert response.status_code == 201, response.data
    items = list(Evidence.objects.order_by("id"))
    assert [(item.participant, item.locator) for item in items] == [
        ("Dev", "line 3"),
        ("Dev", "line 6"),
    ]
    assert "fix them by hand" in items[0].text
    assert {item.collected_on.isoformat() for item in items} == {"2026-01-20"}


def test_the_interviewer_field_names_who_asked(api, rita):
    transcript = "Sam: What slows you down?\nAna: Matching payments to invoices.\n"
    response = upload(api, rita, transcript, "transcript", name="ana.txt", interviewer="Sam")
    assert response.status_code == 201, response.data
    assert list(Evidence.objects.values_list("participant", flat=True)) == ["Ana"]


def test_it_imports_usage_data_as_sentences(api, rita):
    response = upload(api, rita, USAGE_CSV, "usage_csv", name="usage.csv")
    assert response.status_code == 201, response.data
    assert response.data["created"] == 3
    item = Evidence.objects.get(text__contains="weekly active users")
    assert "1,234" in item.text
    assert item.collected_on.isoformat() == "2026-02-28"
    assert item.source.kind == "usage_data"
    quarter = Evidence.objects.get(text__contains="exports to CSV")
    assert quarter.collected_on.isoformat() == "2026-03-31"


def test_importing_the_same_file_again_creates_nothing(api, rita):
    first = upload(api, rita, SUPPORT_CSV, "support_csv")
    again = upload(api, rita, SUPPORT_CSV, "support_csv")
    assert again.status_code == 201
    assert (again.data["created"], again.data["skipped"]) == (0, 3)
    assert again.data["source"] == first.data["source"]
    assert Evidence.objects.count() == 3
    assert Source.objects.count() == 1


def test_a_later_export_skips_the_tickets_already_imported(api, rita):
    upload(api, rita, SUPPORT_CSV, "support_csv")
    later = SUPPORT_CSV + "4314,2026-03-09,Mileage,Can it log my trips from GPS?,Pro,email,\n"
    response = upload(api, rita, later, "support_csv", name="zendesk-later.csv")
    assert (response.data["created"], response.data["skipped"]) == (1, 3)
    assert Evidence.objects.count() == 4


def test_the_same_transcript_twice_is_skipped_but_another_interview_is_not(api, rita):
    upload(api, rita, TRANSCRIPT_TXT, "transcript", name="dev.txt")
    again = upload(api, rita, TRANSCRIPT_TXT, "transcript", name="dev.txt")
    assert (again.data["created"], again.data["skipped"]) == (0, 2)
    other = upload(api, rita, TRANSCRIPT_TXT + "Dev: One more thing.\n", "transcript")
    assert other.data["created"] == 3


def test_a_malformed_file_changes_nothing_and_names_the_line(api, rita):
    broken = SUPPORT_CSV + "4315,03/04/2026,Ambiguous date,Which month is this?,Pro,email,\n"
    response = upload(api, rita, broken, "support_csv")
    assert response.status_code == 400
    assert response.data["line"] == 6  # the quoted newline in ticket 4312 takes a line
    assert response.data["detail"].startswith("line 6:")
    assert "03/04/2026" in response.data["detail"]
    assert Evidence.objects.count() == 0
    assert Source.objects.count() == 0
    assert Segment.objects.count() == 0


def test_a_file_without_the_needed_columns_is_refused_at_the_header(api, rita):
    response = upload(api, rita, "name,email\nAna,ana@example.com\n", "support_csv")
    assert response.status_code == 400
    assert response.data["line"] == 1
    assert "missing column" in response.data["detail"]


def test_a_binary_file_is_refused(api, rita):
    response = upload(api, rita, b"PK\x03\x04\x00\x00binary", "usage_csv", name="usage.xlsx")
    assert response.status_code == 400
    assert "spreadsheet" in response.data["detail"]


def test_a_file_over_the_limit_gets_413(api, rita, settings):
    settings.IMPORT_MAX_BYTES = 200
    response = upload(api, rita, SUPPORT_CSV, "support_csv")
    assert response.status_code == 413
    assert response.data["code"] == "too_large"
    assert response.data["limit"] == 200
    assert Evidence.objects.count() == 0


def test_a_body_far_over_the_limit_is_refused_before_it_is_read(api, rita, settings):
    settings.IMPORT_MAX_BYTES = 1000
    response = upload(api, rita, "x" * 200_000, "support_csv")
    assert response.status_code == 413


def test_a_file_at_the_limit_is_accepted(api, rita, settings):
    settings.IMPORT_MAX_BYTES = len(USAGE_CSV.encode())
    assert upload(api, rita, USAGE_CSV, "usage_csv").status_code == 201


def test_an_unknown_format_is_a_field_error(api, rita):
    response = upload(api, rita, SUPPORT_CSV, "xlsx")
    assert response.status_code == 400
    assert "format" in response.data


def test_editors_may_not_import(api, bob):
    assert upload(api, bob, SUPPORT_CSV, "support_csv").status_code == 403
    assert Evidence.objects.count() == 0


def test_outsiders_get_404_even_for_huge_files(api, mallory, settings, workspace):
    settings.IMPORT_MAX_BYTES = 10
    assert upload(api, mallory, SUPPORT_CSV, "support_csv").status_code == 404


def test_imports_are_not_map_events(api, rita, empathy_map):
    upload(api, rita, SUPPORT_CSV, "support_csv")
    empathy_map.refresh_from_db()
    assert empathy_map.seq == 0


def test_the_command_imports_through_the_same_service(rita, tmp_path):
    path = tmp_path / "tickets.csv"
    path.write_text(SUPPORT_CSV)
    out = io.StringIO()
    call_command(
        "import_evidence",
        str(path),
        workspace="acme",
        fmt="support_csv",
        user="rita",
        create_segments=True,
        stdout=out,
    )
    assert "created 3, skipped 0" in out.getvalue()
    assert "embedded 3 evidence item(s)" in out.getvalue()
    assert not Evidence.objects.filter(workspace__slug="acme", embedding__isnull=True).exists()
    out = io.StringIO()
    call_command(
        "import_evidence", str(path), workspace="acme", fmt="support_csv", user="rita", stdout=out
    )
    assert "created 0, skipped 3" in out.getvalue()


def test_the_command_reports_the_bad_line_and_fails(rita, tmp_path):
    path = tmp_path / "usage.csv"
    path.write_text("period,metric,value\n2026-02,active users,lots\n")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_evidence",
            str(path),
            workspace="acme",
            fmt="usage_csv",
            user="rita",
            stderr=err,
        )
    assert f"{path}:2: line 2:" in err.getvalue()
    assert Evidence.objects.count() == 0


# The parser engineer's realistic files, end to end through the API ----------------------------


def upload_file(api, user, name, fmt, **fields):
    return upload(api, user, (FILES / name).read_bytes(), fmt, name=name, **fields)


@pytest.mark.parametrize(
    ("name", "fmt", "kind", "created"),
    [
        ("support_export.csv", "support_csv", "support_ticket", 15),
        ("support_semicolon.csv", "support_csv", "support_ticket", 3),
        ("support_tab.tsv", "support_csv", "support_ticket", 2),
        ("support_minimal.csv", "support_csv", "support_ticket", 2),
        ("2026-03-04-maria.srt", "transcript", "interview", 3),
        ("2026-09-14-interview-dana.vtt", "transcript", "interview", 4),
        ("workshop-northwind-finance.txt", "transcript", "interview", 3),
        ("usage_metrics.csv", "usage_csv", "usage_data", 7),
    ],
)
def test_every_realistic_file_imports_once(api, rita, name, fmt, kind, created):
    response = upload_file(api, rita, name, fmt)
    assert response.status_code == 201, response.data
    assert (response.data["created"], response.data["skipped"]) == (created, 0)
    assert set(Evidence.objects.values_list("source__kind", flat=True)) == {kind}
    again = upload_file(api, rita, name, fmt)
    assert (again.data["created"], again.data["skipped"]) == (0, created)
    assert Evidence.objects.count() == created


def test_the_support_export_keeps_segments_dates_and_safe_links(api, rita):
    upload_file(api, rita, "support_export.csv", "support_csv")
    assert set(Segment.objects.values_list("name", flat=True)) == {
        "Self-serve",
        "Enterprise",
        "Team",
    }
    ticket = Evidence.objects.get(external_key="4104")
    assert ticket.text.startswith("=HYPERLINK(")
    assert ticket.url == ""
    assert ticket.collected_on.isoformat() == "2026-03-03"
    assert Evidence.objects.get(external_key="4102").collected_on.isoformat() == "2026-03-02"


def test_the_transcript_date_comes_from_the_file_name(api, rita):
    upload_file(api, rita, "2026-09-14-interview-dana.vtt", "transcript")
    assert set(Evidence.objects.values_list("collected_on", flat=True)) == {
        date.fromisoformat("2026-09-14")
    }


@pytest.mark.parametrize(
    ("name", "fmt", "line"),
    [
        ("support_bad_date.csv", "support_csv", 7),
        ("support_empty_text.csv", "support_csv", 3),
        ("support_missing_columns.csv", "support_csv", 1),
        ("usage_bad_period.csv", "usage_csv", 2),
        ("usage_bad_value.csv", "usage_csv", 3),
        ("interviewer_only.vtt", "transcript", None),
    ],
)
def test_every_malformed_file_is_refused_whole(api, rita, name, fmt, line):
    response = upload_file(api, rita, name, fmt)
    assert response.status_code == 400, response.data
    assert response.data["line"] == line
    assert response.data["detail"]
    if line is not None:
        assert response.data["detail"].startswith(f"line {line}:")
    assert (Evidence.objects.count(), Source.objects.count(), Segment.objects.count()) == (0, 0, 0)


def test_a_future_date_is_refused_everywhere_evidence_is_dated(api, rita, workspace):
    future = "2099-01-01"
    client = api(rita)
    response = client.post(
        "/api/v1/sources/",
        {"workspace": "acme", "kind": "survey", "title": "NPS", "collected_on": future},
        format="json",
    )
    assert response.status_code == 400
    assert "in the future" in str(response.data["collected_on"])
    source = client.post(
        "/api/v1/sources/", {"workspace": "acme", "kind": "survey", "title": "NPS"}, format="json"
    ).data
    response = client.post(
        "/api/v1/evidence/",
        {"source": source["id"], "text": "Loves it", "collected_on": future},
        format="json",
    )
    assert response.status_code == 400
    assert "collected_on" in response.data
    response = upload(
        api, rita, "Priya: I close the books on day five.\n", "transcript", collected_on=future
    )
    assert response.status_code == 400
    assert "collected_on" in response.data
    assert Evidence.objects.count() == 0


# A transcript's own date ---------------------------------------------------------------------


def test_the_northwind_workshop_is_dated_by_its_header_not_today(api, rita):
    response = upload_file(api, rita, "workshop-northwind-finance.txt", "transcript")
    assert response.status_code == 201, response.data
    assert response.data["date_source"] == "header"
    assert response.data["collected_on"] == "2026-05-20"
    assert response.data["warnings"] == []
    assert set(Evidence.objects.values_list("collected_on", flat=True)) == {date(2026, 5, 20)}
    assert Source.objects.get().collected_on == date(2026, 5, 20)


def test_the_collected_on_field_wins_over_the_header(api, rita):
    response = upload_file(
        api, rita, "workshop-northwind-finance.txt", "transcript", collected_on="2026-06-01"
    )
    assert (response.data["date_source"], response.data["collected_on"]) == (
        "field",
        "2026-06-01",
    )


def test_a_transcript_without_any_date_is_dated_today_with_a_warning(api, rita):
    response = upload(api, rita, TRANSCRIPT_TXT, "transcript", name="dev.txt")
    assert response.data["date_source"] == "today"
    assert response.data["collected_on"] == date.today().isoformat()  # noqa: DTZ011
    [warning] = response.data["warnings"]
    assert "dated today" in warning


def test_csv_rows_keep_their_own_dates(api, rita):
    response = upload(api, rita, USAGE_CSV, "usage_csv")
    assert (response.data["date_source"], response.data["collected_on"]) == ("rows", None)


# Malformed cue timings -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timing", "name"),
    [
        ("00:01:06.980 --> 00:01:1O.100", "t.vtt"),
        ("00:01:06.980 00:01:10.100", "t.vtt"),
        ("00:01:10.000 --> 00:01:06.000", "t.vtt"),
    ],
)
def test_a_malformed_vtt_timing_is_refused_whole_naming_the_line(api, rita, timing, name):
    text = TRANSCRIPT_VTT + f"\n{timing}\n<v Maria Lopez>And then I give up.\n"
    response = upload(api, rita, text, "transcript", name=name)
    assert response.status_code == 400
    assert response.data["line"] == 15
    assert response.data["detail"].startswith("line 15:")
    assert (Evidence.objects.count(), Source.objects.count()) == (0, 0)


def test_a_bad_srt_cue_number_is_refused_naming_the_line(api, rita):
    text = (FILES / "2026-03-04-maria.srt").read_text().replace("\n3\n", "\nthree\n", 1)
    response = upload(api, rita, text, "transcript", name="maria.srt")
    assert response.status_code == 400
    assert response.data["line"] == 10
    assert "cue number" in response.data["detail"]
    assert Evidence.objects.count() == 0


# Segments ------------------------------------------------------------------------------------

NEAR_DUPLICATE = """\
period,metric,value,segment
2026-02,weekly active users,1234,Enterprise
2026-02,receipts scanned per user,12.5,enterprise  Finance
2026-03,weekly active users,1300,Enterprise
"""


@pytest.fixture
def finance(workspace):
    return SegmentFactory(workspace=workspace, name="Enterprise finance")


def segment_names():
    return set(Segment.objects.values_list("name", flat=True))


def test_a_new_segment_is_not_created_without_asking(api, rita, finance):
    response = upload(api, rita, NEAR_DUPLICATE, "usage_csv", create_segments="false")
    assert response.status_code == 400
    assert response.data["code"] == "new_segments"
    assert response.data["new_segments"] == ["Enterprise"]
    assert response.data["line"] is None
    assert "Enterprise" in response.data["detail"]
    assert (Evidence.objects.count(), Source.objects.count()) == (0, 0)
    assert segment_names() == {"Enterprise finance"}


def test_names_match_existing_segments_ignoring_case_and_spaces(api, rita, finance):
    text = "period,metric,value,segment\n2026-02,active users,12,ENTERPRISE   finance\n"
    response = upload(api, rita, text, "usage_csv", create_segments="false")
    assert response.status_code == 201, response.data
    assert Evidence.objects.get().segment == finance
    assert segment_names() == {"Enterprise finance"}


def test_a_new_name_can_be_mapped_to_an_existing_segment(api, rita, finance):
    response = upload(
        api,
        rita,
        NEAR_DUPLICATE,
        "usage_csv",
        create_segments="false",
        segment_map='{"enterprise": "Enterprise Finance"}',
    )
    assert response.status_code == 201, response.data
    assert response.data["segments_created"] == []
    assert set(Evidence.objects.values_list("segment", flat=True)) == {finance.pk}
    assert segment_names() == {"Enterprise finance"}


def test_new_segments_are_created_when_the_request_allows_it(api, rita, finance):
    response = upload(api, rita, NEAR_DUPLICATE, "usage_csv", create_segments="true")
    assert response.data["segments_created"] == ["Enterprise"]
    assert segment_names() == {"Enterprise finance", "Enterprise"}
    assert Evidence.objects.filter(segment=finance).count() == 1


def test_support_exports_ask_about_new_segments_too(api, rita, finance):
    response = upload(api, rita, SUPPORT_CSV, "support_csv", create_segments="false")
    assert response.status_code == 400
    assert response.data["new_segments"] == ["Starter", "Pro"]
    mapped = upload(
        api,
        rita,
        SUPPORT_CSV,
        "support_csv",
        create_segments="false",
        segment_map='{"Starter": "Enterprise finance", "Pro": "Enterprise finance"}',
    )
    assert mapped.status_code == 201
    assert segment_names() == {"Enterprise finance"}


@pytest.mark.parametrize(
    ("segment_map", "words"),
    [('{"Enterprise": "Nowhere"}', "not a segment"), ("{not json", "JSON"), ("[1]", "object")],
)
def test_a_bad_segment_map_is_a_field_error(api, rita, finance, segment_map, words):
    response = upload(api, rita, NEAR_DUPLICATE, "usage_csv", segment_map=segment_map)
    assert response.status_code == 400
    assert words in str(response.data["segment_map"])
    assert response.data["line"] is None
    assert Evidence.objects.count() == 0


def test_the_command_refuses_new_segments_unless_told(rita, finance, tmp_path):
    path = tmp_path / "usage.csv"
    path.write_text(NEAR_DUPLICATE)
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_evidence", str(path), workspace="acme", fmt="usage_csv", user="rita", stderr=err
        )
    assert "“Enterprise”" in err.getvalue()
    assert "--segment-map" in err.getvalue()
    assert Evidence.objects.count() == 0
    out = io.StringIO()
    call_command(
        "import_evidence",
        str(path),
        workspace="acme",
        fmt="usage_csv",
        user="rita",
        segment_map=[("Enterprise", "enterprise finance")],
        stdout=out,
    )
    assert "created 3" in out.getvalue()
    assert segment_names() == {"Enterprise finance"}


# Skipping bad rows ---------------------------------------------------------------------------

WITH_BAD_ROWS = """\
Ticket ID,Created At,Subject,Plan
5001,2026-03-02,Receipt scan wrong total,Starter
5002,03/04/2026,Ambiguous date,Ghost plan
5003,2026-03-04,,Ghost plan
5004,2026-03-05,Bank feed disconnected,Starter
"""


def test_by_default_one_bad_row_refuses_the_whole_export(api, rita):
    response = upload(api, rita, WITH_BAD_ROWS, "support_csv")
    assert response.status_code == 400
    assert response.data["line"] == 3
    assert (Evidence.objects.count(), Source.objects.count(), Segment.objects.count()) == (0, 0, 0)


def test_skip_mode_imports_the_good_rows_and_nothing_else_in_one_result(api, rita):
    response = upload(api, rita, WITH_BAD_ROWS, "support_csv", on_error="skip")
    assert response.status_code == 201, response.data
    assert (response.data["created"], response.data["skipped"]) == (2, 0)
    assert response.data["rejected"] == [
        {"line": 3, "reason": 'Created At "03/04/2026" is not a date (use YYYY-MM-DD)'},
        {"line": 4, "reason": "Subject is empty"},
    ]
    assert sorted(Evidence.objects.values_list("external_key", flat=True)) == ["5001", "5004"]
    assert Source.objects.count() == 1
    # The rejected rows' segment was never created, although new segments were allowed.
    assert segment_names() == {"Starter"}


def test_skip_mode_is_still_atomic_when_the_import_is_refused(api, rita, finance):
    response = upload(
        api, rita, WITH_BAD_ROWS, "support_csv", on_error="skip", create_segments="false"
    )
    assert response.status_code == 400
    assert response.data["new_segments"] == ["Starter"]
    assert (Evidence.objects.count(), Source.objects.count()) == (0, 0)


def test_on_error_takes_only_stop_or_skip(api, rita):
    response = upload(api, rita, SUPPORT_CSV, "support_csv", on_error="maybe")
    assert response.status_code == 400
    assert "on_error" in response.data
    assert response.data["line"] is None


# The item cap --------------------------------------------------------------------------------


def test_an_import_past_the_item_cap_is_refused_naming_the_limit(api, rita, settings):
    settings.IMPORT_MAX_ITEMS = 2
    response = upload(api, rita, USAGE_CSV, "usage_csv")
    assert response.status_code == 400
    assert response.data["code"] == "too_many_items"
    assert response.data["limit"] == 2
    assert response.data["line"] == 4
    assert "IMPORT_MAX_ITEMS" in response.data["detail"]
    assert Evidence.objects.count() == 0
    settings.IMPORT_MAX_ITEMS = 3
    assert upload(api, rita, USAGE_CSV, "usage_csv").status_code == 201


def test_one_import_schedules_embedding_once_with_ids_only(
    api, rita, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        upload(api, rita, USAGE_CSV, "usage_csv")
    assert len(callbacks) == 1


def test_the_schema_describes_the_new_fields_and_the_400_line(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    operation = schema["paths"]["/api/v1/workspaces/{slug}/imports/"]["post"]
    request = operation["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"]
    fields = schema["components"]["schemas"][request.rsplit("/", 1)[1]]["properties"]
    assert {"on_error", "segment_map", "create_segments"} <= set(fields)
    error = operation["responses"]["400"]["content"]["application/json"]["schema"]["$ref"]
    body = schema["components"]["schemas"][error.rsplit("/", 1)[1]]["properties"]
    assert {"detail", "code", "line", "new_segments", "limit"} <= set(body)
    report = operation["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
    result = schema["components"]["schemas"][report.rsplit("/", 1)[1]]["properties"]
    assert {"date_source", "collected_on", "warnings", "rejected"} <= set(result)
