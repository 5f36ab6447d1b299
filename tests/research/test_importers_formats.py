"""The importers' newer rules: a transcript's own date, strict cue timings, the item cap,
skipping bad rows and matching segment names. Parsing only, no database."""

from datetime import date
from pathlib import Path

import pytest

from research.importers import (
    ImportFormatError,
    TooManyItems,
    parse_import,
    parse_transcript,
    plan_segments,
    read_day,
    segment_key,
)
from research.importers.dates import AmbiguousDate
from research.importers.segments import UnknownMappedSegment

DATA = Path(__file__).resolve().parent.parent / "data" / "imports"
TODAY = date(2026, 11, 26)
MAY_20 = date(2026, 5, 20)


def transcript(text: str, filename: str = "interview.txt", **kwargs):
    kwargs.setdefault("collected_on", None)
    return parse_transcript(
        text.encode(),
        filename=filename,
        interviewer=kwargs.pop("interviewer", ""),
        today=TODAY,
        **kwargs,
    )


def refused(text: str, filename: str, **kwargs) -> ImportFormatError:
    with pytest.raises(ImportFormatError) as caught:
        transcript(text, filename, **kwargs)
    return caught.value


# A transcript's own date -------------------------------------------------------------------


def test_the_northwind_workshop_is_dated_by_its_header():
    data = (DATA / "workshop-northwind-finance.txt").read_bytes()
    parsed = parse_transcript(
        data,
        filename="workshop-northwind-finance.txt",
        collected_on=None,
        interviewer="",
        today=TODAY,
    )
    assert (parsed.date_source, parsed.source_collected_on) == ("header", MAY_20)
    assert {item.collected_on for item in parsed.items} == {MAY_20}
    assert parsed.warnings == []


@pytest.mark.parametrize(
    "value",
    [
        "20 May 2026",
        "May 20, 2026",
        "May 20 2026",
        "20th May 2026",
        "Wednesday, 20 May 2026",
        "Wed 20 May 2026 14:00 CET",
        "20 May 2026, 10:30",
        "20-May-2026",
        "20 mai 2026".replace("mai", "May"),
        "2026-05-20",
        "2026-05-20T09:30:00Z",
        "2026-05-20 09:30",
        "2026/05/20",
        "20/05/2026",
        "20.05.2026",
        "20-05-2026",
        "05/20/2026",
    ],
)
def test_it_reads_real_world_header_dates(value):
    assert read_day(value) == MAY_20
    assert transcript(f"Date: {value}\nPriya: We close in five days.\n").source_collected_on == (
        MAY_20
    )


@pytest.mark.parametrize(
    ("header", "filename"),
    [
        ("Date: 20 May 2026\nModerator: Alex\n\n", "workshop.txt"),
        ("Recorded: 2026-05-20\n", "call.txt"),
        ("Recorded on: May 20, 2026\n", "call.txt"),
        ("Interview date - 20/05/2026\n", "call.txt"),
        ("---\ntitle: Month end\ndate: 2026-05-20\n---\n", "call.txt"),
        ("Session date: 20 May 2026\nParticipant: Priya\n", "call.txt"),
    ],
)
def test_text_transcripts_take_the_date_from_their_header_or_front_matter(header, filename):
    parsed = transcript(header + "Interviewer: How do you close?\nPriya: In five days.\n", filename)
    assert (parsed.source_collected_on, parsed.date_source) == (MAY_20, "header")
    assert [item.participant for item in parsed.items] == ["Priya"]


@pytest.mark.parametrize(
    "head",
    [
        "WEBVTT\n\nNOTE Recorded on 20 May 2026\n\n",
        "WEBVTT\n\nNOTE\nDate: 20/05/2026\nParticipant: Priya\n\n",
        "WEBVTT\nKind: captions\nDate: May 20, 2026\n\n",
        "WEBVTT - 20 May 2026\n\n",
    ],
)
def test_webvtt_transcripts_take_the_date_from_their_header_or_notes(head):
    parsed = transcript(head + "00:00:01.000 --> 00:00:04.000\n<v Priya>Five days.\n", "p.vtt")
    assert (parsed.source_collected_on, parsed.date_source) == (MAY_20, "header")


