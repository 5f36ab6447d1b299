from django.contrib import admin

from maps.models import EmpathyMap, MapEvent, Membership, Note, Workspace


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "workspace", "role", "created_at"]
    list_filter = ["role", "workspace"]
    search_fields = ["user__username", "workspace__name"]
    autocomplete_fields = ["user", "workspace"]


@admin.register(EmpathyMap)
class EmpathyMapAdmin(admin.ModelAdmin):
    list_display = ["title", "workspace", "persona", "layout", "seq", "archived", "reviewed_at"]
    list_filter = ["layout", "archived", "workspace"]
    search_fields = ["title", "persona", "description"]
    readonly_fields = [
        "seq",
        "created_at",
        "updated_at",
        "reviewed_seq",
        "reviewed_at",
        "reviewed_by",
    ]


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin):
    list_display = ["short_text", "map", "section", "team", "review_state", "version", "deleted_at"]
    list_filter = ["section", "team", "review_state", "map__workspace"]
    search_fields = ["text", "map__title"]
    readonly_fields = ["version", "created_at", "updated_at"]
    list_select_related = ["map"]

    @admin.display(description="text")
    def short_text(self, note: Note) -> str:
        return note.text[:80]


@admin.register(MapEvent)
class MapEventAdmin(admin.ModelAdmin):
    list_display = ["map", "seq", "kind", "actor", "op_id", "created_at"]
    list_filter = ["kind"]
    search_fields = ["map__title", "op_id", "actor__username"]
    list_select_related = ["map", "actor"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # The event log is append-only.
