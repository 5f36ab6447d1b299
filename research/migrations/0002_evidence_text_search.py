"""A GIN index for full-text search of evidence, on PostgreSQL only.

The expression must match, character for character after PostgreSQL's normalisation, what
`research.search.evidence_vector()` makes Django write, or the planner will not use the index:
`to_tsvector('english'::regconfig, COALESCE("research_evidence"."text", ''))`.
"""

from django.db import migrations

INDEX = "research_evidence_text_fts"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON research_evidence "
        "USING gin (to_tsvector('english'::regconfig, COALESCE(text, '')))"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("research", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
