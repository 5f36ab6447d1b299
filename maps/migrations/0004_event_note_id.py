from django.conf import settings
from django.db import migrations, models

BATCH = 2000


def fill_note_ids(apps, schema_editor):
    """Events written before the column: their note id, from payload.note.id, in batches."""
    MapEvent = apps.get_model("maps", "MapEvent")
    last_id = 0
    while True:
        batch = list(
            MapEvent.objects.filter(pk__gt=last_id).order_by("pk").only("pk", "payload")[:BATCH]
        )
        if not batch:
            return
        changed = []
        for event in batch:
            note = event.payload.get("note") if isinstance(event.payload, dict) else None
            if isinstance(note, dict) and note.get("id") is not None:
                event.note_id = note["id"]
                changed.append(event)
        MapEvent.objects.bulk_update(changed, ["note_id"])
        last_id = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("maps", "0003_workspace_archived"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="mapevent",
            name="note_id",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="mapevent",
            index=models.Index(fields=["map", "note_id"], name="event_map_note"),
        ),
        migrations.RunPython(fill_note_ids, migrations.RunPython.noop),
    ]
