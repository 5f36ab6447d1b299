"""The workshop's addresses: `api_urlpatterns` under /api/v1/, `urlpatterns` for pages."""

from django.urls import path

from maps.workshop import api, views

api_urlpatterns = [
    path("notes/<int:note_id>/stance/", api.NoteStanceView.as_view()),
    path("notes/<int:note_id>/votes/", api.NoteVotesView.as_view()),
    path("notes/<int:note_id>/comments/", api.NoteCommentsView.as_view()),
    path("maps/<int:map_id>/alignment/", api.MapAlignmentView.as_view()),
    path("maps/<int:map_id>/timer/", api.MapTimerView.as_view()),
    path("mentions/", api.MentionListView.as_view()),
    path("mentions/unread/", api.MentionUnreadView.as_view()),
    path("mentions/<int:mention_id>/read/", api.MentionReadView.as_view()),
]

urlpatterns = [
    path("maps/<int:map_id>/alignment/", views.alignment, name="map-alignment"),
    path("mentions/", views.mentions, name="mentions"),
    path("mentions/<int:mention_id>/", views.mention_open, name="mention-open"),
]
