from django.urls import path

from research import drift_views, portability_views, views

urlpatterns = [
    path("w/<slug:slug>/evidence/", views.library, name="evidence-library"),
    path(
        "w/<slug:slug>/evidence/<int:evidence_id>/",
        views.evidence_detail,
        name="evidence-detail",
    ),
    path("w/<slug:slug>/requests/", views.research_requests, name="research-requests"),
    path("maps/import/", portability_views.map_import, name="map-import"),
    path("maps/<int:map_id>/drift/link/", drift_views.drift_link, name="map-drift-link"),
    path("maps/<int:map_id>/drift/theme/", drift_views.drift_theme_note, name="map-drift-theme"),
    path("maps/<int:map_id>/duplicate/", portability_views.map_duplicate, name="map-duplicate"),
]
