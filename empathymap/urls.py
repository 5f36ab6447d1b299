from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from maps import api as maps_api
from maps import history_api, persona_picture_api
from maps.workshop.urls import api_urlpatterns as workshop_api
from research import api as research_api
from research import drift_api, portability_api

api_v1 = [
    path("auth/token/", maps_api.TokenView.as_view(), name="api-token"),
    path("workspaces/", maps_api.WorkspaceListView.as_view()),
    path("workspaces/<slug:slug>/", maps_api.WorkspaceDetailView.as_view()),
    path("workspaces/<slug:slug>/members/", maps_api.MemberListView.as_view()),
    path("workspaces/<slug:slug>/members/<str:username>/", maps_api.MemberDetailView.as_view()),
    path("maps/", maps_api.MapListView.as_view()),
    path("maps/<int:map_id>/", maps_api.MapDetailView.as_view()),
    path("maps/<int:map_id>/notes/", maps_api.MapNotesView.as_view()),
    path("maps/<int:map_id>/events/", maps_api.MapEventsView.as_view()),
    path("maps/<int:map_id>/review/", maps_api.MapReviewView.as_view()),
    path("notes/<int:note_id>/", maps_api.NoteDetailView.as_view()),
    path("notes/<int:note_id>/restore/", maps_api.NoteRestoreView.as_view()),
    path("notes/<int:note_id>/review/", maps_api.NoteReviewView.as_view()),
    path("notes/<int:note_id>/links/", research_api.NoteLinksView.as_view()),
    path("links/<int:link_id>/", research_api.LinkDetailView.as_view()),
    path("segments/", research_api.SegmentListView.as_view()),
    path("sources/", research_api.SourceListView.as_view()),
    path("sources/<int:source_id>/", research_api.SourceDetailView.as_view()),
    path("evidence/", research_api.EvidenceListView.as_view()),
    path("evidence/<int:evidence_id>/", research_api.EvidenceDetailView.as_view()),
    path("workspaces/<slug:slug>/imports/", research_api.ImportView.as_view()),
    path("workspaces/<slug:slug>/embedding/", research_api.EmbeddingProgressView.as_view()),
    path("notes/<int:note_id>/suggestions/", research_api.NoteSuggestionsView.as_view()),
    path("research-requests/", research_api.ResearchRequestListView.as_view()),
    path("maps/<int:map_id>/export/", research_api.MapExportView.as_view()),
    path("notes/<int:note_id>/history/", history_api.NoteHistoryView.as_view()),
    path("notes/<int:note_id>/history/restore/", history_api.NoteHistoryRestoreView.as_view()),
    path("maps/<int:map_id>/compare/", history_api.MapCompareView.as_view()),
    path("maps/import/", portability_api.MapImportView.as_view()),
    path("maps/<int:map_id>/drift/", drift_api.MapDriftView.as_view()),
    path("maps/<int:map_id>/drift/notes/", drift_api.MapDriftNoteView.as_view()),
    path("maps/<int:map_id>/duplicate/", portability_api.MapDuplicateView.as_view()),
    path("maps/<int:map_id>/persona-picture/", persona_picture_api.PersonaPictureView.as_view()),
    *workshop_api,
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
    # Browsers ask for /favicon.ico whatever the page's <link rel="icon"> says.
    path("favicon.ico", RedirectView.as_view(url=static("img/favicon.svg"), permanent=True)),
    path("", include("maps.urls")),
    path("", include("research.urls")),
]

handler400 = "empathymap.errors.bad_request"
handler403 = "empathymap.errors.permission_denied"
handler404 = "empathymap.errors.page_not_found"
handler500 = "empathymap.errors.server_error"
