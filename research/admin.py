from django.contrib import admin

from research.models import Evidence, EvidenceLink, Segment, Source


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ["name", "workspace", "created_at"]
    list_filter = ["workspace"]
    search_fields = ["name"]


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "workspace", "segment", "collected_on"]
    list_filter = ["kind", "workspace", "segment"]
    search_fields = ["title", "url"]
    date_hierarchy = "collected_on"


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    list_display = ["short_text", "source", "collected_on", "segment", "participant"]
    list_filter = ["source__kind", "workspace", "segment"]
    search_fields = ["text", "participant", "source__title"]
    date_hierarchy = "collected_on"
    list_select_related = ["source", "segment"]
    raw_id_fields = ["source"]

    @admin.display(description="text")
    def short_text(self, evidence: Evidence) -> str:
        return evidence.text[:80]


@admin.register(EvidenceLink)
class EvidenceLinkAdmin(admin.ModelAdmin):
    list_display = ["note", "evidence", "stance", "created_by", "created_at"]
    list_filter = ["stance"]
    search_fields = ["note__text", "evidence__text", "comment"]
    raw_id_fields = ["note", "evidence"]
