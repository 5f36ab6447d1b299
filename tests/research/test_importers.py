"""The parsing layer of evidence imports: bytes in, plain data out, no database."""

import hashlib
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from research.importers import (
    FORMATS,
    ImportFormatError,
    ParsedFile,
    csv_safe,
    decode_text,
    parse_date,
    parse_import,
    parse_period,
    parse_support_csv,
    parse_transcript,
    parse_usage_csv,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "imports"
TODAY = date(2026, 11, 1)


def fixture(name: str) -> bytes:
    return (DATA / name).read_bytes()


def support(name: str) -> ParsedFile:
    return parse_support_csv(fixture(name), filename=name)


def transcript(name: str, *, collected_on=None, interviewer: str = "") -> ParsedFile:
    return parse_transcript(
        fixture(name),
        filename=name,
        collected_on=collected_on,
        interviewer=interviewer,
        today=TODAY,
    )


def text_transcript(text: str, *, filename: str = "notes.txt", interviewer: str = ""):
    return parse_transcript(
        text.encode(),
        filename=filename,
        collected_on=None,
        interviewer=interviewer,
        today=TODAY,
    )


def import_error(parse, *args, **kwargs) -> ImportFormatError:
    with pytest.raises(ImportFormatError) as caught:
        parse(*args, **kwargs)
    return caught.value


def by_key(parsed: ParsedFile) -> dict:
    return {item.external_key: item for item in parsed.items}


# --- decoding -------------------------------------------------------------------------------


def test_it_decodes_utf8_with_and_without_a_byte_order_mark():
    assert decode_text("Zoë 🙏".encode()) == "Zoë 🙏"
    assert decode_text(b"\xef\xbb\xbf" + "Zoë 🙏".encode()) == "Zoë 🙏"


def test_it_falls_back_to_windows_1252():
    assert decode_text("Müller: “Préférence” – 12 €".encode("cp1252")) == (
        "Müller: “Préférence” – 12 €"
    )


def test_it_decodes_utf16_only_with_its_byte_order_mark():
    assert decode_text("Zoë\tMüller".encode("utf-16")) == "Zoë\tMüller"


def test_it_normalises_newlines():
    assert decode_text(b"a\r\nb\rc\nd") == "a\nb\nc\nd"


def test_it_refuses_binary_data():
    error = import_error(decode_text, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00")
    assert "binary" in error.detail
    assert error.line is None


def test_it_refuses_a_spreadsheet_saved_as_xlsx():
    error = import_error(decode_text, b"PK\x03\x04\x14\x00\x06\x00rest-of-zip")
    assert "export it as CSV" in error.detail


def test_it_refuses_bytes_that_are_neither_utf8_nor_windows_1252():
    error = import_error(decode_text, b"caf\x81\x8d")
    assert "neither UTF-8 nor Windows-1252" in error.detail


TEXT = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs",),
        blacklist_characters="\r\x00\x01\x02\x03\x04\x05\x06\x07\x08"
        "\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f",
    )
).filter(lambda text: not text.startswith("\ufeff"))


@given(TEXT)
def test_decoding_utf8_round_trips(text):
    assert decode_text(text.encode("utf-8")) == text
    assert decode_text(b"\xef\xbb\xbf" + text.encode("utf-8")) == text


@given(TEXT)
def test_decoding_turns_every_newline_convention_into_line_feeds(text):
    assert decode_text(text.replace("\n", "\r\n").encode()) == text
    assert decode_text(text.replace("\n", "\r").encode()) == text


CP1252_TEXT = st.text(
    alphabet=st.sampled_from(list("abc xyz,;\n\t\"'=-") + list("éüÄÖßçøñ€“”–—…™œŒ"))
)


@given(CP1252_TEXT)
def test_decoding_windows_1252_round_trips_when_the_bytes_are_not_utf8(text):
    data = text.encode("cp1252")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        assert decode_text(data) == text
    else:
        assert decode_text(data) == data.decode("utf-8")


