"""Measuring the drift radar on a labeled set (tests/data/drift/labeled.json; docs/drift.md).

Pure: it embeds the set's texts and runs the same functions `research.drift.map_drift` runs.
"""

import json
from dataclasses import dataclass
from pathlib import Path

from research import drift

LABELED = Path(__file__).resolve().parents[1] / "tests" / "data" / "drift" / "labeled.json"


@dataclass(frozen=True)
class DriftScores:
    likely_first: float  # share of note-labeled items whose first likely note is that note
    likely_top3: float
    themes_recovered: float  # share of themes matched by a group (see `recovered`)
    sections_right: float  # share of recovered themes given the labeled section
    spurious_groups: int  # groups that match no theme
    notes_items_in_themes: int  # note-labeled items wrongly put in an uncovered theme
    groups: list[list[int]]


def load(path: Path = LABELED):
    data = json.loads(path.read_text())
    note_texts = [note["text"] for note in data["notes"]]
    item_texts = [item["text"] for item in data["evidence"]]
    vectors = drift.text_vectors(note_texts + item_texts)
    notes = [
        drift.MapNote(note["id"], note["text"], note["section"], vector)
        for note, vector in zip(data["notes"], vectors[: len(note_texts)], strict=True)
    ]
    items = [
        drift.Item(item["id"], item["text"], vector)
        for item, vector in zip(data["evidence"], vectors[len(note_texts) :], strict=True)
    ]
    return data, notes, items


def recovered(theme_items: set[int], group: list[int]) -> bool:
    """A group recovers a theme when at least half the theme is in it and at least 3 of its
    4 members (75%) belong to the theme."""
    overlap = len(theme_items & set(group))
    return overlap * 2 >= len(theme_items) and overlap * 4 >= len(group) * 3


def evaluate(
    path: Path = LABELED,
    *,
    group_threshold: float = drift.GROUP_COSINE,
) -> DriftScores:
    data, notes, items = load(path)
    labels = {item["id"]: item for item in data["evidence"]}
    labeled = [item for item in items if labels[item.id].get("note")]
    first = top3 = 0
    for item in labeled:
        ranked = [likely.note for likely in drift.likely_notes(item, notes)]
        first += bool(ranked) and ranked[0] == labels[item.id]["note"]
        top3 += labels[item.id]["note"] in ranked
    themes = drift.uncovered_themes(
        items, notes, sections=data["sections"], group_threshold=group_threshold
    )
    notes_items_in_themes = sum(
        1 for theme in themes for item_id in theme.items if labels[item_id].get("note")
    )
    found = right = 0
    matched_groups = set()
    for theme in data["themes"]:
        members = {item["id"] for item in data["evidence"] if item.get("theme") == theme["id"]}
        for index, group in enumerate(themes):
            if recovered(members, group.items):
                found += 1
                right += group.section == theme["section"]
                matched_groups.add(index)
                break
    return DriftScores(
        likely_first=round(first / len(labeled), 3),
        likely_top3=round(top3 / len(labeled), 3),
        themes_recovered=round(found / len(data["themes"]), 3),
        sections_right=round(right / found, 3) if found else 0.0,
        spurious_groups=len(themes) - len(matched_groups),
        notes_items_in_themes=notes_items_in_themes,
        groups=[theme.items for theme in themes],
    )
