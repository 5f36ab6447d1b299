"""A whole map as JSON, CSV or Markdown: its live notes, their statuses and linked evidence.

The export lives in `research` because it reads links and evidence; it reaches the map's notes
and statuses through `maps.selectors`, like every other view of a map.
"""

import csv
import io

from django.utils import timezone

from maps import visibility
from maps.models import EmpathyMap
from maps.selectors import iso, map_notes, map_payload
from research.importers import csv_safe
from research.selectors import link_payload, links_with_evidence

FORMATS = ("json", "csv", "md")

CSV_COLUMNS = [
    "note_id",
    "section",
    "team",
    "text",
    "status",
    "narrow",
    "fresh_until",
    "supports",
    "contradicts",
    "review_state",
    "review_comment",
    "author",
    "link_stance",
    "link_comment",
    "evidence_id",
    "evidence_text",
    "evidence_collected_on",
    "evidence_kind",
    "evidence_source",
    "evidence_segment",
    "evidence_participant",
    "evidence_locator",
    "evidence_url",
]


def map_export(*, empathy_map: EmpathyMap, viewer: visibility.Viewer | None = None) -> dict:
    """`{"map", "exported_at", "notes": [NOTE + "links": [LINK]]}` in four queries; `viewer`
    leaves out the notes hidden from the caller while the map is drafting."""
    notes = map_notes(empathy_map=empathy_map)
    if viewer is not None:
        notes = visibility.visible_notes(viewer, notes)
    links = links_with_evidence().filter(note__map_id=empathy_map.pk, note__deleted_at__isnull=True)
    order = {section: index for index, section in enumerate(empathy_map.sections)}
    notes.sort(key=lambda note: (order.get(note["section"], len(order)), note["position"]))
    links_by_note: dict[int, list[dict]] = {}
    for link in links:
        links_by_note.setdefault(link.note_id, []).append(link_payload(link))
    return {
        "map": map_payload(empathy_map),
        "exported_at": iso(timezone.now()),
        "notes": [{**note, "links": links_by_note.get(note["id"], [])} for note in notes],
    }


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return csv_safe(value)
    return value


def export_csv(export: dict) -> str:
    """One row per note and linked evidence item (one row for a note without links).

    Every text cell goes through `csv_safe`, so a spreadsheet never runs a cell as a formula.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for note in export["notes"]:
        note_cells = [
            note["id"],
            note["section"],
            note["team"],
            note["text"],
            note["status"],
            note["narrow"],
            note["fresh_until"],
            note["evidence"]["supports"],
            note["evidence"]["contradicts"],
            note["review"]["state"],
            note["review"]["comment"],
            note["author"],
        ]
        for link in note["links"] or [None]:
            link_cells = [None] * (len(CSV_COLUMNS) - len(note_cells))
            if link is not None:
                evidence = link["evidence"]
                link_cells = [
                    link["stance"],
                    link["comment"],
                    evidence["id"],
                    evidence["text"],
                    evidence["collected_on"],
                    evidence["kind"],
                    evidence["source_title"],
                    evidence["segment_name"],
                    evidence["participant"],
                    evidence["locator"],
                    evidence["url"],
                ]
            writer.writerow([_cell(value) for value in [*note_cells, *link_cells]])
    return out.getvalue()


def _one_line(text: str) -> str:
    return " ".join((text or "").split())


def export_markdown(export: dict) -> str:
    """A readable document: one heading per section, each note with its evidence beneath it."""
    empathy_map = export["map"]
    lines = [f"# {_one_line(empathy_map['title'])}", ""]
    if empathy_map["persona"]:
        lines += [f"Persona: {_one_line(empathy_map['persona'])}", ""]
    if empathy_map["description"]:
        lines += [empathy_map["description"].strip(), ""]
    shelf_life = ", ".join(
        f"{kind} {days} days" for kind, days in sorted(empathy_map["shelf_life"].items())
    )
    window = f"Evidence is fresh for {empathy_map['freshness_days']} days"
    lines += [
        f"{window}{f' ({shelf_life})' if shelf_life else ''}. Exported {export['exported_at']}.",
        "",
    ]
    by_section: dict[str, list[dict]] = {}
    for note in export["notes"]:
        by_section.setdefault(note["section"], []).append(note)
    for section in [*empathy_map["sections"], *by_section]:
        notes = by_section.pop(section, None)
        if notes is None:
            continue
        lines += [f"## {section.capitalize()}", ""]
        for note in notes:
            flags = [note["status"], note["team"]]
            if note["narrow"]:
                flags.append("narrow")
            if note["review"]["state"] != "unreviewed":
                flags.append(note["review"]["state"].replace("_", " "))
            if note["fresh_until"]:
                flags.append(f"fresh until {note['fresh_until']}")
            lines.append(f"- {_one_line(note['text'])} _({', '.join(flags)})_")
            for link in note["links"]:
                evidence = link["evidence"]
                origin = ", ".join(
                    part
                    for part in (
                        evidence["source_title"],
                        evidence["kind"],
                        evidence["collected_on"],
                        evidence["segment_name"],
                        evidence["participant"],
                    )
                    if part
                )
                lines.append(f"  - {link['stance']}: “{_one_line(evidence['text'])}” ({origin})")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