# --- csv_safe -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+33 6 12", "'+33 6 12"),
        ("-1 from our team", "'-1 from our team"),
        ("@mentions are broken", "'@mentions are broken"),
        ("\tindented", "'\tindented"),
        ("\rreturn", "'\rreturn"),
        ("plain text", "plain text"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (-5, "-5"),
        (12.5, "12.5"),
        (date(2026, 3, 4), "2026-03-04"),
    ],
)
def test_csv_safe_prefixes_only_text_a_spreadsheet_would_run(value, cell):
    assert csv_safe(value) == cell


@given(st.text())
def test_csv_safe_never_starts_a_cell_with_a_formula_character(text):
    cell = csv_safe(text)
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert cell in (text, "'" + text)
    if cell != text:
        assert text[0] in "=+-@\t\r"


# --- support tickets ------------------------------------------------------------------------


def test_it_reads_a_support_export_with_bom_crlf_accents_and_emoji():
    parsed = support("support_export.csv")

    assert parsed.source_kind == "support_ticket"
    assert parsed.source_title == "Support tickets: support_export.csv"
    assert parsed.source_key == hashlib.sha256(fixture("support_export.csv")).hexdigest()
    assert parsed.source_collected_on == date(2026, 3, 12)
    assert len(parsed.items) == 15
    first = parsed.items[0]
    assert first.external_key == "4101"
    assert first.text == (
        "Export to Excel loses accents. When I export the report, names like José and Zoë "
        "come out as JosÃ©."
    )
    assert first.collected_on == date(2026, 3, 2)
    assert first.segment == "Self-serve"
    assert first.locator == "ticket 4101 (email)"
    assert first.url == "https://support.example.com/tickets/4101"
    assert first.line == 2
    assert (
        by_key(parsed)["4109"].text
        == "Sharing with guests. Guests can't see the linked evidence 😕"
    )


def test_it_keeps_a_quoted_multi_line_body_and_counts_physical_lines():
    items = by_key(support("support_export.csv"))

    assert items["4103"].text == (
        "Bulk edit please. We have 400 cards to re-tag.\n"
        "Doing it one by one takes our team a whole afternoon.\n"
        "Is there a bulk edit?"
    )
    assert items["4103"].line == 4
    # The body above spans lines 4 to 6, and line 8 is blank.
    assert items["4104"].line == 7
    assert items["4105"].line == 9
    assert items["4115"].line == 19


def test_it_leaves_spreadsheet_formulas_in_the_parsed_text():
    items = by_key(support("support_export.csv"))

    assert items["4104"].text.startswith('=HYPERLINK("http://evil.example","click")')
    assert items["4114"].text.startswith("Comment mentions. @mentions")
    assert items["4115"].text.startswith("-1 from our team.")


def test_it_keeps_only_web_addresses():
    items = by_key(support("support_export.csv"))

    assert items["4104"].url == ""  # javascript:alert(1)
    assert items["4102"].url == ""


def test_it_uses_the_body_alone_or_the_subject_alone():
    items = by_key(support("support_export.csv"))

    assert items["4106"].text == "Only a body here — no subject."
    assert items["4107"].text == "Only a subject here"
    assert items["4111"].text == "Dark mode? Would love a dark mode for late shifts 🌙"


def test_it_reads_every_accepted_date_form_in_the_export():
    items = by_key(support("support_export.csv"))

    assert items["4101"].collected_on == date(2026, 3, 2)  # ISO with Z
    assert items["4102"].collected_on == date(2026, 3, 2)  # space, offset
    assert items["4104"].collected_on == date(2026, 3, 3)  # DD.MM.YYYY
    assert items["4105"].collected_on == date(2026, 3, 4)  # YYYY/MM/DD
    # The date as written, not shifted to UTC (16:20+05:30 is 10:50 UTC, the same day anyway).
    assert items["4106"].collected_on == date(2026, 3, 4)


def test_it_reads_a_semicolon_export_with_aliased_headers():
    parsed = support("support_semicolon.csv")

    assert [item.external_key for item in parsed.items] == ["A-1", "A-2", "A-3"]
    first, second, third = parsed.items
    assert (
        first.text == "Preis zu hoch. Der Preis von 12,50 € pro Sitz ist zu hoch, sagt der Einkauf."
    )
    assert first.segment == "Team"
    assert second.text == "Export. Mehrzeilig;\nmit Semikolon"
    assert third.line == 5
    assert third.segment == ""
    assert third.text.startswith("Übersetzung.")


