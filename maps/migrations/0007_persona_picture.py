import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("maps", "0006_workshop"),
    ]

    operations = [
        migrations.AddField(
            model_name="empathymap",
            name="persona_picture_seq",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.CreateModel(
            name="PersonaPicture",
            fields=[
                (
                    "map",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="persona_picture",
                        serialize=False,
                        to="maps.empathymap",
                    ),
                ),
                ("data", models.BinaryField()),
                ("content_type", models.CharField(max_length=32)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
        ),
    ]
