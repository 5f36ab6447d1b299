"""The drift radar on its labeled set, and the sweep of its two thresholds (docs/drift.md).

DJANGO_SETTINGS_MODULE=empathymap.settings .venv/bin/python bench/drift_eval.py
"""

import sys
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
django.setup()

from research import drift  # noqa: E402
from research.drift_eval import evaluate  # noqa: E402

print("chosen:", evaluate())
for group_threshold in (0.2, 0.25, 0.28, 0.3, 0.32, 0.35, 0.4, 0.45):
    scores = evaluate(group_threshold=group_threshold)
    mark = " <- chosen" if group_threshold == drift.GROUP_COSINE else ""
    print(
        f"group cosine {group_threshold:.2f}: themes recovered {scores.themes_recovered}, "
        f"sections right {scores.sections_right}, spurious groups {scores.spurious_groups}, "
        f"note items in themes {scores.notes_items_in_themes}{mark}"
    )