def test_it_follows_excels_sep_hint():
    data = b"sep=;\nid;date;subject\n7;2026-04-01;Semicolons, with commas\n"

    [item] = parse_support_csv(data, filename="hinted.csv").items

    assert item.text == "Semicolons, with commas"
    assert item.line == 3


def test_it_reads_a_windows_1252_export():
    text = (
        "Ticket ID;Date;Subject;Body\n9;2026-04-09;Prüfung;Le résumé est illisible, dit Müller.\n"
    )

    [item] = parse_support_csv(text.encode("cp1252"), filename="export-1252.csv").items

    assert item.text == "Prüfung. Le résumé est illisible, dit Müller."


def test_it_reads_a_tab_separated_export():
    parsed = support("support_tab.tsv")

    assert [item.text for item in parsed.items] == [
        "Tabs, commas; all fine. A body, with commas; and semicolons",
        "Second. Another body",
    ]
    assert parsed.items[0].segment == "Team"
    assert parsed.items[1].collected_on == date(2026, 5, 2)


def test_it_falls_back_to_a_content_hash_without_an_id_column():
    parsed = support("support_minimal.csv")

    # The second and third rows are the same ticket: one item.
    assert [item.line for item in parsed.items] == [2, 3]
    assert all(item.external_key.startswith("row:") for item in parsed.items)
    assert parsed.items[0].locator == "line 2"
    assert parsed.items[0].segment == ""
    assert by_key(support("support_minimal.csv")) == by_key(parsed)


def test_it_matches_headers_ignoring_case_spaces_and_underscores():
    data = (
        b" TICKET_ID , Created_At ,Title, MESSAGE ,customer segment,Channel,Url\n"
        b"55,2026-01-05,Hello,World,Team,chat,http://example.com/55\n"
    )

    [item] = parse_support_csv(data, filename="x.csv").items

    assert item.external_key == "55"
    assert item.text == "Hello. World"
    assert item.segment == "Team"
    assert item.locator == "ticket 55 (chat)"
    assert item.url == "http://example.com/55"


@pytest.mark.parametrize(
    ("header", "field"),
    [("ticket", "id"), ("created", "date"), ("date", "date"), ("plan", "segment")],
)
def test_it_knows_the_common_header_aliases(header, field):
    headers = {"id": "id", "date": "created_at", "segment": "segment"}
    headers[field] = header
    data = f"{headers['id']},{headers['date']},body,{headers['segment']}\n1,2026-01-01,Hi,Pro\n"

    [item] = parse_support_csv(data.encode(), filename="x.csv").items

    assert (item.external_key, item.collected_on, item.segment) == ("1", date(2026, 1, 1), "Pro")


def test_it_names_the_physical_line_of_a_bad_date_after_a_quoted_newline():
    error = import_error(support, "support_bad_date.csv")

    assert error.line == 7
    assert error.detail == 'line 7: created "31/31/2025" is not a date (use YYYY-MM-DD)'


@pytest.mark.parametrize(
    ("written", "day"),
    [
        ("2026-03-04", date(2026, 3, 4)),
        ("2026-03-04T09:15", date(2026, 3, 4)),
        ("2026-03-04T09:15:00Z", date(2026, 3, 4)),
        ("2026-03-04 09:15:00", date(2026, 3, 4)),
        ("2026-03-04T23:30:00.123456-08:00", date(2026, 3, 4)),
        ("2026-03-04 09:15:00 UTC", date(2026, 3, 4)),
        ("2026/03/04", date(2026, 3, 4)),
        ("2026/3/4 09:15", date(2026, 3, 4)),
        ("04.03.2026", date(2026, 3, 4)),
        ("4.3.2026 09:15", date(2026, 3, 4)),
    ],
)
def test_it_accepts_unambiguous_dates(written, day):
    assert parse_date(written) == day


@pytest.mark.parametrize(
    "written",
    ["03/04/2026", "31/12/2026", "2026-02-30", "2026-13-01", "2026-03-04T25:00", "March 4", ""],
)
def test_it_refuses_ambiguous_or_impossible_dates(written):
    assert parse_date(written) is None


