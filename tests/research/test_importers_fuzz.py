"""Fuzzing the parsers: whatever bytes or text arrive, each gives a parsed file or the
importers' own error (ImportFormatError, with a line that is in the file or None), never
another exception. Example counts are bounded so that this file runs in a few seconds."""

from datetime import date
from functools import partial

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from research.importers import (
    ImportFormatError,
    ParsedFile,
    parse_import,
    parse_support_csv,
    parse_transcript,
    parse_usage_csv,
)

TODAY = date(2026, 11, 26)
FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


def parses_or_refuses(parse, data: bytes, **kwargs) -> ParsedFile | None:
    try:
        parsed = parse(data, **kwargs)
    except ImportFormatError as error:
        assert error.detail
        if error.line is not None:
            assert 1 <= error.line <= data.count(b"\n") + data.count(b"\r") + 2
            assert error.detail.startswith(f"line {error.line}: ")
        return None
    assert isinstance(parsed, ParsedFile)
    for item in parsed.items:
        assert item.text and item.text == item.text.strip()
        assert item.line >= 1
    for row in parsed.rejected:
        assert row.line >= 1 and row.reason
    return parsed


def transcript(data: bytes, *, filename: str, **kwargs):
    return parse_transcript(
        data, filename=filename, collected_on=None, interviewer="", today=TODAY, **kwargs
    )


# Any bytes ---------------------------------------------------------------------------------


@FUZZ
@given(st.binary(max_size=400), st.booleans())
def test_any_bytes_as_a_support_export(data, skip):
    parses_or_refuses(parse_support_csv, data, filename="t.csv", skip_bad_rows=skip)


@FUZZ
@given(st.binary(max_size=400), st.booleans())
def test_any_bytes_as_usage_data(data, skip):
    parses_or_refuses(parse_usage_csv, data, filename="u.csv", skip_bad_rows=skip)


@FUZZ
@given(st.binary(max_size=400), st.sampled_from(["t.vtt", "t.srt", "t.txt", "2026-05-20.txt"]))
def test_any_bytes_as_a_transcript(data, filename):
    parses_or_refuses(transcript, data, filename=filename)


# Any text ----------------------------------------------------------------------------------

TEXT = st.text(max_size=300)


@FUZZ
@given(TEXT, st.sampled_from(["support_csv", "usage_csv", "transcript"]), st.booleans())
def test_any_text_through_parse_import(text, fmt, skip):
    def parse(data, **kwargs):
        return parse_import(fmt, data, on_error="skip" if skip else "stop", **kwargs)

    parses_or_refuses(parse, text.encode("utf-8", "surrogatepass"), filename="f", today=TODAY)


# Text shaped like each format, so the fuzzing reaches past the first check -----------------

STAMP = st.from_regex(r"\A(\d{1,2}:)?\d{1,2}:\d{1,2}([.,]\d{1,4})?\Z").filter(lambda s: len(s) < 20)
ARROW = st.sampled_from([" --> ", "-->", " -> ", " ", " --> ", " --> "])
WORDS = st.sampled_from(
    ["Ana: hi", "<v Bo>yes</v>", "Interviewer: why?", "NOTE Date: 20 May 2026", "x", "", "2"]
)


@st.composite
def cue_files(draw):
    kind = draw(st.sampled_from(["WebVTT", "SRT"]))
    lines = ["WEBVTT", ""] if kind == "WebVTT" else []
    for number in range(1, draw(st.integers(1, 6)) + 1):
        if kind == "SRT" or draw(st.booleans()):
            lines.append(draw(st.sampled_from([str(number), f"{number}a", "", "c"])))
        lines.append(draw(STAMP) + draw(ARROW) + draw(STAMP))
        lines += draw(st.lists(WORDS, max_size=3))
        lines.append("")
    return kind, "\n".join(lines)


@FUZZ
@given(cue_files())
def test_cue_shaped_text_parses_or_names_its_line(cue_file):
    kind, text = cue_file
    filename = "t.vtt" if kind == "WebVTT" else "t.srt"
    parses_or_refuses(transcript, text.encode(), filename=filename)


HEADERS = st.sampled_from(
    ["Date", "Recorded", "Interview date", "NOTE Recorded on", "Participant", "Title"]
)
DATES = st.one_of(
    st.dates().map(str),
    st.dates().map(lambda d: d.strftime("%d %B %Y")),
    st.dates().map(lambda d: d.strftime("%B %d, %Y")),
    st.dates().map(lambda d: d.strftime("%d/%m/%Y")),
    st.text(max_size=30),
)


@FUZZ
@given(HEADERS, DATES, st.lists(WORDS, max_size=5))
def test_any_header_date_parses_or_refuses(key, value, words):
    text = f"{key}: {value}\n" + "\n".join(words)
    parsed = parses_or_refuses(transcript, text.encode("utf-8", "surrogatepass"), filename="t.txt")
    if parsed is not None:
        assert parsed.date_source in ("header", "today")
        assert parsed.source_collected_on is not None


ROW = st.lists(
    st.one_of(st.text(max_size=12), st.sampled_from(["2026-03", "2026-03-02", "1,234", "12.5%"])),
    max_size=6,
)


@FUZZ
@given(st.lists(ROW, max_size=8), st.booleans(), st.integers(1, 5))
def test_csv_shaped_text_parses_or_refuses_within_the_cap(rows, skip, cap):
    body = "\n".join(",".join(cells) for cells in rows)
    for header in ("id,created,subject,segment", "period,metric,value,segment"):
        data = (header + "\n" + body).encode("utf-8", "surrogatepass")
        fmt = "support_csv" if header.startswith("id") else "usage_csv"
        parsed = parses_or_refuses(
            partial(parse_import, fmt),
            data,
            filename="f.csv",
            today=TODAY,
            max_items=cap,
            on_error="skip" if skip else "stop",
        )
        if parsed is not None:
            assert len(parsed.items) <= cap
