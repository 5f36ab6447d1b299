"""The contract's status table as a pure function, row by row, and its properties."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from research.status import (
    ASSUMPTION,
    CONTESTED,
    STALE,
    SUPPORTED,
    LinkFact,
    compute_status,
)

TODAY = date(2026, 6, 30)
WINDOW = 180


def link(stance="supports", age=10, kind="interview", segment=1):
    return LinkFact(stance, TODAY - timedelta(days=age), kind, segment)


def status_of(*links, shelf_life=None):
    return compute_status(list(links), today=TODAY, freshness_days=WINDOW, shelf_life=shelf_life)


def test_no_links_is_an_assumption():
    result = status_of()
    assert result.status == ASSUMPTION
    assert result.narrow is False
    assert result.fresh_until is None


def test_only_stale_contradictions_is_still_an_assumption():
    assert status_of(link("contradicts", age=400)).status == ASSUMPTION


def test_a_fresh_contradiction_contests_even_fresh_support():
    result = status_of(link("supports", age=1), link("contradicts", age=5))
    assert result.status == CONTESTED
    assert (result.supports, result.contradicts) == (1, 1)


def test_a_fresh_contradiction_without_support_is_contested():
    assert status_of(link("contradicts", age=0)).status == CONTESTED


def test_support_that_has_all_expired_is_stale():
    assert status_of(link(age=181), link(age=500)).status == STALE


def test_stale_support_with_a_stale_contradiction_is_stale():
    assert status_of(link(age=300), link("contradicts", age=300)).status == STALE


def test_one_fresh_support_is_supported():
    result = status_of(link(age=400), link(age=30))
    assert result.status == SUPPORTED
    assert result.fresh_until == TODAY - timedelta(days=30) + timedelta(days=WINDOW)


def test_the_window_edge_is_still_fresh():
    assert status_of(link(age=WINDOW)).status == SUPPORTED
    assert status_of(link(age=WINDOW + 1)).status == STALE
    assert status_of(link("contradicts", age=WINDOW)).status == CONTESTED
    assert status_of(link("contradicts", age=WINDOW + 1)).status == ASSUMPTION


def test_a_shelf_life_per_source_kind_overrides_the_window():
    usage = link(age=100, kind="usage_data")
    assert status_of(usage).status == SUPPORTED
    assert status_of(usage, shelf_life={"usage_data": 90}).status == STALE
    interview = link(age=300, kind="interview")
    assert status_of(interview).status == STALE
    result = status_of(interview, shelf_life={"interview": 365})
    assert result.status == SUPPORTED
    assert result.fresh_until == TODAY - timedelta(days=300) + timedelta(days=365)


def test_support_from_one_segment_and_one_kind_is_narrow():
    assert status_of(link(segment=1), link(segment=1)).narrow is True
    assert status_of(link(segment=None)).narrow is True
    assert status_of(link(segment=1), link(segment=None)).narrow is True


def test_support_from_two_segments_or_two_kinds_is_not_narrow():
    assert status_of(link(segment=1), link(segment=2)).narrow is False
    assert status_of(link(kind="survey"), link(kind="interview")).narrow is False


def test_contradictions_do_not_count_towards_breadth():
    assert status_of(link(segment=1), link("contradicts", segment=2, kind="survey")).narrow is True


links_strategy = st.lists(
    st.builds(
        LinkFact,
        stance=st.sampled_from(["supports", "contradicts"]),
        collected_on=st.dates(min_value=date(2020, 1, 1), max_value=date(2027, 12, 31)),
        source_kind=st.sampled_from(["interview", "survey", "usage_data", "support_ticket"]),
        segment_id=st.one_of(st.none(), st.integers(1, 4)),
    ),
    max_size=12,
)
shelf_strategy = st.dictionaries(
    st.sampled_from(["interview", "survey", "usage_data"]), st.integers(1, 800), max_size=3
)


@given(
    links=links_strategy,
    today=st.dates(min_value=date(2021, 1, 1), max_value=date(2027, 1, 1)),
    window=st.integers(1, 1000),
    shelf=shelf_strategy,
)
def test_the_status_follows_the_table(links, today, window, shelf):
    result = compute_status(links, today=today, freshness_days=window, shelf_life=shelf)

    def fresh(fact):
        return fact.collected_on >= today - timedelta(days=shelf.get(fact.source_kind, window))

    supports = [f for f in links if f.stance == "supports"]
    contradicts = [f for f in links if f.stance == "contradicts"]
    if any(fresh(f) for f in contradicts):
        expected = CONTESTED
    elif not supports:
        expected = ASSUMPTION
    elif not any(fresh(f) for f in supports):
        expected = STALE
    else:
        expected = SUPPORTED
    assert result.status == expected
    assert (result.supports, result.contradicts) == (len(supports), len(contradicts))
    assert result.narrow is (
        bool(supports)
        and len({f.source_kind for f in supports}) == 1
        and len({f.segment_id for f in supports} - {None}) <= 1
    )
    assert (result.fresh_until is not None) == bool(supports)
    if any(fresh(f) for f in supports):
        assert result.fresh_until >= today
    elif supports:
        assert result.fresh_until < today  # the day it went stale is the day after


@given(links=links_strategy)
def test_order_of_links_does_not_matter(links):
    forward = compute_status(links, today=TODAY, freshness_days=WINDOW)
    backward = compute_status(list(reversed(links)), today=TODAY, freshness_days=WINDOW)
    assert forward == backward


@given(links=links_strategy, extra=st.integers(0, 400))
def test_adding_fresh_support_never_makes_a_note_an_assumption_or_stale(links, extra):
    fresh_support = LinkFact("supports", TODAY - timedelta(days=min(extra, WINDOW)), "survey", 1)
    result = compute_status([*links, fresh_support], today=TODAY, freshness_days=WINDOW)
    assert result.status in (SUPPORTED, CONTESTED)


def test_a_stale_note_says_the_day_it_went_stale():
    # Fresh for WINDOW days after collection: stale from the day after the freshest one ends.
    result = status_of(link(age=WINDOW + 10), link(age=WINDOW + 3))
    assert result.status == STALE
    # The contract: fresh_until is in the past for a stale note, the day before it went stale.
    assert result.fresh_until == result.stale_since - timedelta(days=1)
    assert result.stale_since == TODAY - timedelta(days=WINDOW + 3) + timedelta(days=WINDOW + 1)
    assert result.stale_since == TODAY - timedelta(days=2)


def test_only_a_stale_note_has_a_stale_since():
    assert status_of(link(age=10)).stale_since is None
    assert status_of(link("contradicts", age=10), link(age=WINDOW + 3)).stale_since is None
    assert status_of().stale_since is None