def test_it_refuses_a_ticket_with_neither_subject_nor_body():
    error = import_error(support, "support_empty_text.csv")

    assert error.line == 3
    assert error.detail == "line 3: subject and body are both empty"


def test_it_refuses_a_ticket_without_a_date():
    data = b"id,created,body\n1,,Hello\n"

    error = import_error(parse_support_csv, data, filename="x.csv")

    assert (error.line, error.detail) == (2, "line 2: created is empty")


def test_it_names_missing_columns_and_the_headers_it_found():
    error = import_error(support, "support_missing_columns.csv")

    assert error.line == 1
    assert "subject or body" in error.detail
    assert "created" in error.detail
    assert error.detail.endswith("Found: Ticket, When, Summary")


def test_it_needs_only_a_date_and_a_subject_or_a_body():
    parsed = parse_support_csv(b"date,subject\n2026-01-01,Only subjects\n", filename="x.csv")

    assert parsed.items[0].text == "Only subjects"


def test_it_skips_fully_blank_rows():
    data = b"id,created,body\n\n1,2026-01-01,One\n,,\n  ,\t,  \n2,2026-01-02,Two\n\n"

    parsed = parse_support_csv(data, filename="x.csv")

    assert [(item.external_key, item.line) for item in parsed.items] == [("1", 3), ("2", 6)]


def test_it_refuses_a_row_with_more_values_than_headers():
    data = b"id,created,body\n1,2026-01-01,Hello, world\n"

    error = import_error(parse_support_csv, data, filename="x.csv")

    assert error.line == 2
    assert "4 values but the header has 3" in error.detail


def test_it_refuses_an_unclosed_quote():
    data = b'id,created,body\n1,2026-01-01,fine\n2,2026-01-02,"never closed\n3,2026-01-03,x\n'

    error = import_error(parse_support_csv, data, filename="x.csv")

    assert error.line == 3
    assert "never closed" in error.detail


def test_it_refuses_the_same_ticket_id_with_different_content():
    data = b"id,created,body\n1,2026-01-01,One\n1,2026-01-01,Another\n"

    error = import_error(parse_support_csv, data, filename="x.csv")

    assert error.line == 3
    assert "line 2" in error.detail


def test_it_refuses_evidence_longer_than_the_limit():
    data = b"id,created,body\n1,2026-01-01," + b"x" * 10_001 + b"\n"

    error = import_error(parse_support_csv, data, filename="x.csv")

    assert error.line == 2
    assert "10,000" in error.detail


def test_it_refuses_a_header_without_tickets():
    error = import_error(parse_support_csv, b"id,created,body\n\n", filename="x.csv")

    assert "no tickets" in error.detail


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"  \r\n\r\n"])
def test_it_refuses_an_empty_file(data):
    error = import_error(parse_support_csv, data, filename="x.csv")

    assert "empty" in error.detail


def test_it_uses_only_the_name_of_an_uploaded_path():
    parsed = parse_support_csv(b"date,body\n2026-01-01,x\n", filename="C:\\Users\\me\\t.csv")

    assert parsed.source_title == "Support tickets: t.csv"


# --- transcripts ----------------------------------------------------------------------------


def test_it_reads_a_webvtt_interview():
    parsed = transcript("2026-09-14-interview-dana.vtt")

    assert parsed.source_kind == "interview"
    assert parsed.source_title == "Interview: 2026-09-14-interview-dana.vtt"
    assert parsed.source_collected_on == date(2026, 9, 14)
    assert [(item.participant, item.locator, item.line) for item in parsed.items] == [
        ("Dana Whitfield", "00:00:06.000", 11),
        ("Dana Whitfield", "00:00:18.500", 23),
        ("Sam Okafor", "00:00:23.500", 27),
        ("", "00:01:02.500", 31),
    ]
    assert all(item.collected_on == date(2026, 9, 14) for item in parsed.items)


def test_it_merges_consecutive_cues_of_one_speaker_and_strips_tags():
    dana = transcript("2026-09-14-interview-dana.vtt").items[0]

    assert dana.text == (
        "Honestly, I dread it. I export everything to Excel first. "
        "Then I spend about two hours fixing the accents & the dates."
    )


def test_it_reads_voices_with_classes_and_multi_line_cues():
    second = transcript("2026-09-14-interview-dana.vtt").items[1]

    assert second.text == "Every single month. It's the worst part of my job."