@pytest.mark.parametrize(
    "head", ["---\ndate: 2026-05-20\n---\n\n", "Date: 20 May 2026\nParticipant: Priya\n\n"]
)
def test_srt_transcripts_take_the_date_from_their_front_matter(head):
    parsed = transcript(head + "1\n00:00:01,000 --> 00:00:04,000\nPriya: Five days.\n", "p.srt")
    assert (parsed.source_collected_on, parsed.date_source) == (MAY_20, "header")
    assert parsed.items[0].locator == "00:00:01.000"


def test_the_field_wins_over_the_header_and_the_header_over_the_file_name():
    text = "Date: 20 May 2026\nPriya: Five days.\n"
    march = date(2026, 3, 1)
    given = transcript(text, "2026-01-02-call.txt", collected_on=march)
    assert (given.source_collected_on, given.date_source) == (march, "field")
    from_header = transcript(text, "2026-01-02-call.txt")
    assert (from_header.source_collected_on, from_header.date_source) == (MAY_20, "header")
    from_name = transcript("Priya: Five days.\n", "2026-01-02-call.txt")
    assert (from_name.source_collected_on, from_name.date_source) == (date(2026, 1, 2), "file_name")


def test_without_any_date_it_falls_back_to_today_with_a_warning():
    parsed = transcript("Priya: Five days.\n", "call.txt")
    assert (parsed.source_collected_on, parsed.date_source) == (TODAY, "today")
    [warning] = parsed.warnings
    assert "dated today (2026-11-26)" in warning


@pytest.mark.parametrize("value", ["03/04/2026", "04.03.2026", "11-12-2026"])
def test_a_date_that_reads_both_ways_is_not_guessed(value):
    with pytest.raises(AmbiguousDate):
        read_day(value)
    parsed = transcript(f"Date: {value}\nPriya: Five days.\n", "call-2026-02-01.txt")
    assert (parsed.source_collected_on, parsed.date_source) == (date(2026, 2, 1), "file_name")
    assert "could be day or month first" in parsed.warnings[0]


@pytest.mark.parametrize(
    ("value", "warnings"),
    [("May 2026", 2), ("20 May", 2), ("20/05/26", 2), ("next Tuesday", 1), ("by Sam", 1)],
)
def test_a_header_date_without_day_month_and_year_is_not_used(value, warnings):
    assert read_day(value) is None
    parsed = transcript(f"Date: {value}\nPriya: Five days.\n", "call.txt")
    assert parsed.date_source == "today"
    # The fall back to today; before it, a word about a header date with numbers in it.
    assert len(parsed.warnings) == warnings


def test_a_date_inside_the_interview_is_not_the_header():
    parsed = transcript("Priya: Five days.\nDate: 20 May 2026\n", "call.txt")
    assert parsed.date_source == "today"


# Cue timings -------------------------------------------------------------------------------

VTT_OK = "WEBVTT\n\n00:01:02.000 --> 00:01:06.000\n<v Priya>We close in five days.\n\n"
SRT_OK = "1\n00:01:02,000 --> 00:01:06,000\nPriya: We close in five days.\n\n"


