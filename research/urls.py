from django.urls import path

from research import views

urlpatterns = [
    path("w/<slug:slug>/evidence/", views.library, name="evidence-library"),
    path(
        "w/<slug:slug>/evidence/<int:evidence_id>/",
        views.evidence_detail,
        name="evidence-detail",
    ),
    path("w/<slug:slug>/requests/", views.research_requests, name="research-requests"),
]