def test_it_keeps_cues_without_a_speaker_as_evidence():
    last = transcript("2026-09-14-interview-dana.vtt").items[-1]

    assert (last.participant, last.text) == ("", 'And the export button is hidden under "More".')


def test_it_keys_turns_by_locator_and_a_hash_of_participant_and_text():
    item = transcript("2026-09-14-interview-dana.vtt").items[2]
    digest = hashlib.sha1(
        f"{item.participant}\n{item.text}".encode(), usedforsecurity=False
    ).hexdigest()[:12]

    assert item.external_key == f"00:00:23.500:{digest}"
    assert transcript("2026-09-14-interview-dana.vtt").items[2].external_key == item.external_key


def test_it_splits_a_cue_with_two_voices():
    data = "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n<v Ana>Yes.</v> <v Bo>No way.</v>\n"

    parsed = text_transcript(data, filename="two.vtt")

    assert [(item.participant, item.text, item.locator) for item in parsed.items] == [
        ("Ana", "Yes.", "00:00:01.000"),
        ("Bo", "No way.", "00:00:01.000"),
    ]


def test_it_reads_speaker_prefixes_inside_vtt_cues():
    data = (
        "WEBVTT\n\n1\n00:00:01.000 --> 00:00:03.000\nInterviewer: Why?\n\n"
        "2\n00:00:04.000 --> 00:00:06.000\nMaria Lopez: Because the export breaks.\n"
    )

    [item] = text_transcript(data, filename="zoom.vtt").items

    assert (item.participant, item.text) == ("Maria Lopez", "Because the export breaks.")


def test_it_reads_an_srt_interview_and_skips_the_named_interviewer():
    parsed = transcript("2026-03-04-maria.srt", interviewer="sam")

    assert parsed.source_collected_on == date(2026, 3, 4)
    assert [(item.participant, item.locator, item.line) for item in parsed.items] == [
        ("Maria", "00:00:04.500", 5),
        ("Maria", "00:01:02.500", 18),
    ]
    assert parsed.items[0].text == (
        'I dig through three folders. Usually it\'s in the one called "final-final". '
        "Sometimes I just ask Tom."
    )
    assert parsed.items[1].text == "Never. But he pretends to."


def test_it_keeps_a_speaker_who_was_not_named_as_interviewer():
    parsed = transcript("2026-03-04-maria.srt")

    assert [item.participant for item in parsed.items] == ["Maria", "Sam", "Maria"]


def test_it_reads_a_plain_text_interview_with_a_moderator():
    parsed = transcript("workshop-northwind-finance.txt")

    assert [(item.participant, item.locator, item.line) for item in parsed.items] == [
        ("Priya", "line 7", 7),
        ("Tom", "line 10", 10),
        ("Priya Raman (Finance)", "line 12", 12),
    ]
    assert parsed.items[0].text == (
        "We close in five days, but three of them are spent chasing receipts. "
        "It is mostly the sales team who forget."
    )
    assert parsed.items[1].text == "I'd disagree a bit: sales submit them, the app just loses them."


def test_it_dates_a_transcript_from_the_field_then_the_header_the_file_name_and_today():
    march = date(2026, 3, 1)

    assert (
        transcript("2026-09-14-interview-dana.vtt", collected_on=march).items[0].collected_on
        == march
    )
    assert transcript("2026-09-14-interview-dana.vtt").source_collected_on == date(2026, 9, 14)
    northwind = transcript("workshop-northwind-finance.txt")
    assert (northwind.source_collected_on, northwind.date_source) == (date(2026, 5, 20), "header")
    assert {item.collected_on for item in northwind.items} == {date(2026, 5, 20)}
    undated = text_transcript("Ana: hi", filename="call-2026-02-30.txt")
    assert (undated.source_collected_on, undated.date_source) == (TODAY, "today")
    assert "dated today" in undated.warnings[0]


@pytest.mark.parametrize(
    "interviewer_line",
    [
        "Interviewer: So?",
        "interviewer: So?",
        "Interviewer (Sam): So?",
        "Moderator: So?",
        "Facilitator 2: So?",
        "Sam (Interviewer): So?",
    ],
)
def test_it_skips_speakers_named_for_the_interviewer_role(interviewer_line):
    parsed = text_transcript(f"{interviewer_line}\nAna: It works.\n")

    assert [item.participant for item in parsed.items] == ["Ana"]