@pytest.mark.parametrize(
    ("text", "filename", "line", "words"),
    [
        (VTT_OK + "00:01:06.980 --> 00:01:1O.100\n<v Priya>Then chase.\n", "t.vtt", 6, "malformed"),
        (VTT_OK + "00:01:06.980 -> 00:01:10.100\n<v Priya>Then.\n", "t.vtt", 6, "no '-->'"),
        (VTT_OK + "00:01:06.980 00:01:10.100\n<v Priya>Then.\n", "t.vtt", 6, "no '-->'"),
        (VTT_OK + "00:01:10.000 --> 00:01:06.000\n<v Priya>Then.\n", "t.vtt", 6, "ends"),
        (VTT_OK + "00:01:61.000 --> 00:01:62.000\n<v Priya>Then.\n", "t.vtt", 6, "60 or more"),
        (VTT_OK + "c2\n00:01:06.980 --> 00:01:1O.100\n<v Priya>Then.\n", "t.vtt", 7, "malformed"),
        (SRT_OK + "2x\n00:01:07,000 --> 00:01:10,000\nPriya: Then.\n", "t.srt", 5, "number"),
        (SRT_OK + "2\n00:01:07,000 --> 00:01:1O,000\nPriya: Then.\n", "t.srt", 6, "malformed"),
        (SRT_OK + "2\n00:01:07,000 00:01:10,000\nPriya: Then.\n", "t.srt", 6, "no '-->'"),
        (SRT_OK + "2\n00:01:10,000 --> 00:01:07,000\nPriya: Then.\n", "t.srt", 6, "ends"),
    ],
)
def test_a_malformed_cue_timing_refuses_the_file_naming_its_line(text, filename, line, words):
    error = refused(text, filename)
    assert error.line == line
    assert error.detail.startswith(f"line {line}: ")
    assert words in error.detail


def test_well_formed_cues_still_import():
    assert len(transcript(VTT_OK, "t.vtt").items) == 1
    assert len(transcript(SRT_OK, "t.srt").items) == 1


# The item cap ------------------------------------------------------------------------------


def test_a_csv_past_the_cap_is_refused_at_the_first_row_too_many():
    rows = "".join(f"{n},2026-03-02,Ticket {n}\n" for n in range(1, 6))
    data = ("id,created,subject\n" + rows).encode()
    assert len(parse_import("support_csv", data, filename="t.csv", today=TODAY, max_items=5).items)
    with pytest.raises(TooManyItems) as caught:
        parse_import("support_csv", data, filename="t.csv", today=TODAY, max_items=4)
    assert caught.value.line == 6
    assert caught.value.limit == 4
    assert "at most 4" in caught.value.detail


def test_the_parse_stops_at_the_cap_without_reading_further():
    # A broken row after the cap is never reached: the cap is what the file is refused for.
    data = b"period,metric,value\n2026-01,a,1\n2026-02,b,2\n2026-03,c,3\nnot a period,d,x\n"
    with pytest.raises(TooManyItems):
        parse_import("usage_csv", data, filename="u.csv", today=TODAY, max_items=2)


@pytest.mark.parametrize(
    ("text", "filename"),
    [
        ("".join(f"P{n}: Turn {n}.\n" for n in range(5)), "t.txt"),
        (
            "WEBVTT\n\n"
            + "".join(f"00:00:0{n}.000 --> 00:00:0{n}.500\n<v P{n}>Hi.\n\n" for n in range(5)),
            "t.vtt",
        ),
        (
            "".join(f"{n}\n00:00:0{n},000 --> 00:00:0{n},500\nP{n}: Hi.\n\n" for n in range(1, 6)),
            "t.srt",
        ),
    ],
)
def test_a_transcript_past_the_cap_is_refused(text, filename):
    with pytest.raises(TooManyItems):
        transcript(text, filename, max_items=4)
    assert len(transcript(text, filename, max_items=5).items) == 5


@pytest.mark.parametrize(
    ("cue", "filename"),
    [
        ("00:00:0{n}.000 --> 00:00:0{n}.500\n<v P{n}>Hi.\n\n", "t.vtt"),
        ("{n}\n00:00:0{n},000 --> 00:00:0{n},500\nP{n}: Hi.\n\n", "t.srt"),
    ],
)
def test_a_transcript_is_read_only_up_to_the_cap(cue, filename):
    # A malformed timing after the cap is never reached.
    cues = "".join(cue.format(n=n) for n in range(1, 5)) + cue.format(n=5).replace(":0", ":O", 1)
    with pytest.raises(TooManyItems):
        transcript(cues, filename, max_items=2)
    with pytest.raises(ImportFormatError, match="malformed"):
        transcript(cues, filename, max_items=10)


