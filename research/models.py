from django.conf import settings
from django.db import models
from django.db.models import Q

from maps.models import Workspace


class SourceKind(models.TextChoices):
    INTERVIEW = "interview", "Interview"
    USABILITY_TEST = "usability_test", "Usability test"
    SURVEY = "survey", "Survey"
    USAGE_DATA = "usage_data", "Usage data"
    SUPPORT_TICKET = "support_ticket", "Support ticket"
    OTHER = "other", "Other"


class Stance(models.TextChoices):
    SUPPORTS = "supports", "Supports"
    CONTRADICTS = "contradicts", "Contradicts"


class Segment(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="segments")
    name = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="segment_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Source(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="sources")
    kind = models.CharField(max_length=20, choices=SourceKind.choices)
    title = models.CharField(max_length=300)
    collected_on = models.DateField(null=True, blank=True)
    url = models.URLField(blank=True, max_length=500)
    segment = models.ForeignKey(
        Segment, null=True, blank=True, on_delete=models.SET_NULL, related_name="sources"
    )
    # For imports: the sha256 of the imported file, so the same file twice creates nothing.
    import_key = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-collected_on", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=SourceKind.values), name="source_kind_valid"
            ),
            models.UniqueConstraint(
                fields=["workspace", "kind", "import_key"],
                condition=~Q(import_key=""),
                name="source_unique_import",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Evidence(models.Model):
    # The workspace repeats the source's so that every query can be scoped in one join-free filter.
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="evidence")
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="evidence")
    text = models.TextField(max_length=10000)
    collected_on = models.DateField()
    segment = models.ForeignKey(
        Segment, null=True, blank=True, on_delete=models.SET_NULL, related_name="evidence"
    )
    participant = models.CharField(max_length=120, blank=True)
    locator = models.CharField(max_length=120, blank=True)
    url = models.URLField(blank=True, max_length=500)
    # For imports: a key unique within the source (ticket id, cue, row).
    external_key = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The text's all-MiniLM-L6-v2 vector for suggestions: 384 float32 values of unit length
    # (research.embeddings.to_bytes). Null until embedded: imports embed in the background.
    embedding = models.BinaryField(null=True, editable=False)

    class Meta:
        ordering = ["-collected_on", "-id"]
        verbose_name_plural = "evidence"
        indexes = [models.Index(fields=["workspace", "collected_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_key"],
                condition=~Q(external_key=""),
                name="evidence_unique_external_key",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:80]


class EvidenceLink(models.Model):
    note = models.ForeignKey("maps.Note", on_delete=models.CASCADE, related_name="links")
    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="links")
    stance = models.CharField(max_length=12, choices=Stance.choices)
    comment = models.TextField(blank=True, max_length=2000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["note", "evidence"], name="link_unique_note_evidence"),
            models.CheckConstraint(condition=Q(stance__in=Stance.values), name="link_stance_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.evidence_id} {self.stance} note {self.note_id}"