def test_it_matches_the_interviewer_field_ignoring_case_and_spacing():
    text = "Sam  Lee: Why?\nAna: Because.\nsam lee: And then?\nBo: Then nothing.\n"

    parsed = text_transcript(text, interviewer=" SAM LEE ")

    assert [item.participant for item in parsed.items] == ["Ana", "Bo"]


def test_it_appends_continuation_lines_and_ignores_the_preamble():
    text = (
        "Notes from the call\nDate: 2026-05-20\n\n"
        "Ana: First line\nsecond line\n\nthird paragraph\nBo: Hi\n"
    )

    parsed = text_transcript(text)

    assert [(item.participant, item.text, item.line) for item in parsed.items] == [
        ("Ana", "First line second line third paragraph", 4),
        ("Bo", "Hi", 8),
    ]


def test_it_does_not_take_a_sentence_or_an_address_for_a_speaker():
    text = "Ana: Look at this\nThe thing is: it fails\nhttps://example.com/page\n"

    [item] = text_transcript(text).items

    assert item.text == "Look at this The thing is: it fails https://example.com/page"


def test_it_refuses_a_transcript_with_only_the_interviewer():
    error = import_error(transcript, "interviewer_only.vtt")

    assert "no participant turns" in error.detail
    assert "Moderator" in error.detail


def test_it_refuses_plain_text_without_speakers():
    error = import_error(text_transcript, "Just some notes.\nNo speakers here.\n")

    assert "no speaker turns" in error.detail


def test_it_refuses_a_vtt_file_without_cues():
    error = import_error(text_transcript, "WEBVTT\n", filename="empty.vtt")

    assert "no cues" in error.detail


def test_it_names_the_line_of_a_block_without_timing():
    data = "1\n00:00:01,000 --> 00:00:02,000\nAna: Hi\n"

    error = import_error(text_transcript, "garbage here\n\n" + data, filename="bad.srt")

    assert error.line == 1
    assert "00:01:02,500 --> 00:01:05,000" in error.detail


def test_it_detects_cues_in_a_file_named_txt():
    data = "WEBVTT\n\n00:01:02.500 --> 00:01:04.000\n<v Ana>From a .txt</v>\n"

    [item] = text_transcript(data, filename="export.txt").items

    assert (item.participant, item.locator) == ("Ana", "00:01:02.500")


def test_it_normalises_short_cue_times():
    data = "WEBVTT\n\n01:02.5 --> 01:04.000\n<v Ana>Short</v>\n"

    [item] = text_transcript(data, filename="short.vtt").items

    assert item.locator == "00:01:02.500"


# --- usage data -----------------------------------------------------------------------------


def test_it_reads_usage_rows_as_sentences():
    parsed = parse_usage_csv(fixture("usage_metrics.csv"), filename="usage_metrics.csv")

    assert parsed.source_kind == "usage_data"
    assert parsed.source_title == "Usage data: usage_metrics.csv"
    assert [item.text for item in parsed.items] == [
        "In March 2026, Self-serve: weekly active teams was 1,234.",
        "In Q1 2026, Self-serve: trial to paid conversion was 12.5%.",
        "From 1 March 2026 to 31 March 2026, boards created was 5,210.",
        "From 1 March 2026 to 15 March 2026, Enterprise: support tickets per 100 accounts was 3.4.",
        "In the week of 2 March 2026, Team: median seconds to first note was 42.",
        "On 15 March 2026, exports to CSV was 87.",
        "In 2026, Enterprise: net revenue retention was 108%.",
    ]
    assert [item.collected_on for item in parsed.items] == [
        date(2026, 3, 31),
        date(2026, 3, 31),
        date(2026, 3, 31),
        date(2026, 3, 15),
        date(2026, 3, 8),
        date(2026, 3, 15),
        date(2026, 12, 31),
    ]
    first = parsed.items[0]
    assert first.external_key == "2026-03|weekly active teams|Self-serve"
    assert (first.segment, first.locator, first.line) == ("Self-serve", "line 2", 2)
    assert parsed.items[2].segment == ""