def test_the_interviewers_turns_do_not_count_towards_the_cap():
    text = "Interviewer: Q1\nPriya: A1\nInterviewer: Q2\nPriya: A2\n"
    assert len(transcript(text, "t.txt", max_items=2).items) == 2


# Skipping bad rows -------------------------------------------------------------------------

SUPPORT = (
    "id,created,subject\n"
    "1,2026-03-02,Fine\n"
    "2,03/04/2026,Ambiguous date\n"
    "3,2026-03-04,\n"
    "4,2099-01-01,From the future\n"
    "5,2026-03-05,Also fine\n"
)


def test_by_default_one_bad_row_refuses_the_file():
    with pytest.raises(ImportFormatError) as caught:
        parse_import("support_csv", SUPPORT.encode(), filename="t.csv", today=TODAY)
    assert caught.value.line == 3


def test_skip_mode_keeps_the_good_rows_and_lists_the_bad_ones():
    parsed = parse_import(
        "support_csv", SUPPORT.encode(), filename="t.csv", today=TODAY, on_error="skip"
    )
    assert [item.external_key for item in parsed.items] == ["1", "5"]
    assert [(row.line, row.reason) for row in parsed.rejected] == [
        (3, 'created "03/04/2026" is not a date (use YYYY-MM-DD)'),
        (4, "subject is empty"),
        (5, "the date 2099-01-01 is in the future"),
    ]


def test_skip_mode_still_refuses_a_broken_file_structure():
    data = b'id,created,subject\n1,2026-03-02,"never closed\n'
    with pytest.raises(ImportFormatError):
        parse_import("support_csv", data, filename="t.csv", today=TODAY, on_error="skip")
    with pytest.raises(ImportFormatError, match="missing column"):
        parse_import("usage_csv", b"a,b\n1,2\n", filename="u.csv", today=TODAY, on_error="skip")


def test_skip_mode_lists_bad_usage_rows():
    data = b"period,metric,value\n2026-01,a,1\n2026-13,b,2\n2026-02,c,lots\n"
    parsed = parse_import("usage_csv", data, filename="u.csv", today=TODAY, on_error="skip")
    assert len(parsed.items) == 1
    assert [row.line for row in parsed.rejected] == [3, 4]


# Segment names -----------------------------------------------------------------------------


def test_segment_names_match_ignoring_case_and_spaces():
    assert segment_key("enterprise  Finance ") == segment_key("Enterprise finance")
    plan = plan_segments(["enterprise  Finance", "Self-serve"], existing=["Enterprise finance"])
    assert plan.names[segment_key("Enterprise finance")] == "Enterprise finance"
    assert plan.unresolved == ["Self-serve"]
    assert plan.create == []


def test_new_segment_names_are_mapped_or_created_only_when_asked():
    names = ["Enterprise", "enterprise", "Team"]
    mapped = plan_segments(
        names, existing=["Enterprise finance"], segment_map={"ENTERPRISE": "enterprise finance"}
    )
    assert mapped.names[segment_key("Enterprise")] == "Enterprise finance"
    assert mapped.unresolved == ["Team"]
    created = plan_segments(names, existing=["Enterprise finance"], create=True)
    assert created.create == ["Enterprise", "Team"]
    assert created.unresolved == []


def test_a_map_to_a_segment_that_does_not_exist_is_refused():
    with pytest.raises(UnknownMappedSegment):
        plan_segments(["Enterprise"], existing=["Team"], segment_map={"Enterprise": "Nope"})