@pytest.mark.parametrize(
    ("period", "end"),
    [
        ("2026-02", date(2026, 2, 28)),
        ("2028-02", date(2028, 2, 29)),
        ("2026-12", date(2026, 12, 31)),
        ("2026-Q4", date(2026, 12, 31)),
        ("2026-q2", date(2026, 6, 30)),
        ("2026-W01", date(2026, 1, 4)),
        ("2026-03-15", date(2026, 3, 15)),
        ("2026-03-01..2026-04-10", date(2026, 4, 10)),
        ("2026-03-01 / 2026-04-10", date(2026, 4, 10)),
    ],
)
def test_it_ends_each_period_on_its_last_day(period, end):
    assert parse_period(period).end == end


@pytest.mark.parametrize(
    "period",
    [
        "March 2026",
        "2026-13",
        "2026-00",
        "2026-W00",
        "2026-Q5",
        "2027-W53",
        "2026-04-01..2026-03-01",
        "03/2026",
    ],
)
def test_it_refuses_unknown_periods(period):
    assert parse_period(period) is None


def test_it_names_the_line_of_a_bad_value():
    error = import_error(parse_usage_csv, fixture("usage_bad_value.csv"), filename="u.csv")

    assert error.line == 3
    assert error.detail.startswith('line 3: value "n/a" is not a number')


def test_it_names_the_line_of_a_bad_period():
    error = import_error(parse_usage_csv, fixture("usage_bad_period.csv"), filename="u.csv")

    assert error.line == 2
    assert 'period "March 2026" is not a period' in error.detail


@pytest.mark.parametrize("value", ["12,5", "1.234,5", "abc", "", "1e3", "--3"])
def test_it_refuses_values_that_are_not_plain_numbers(value):
    data = f'period,metric,value\n2026-03,x,"{value}"\n'.encode()

    error = import_error(parse_usage_csv, data, filename="u.csv")

    assert error.line == 2


def test_it_needs_period_metric_and_value_columns():
    error = import_error(parse_usage_csv, b"period,metric\n2026-01,x\n", filename="u.csv")

    assert (error.line, error.detail) == (1, "line 1: missing column: value. Found: period, metric")


def test_it_refuses_two_values_for_one_period_metric_and_segment():
    data = b"period,metric,value\n2026-03,teams,1\n2026-03,teams,2\n"

    error = import_error(parse_usage_csv, data, filename="u.csv")

    assert error.line == 3


# --- dispatch -------------------------------------------------------------------------------


def test_it_dispatches_each_format():
    assert FORMATS == ("support_csv", "transcript", "usage_csv")
    kinds = {
        fmt: parse_import(fmt, fixture(name), filename=name, today=TODAY).source_kind
        for fmt, name in [
            ("support_csv", "support_export.csv"),
            ("transcript", "2026-03-04-maria.srt"),
            ("usage_csv", "usage_metrics.csv"),
        ]
    }

    assert kinds == {
        "support_csv": "support_ticket",
        "transcript": "interview",
        "usage_csv": "usage_data",
    }


def test_it_passes_the_date_and_the_interviewer_to_transcripts():
    parsed = parse_import(
        "transcript",
        fixture("2026-03-04-maria.srt"),
        filename="2026-03-04-maria.srt",
        collected_on=date(2026, 1, 2),
        interviewer="Sam",
        today=TODAY,
    )

    assert parsed.source_collected_on == date(2026, 1, 2)
    assert {item.participant for item in parsed.items} == {"Maria"}


def test_it_refuses_an_unknown_format():
    error = import_error(parse_import, "xlsx", b"x", filename="x.xlsx", today=TODAY)

    assert error.line is None
    assert "support_csv, transcript, usage_csv" in error.detail


def test_an_import_error_carries_its_line():
    error = ImportFormatError("something is wrong", line=4)

    assert (error.detail, error.line, str(error)) == (
        "line 4: something is wrong",
        4,
        "line 4: something is wrong",
    )
    assert isinstance(error, ValueError)


# --- robustness -----------------------------------------------------------------------------

CSV_ISH = st.text(alphabet=st.sampled_from(list('ab1-2026Q,;\t"\n\r :.%/=é')), max_size=200)
SUPPORT_HEADERS = st.sampled_from(["id,created,subject,body\n", "date;title;message\n", ""])
USAGE_HEADERS = st.sampled_from(["period,metric,value,segment\n", "period;metric;value\n", ""])
TRANSCRIPT_ISH = st.text(
    alphabet=st.sampled_from(list("WEBVT0123456789:.,-> \n<v/>Ana(I)ntervew")), max_size=300
)


def parses_or_explains(parse, data: bytes, **kwargs) -> None:
    try:
        parsed = parse(data, **kwargs)
    except ImportFormatError as error:
        assert error.detail
    else:
        assert parsed.items
        assert all(item.text and item.text == item.text.strip() for item in parsed.items)


@given(SUPPORT_HEADERS, CSV_ISH)
def test_any_support_file_parses_or_gets_a_readable_error(header, body):
    parses_or_explains(parse_support_csv, (header + body).encode(), filename="x.csv")


@given(USAGE_HEADERS, CSV_ISH)
def test_any_usage_file_parses_or_gets_a_readable_error(header, body):
    parses_or_explains(parse_usage_csv, (header + body).encode(), filename="x.csv")


@given(TRANSCRIPT_ISH, st.sampled_from(["t.vtt", "t.srt", "t.txt"]))
def test_any_transcript_parses_or_gets_a_readable_error(text, filename):
    parses_or_explains(
        parse_transcript,
        text.encode(),
        filename=filename,
        collected_on=None,
        interviewer="",
        today=TODAY,
    )


@given(st.binary(max_size=300), st.sampled_from(FORMATS))
def test_any_bytes_parse_or_get_a_readable_error(data, fmt):
    def parse(data, **kwargs):
        return parse_import(fmt, data, **kwargs)

    parses_or_explains(parse, data, filename="upload", today=TODAY)


# Dates in the future ----------------------------------------------------------------------

TODAY = date(2026, 11, 26)


def test_a_ticket_dated_in_the_future_is_refused_naming_its_line():
    data = b"id,created,subject\n1,2026-11-20,Fine\n2,2099-01-01,From the future\n"
    with pytest.raises(ImportFormatError) as caught:
        parse_import("support_csv", data, filename="t.csv", today=TODAY)
    assert caught.value.line == 3
    assert "2099-01-01 is in the future" in caught.value.detail


def test_a_days_grace_allows_tomorrow_for_time_zones():
    data = b"id,created,subject\n1,2026-11-27,Written in Auckland\n"
    parsed = parse_import("support_csv", data, filename="t.csv", today=TODAY)
    assert parsed.items[0].collected_on == date(2026, 11, 27)


def test_a_period_still_running_is_dated_today():
    data = b"period,metric,value\n2026,Active teams,120\n2026-11,Exports,45\n2026-10,Exports,40\n"
    parsed = parse_import("usage_csv", data, filename="u.csv", today=TODAY)
    assert [item.collected_on for item in parsed.items] == [
        TODAY,
        TODAY,
        date(2026, 10, 31),
    ]
    assert parsed.items[0].text == "In 2026, Active teams was 120."
    assert parsed.source_collected_on == TODAY


def test_a_period_that_has_not_started_is_refused():
    data = b"period,metric,value\n2026-10,Exports,40\n2027-Q1,Exports,45\n"
    with pytest.raises(ImportFormatError) as caught:
        parse_import("usage_csv", data, filename="u.csv", today=TODAY)
    assert caught.value.line == 3
    assert "the period 2027-01-01 to 2027-03-31 is in the future" in caught.value.detail


def test_a_transcript_dated_in_the_future_is_refused():
    data = b"Interviewer: Hi\nPriya: I close the books on day five.\n"
    with pytest.raises(ImportFormatError, match="the interview date 2030-01-01 is in the future"):
        parse_import(
            "transcript", data, filename="i.txt", collected_on=date(2030, 1, 1), today=TODAY
        )


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_named(encoding):
    data = "id,created,subject\n1,2026-01-02,Bank feed\n".encode(encoding)
    with pytest.raises(ImportFormatError, match="UTF-16 text without a byte-order mark"):
        decode_text(data)
