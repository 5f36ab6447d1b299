from django.contrib.auth import views as auth_views
from django.urls import include, path

from maps import history_views, persona_picture_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/signup/", views.signup, name="signup"),
    path("w/<slug:slug>/members/", views.members, name="members"),
    path("maps/<int:map_id>/", views.board, name="map-board"),
    path("maps/<int:map_id>/review/", views.review, name="map-review"),
    path("maps/<int:map_id>/settings/", views.map_settings, name="map-settings"),
    path(
        "maps/<int:map_id>/persona-picture/",
        persona_picture_views.persona_picture,
        name="map-persona-picture",
    ),
    path("maps/<int:map_id>/as-of/", history_views.map_as_of, name="map-as-of"),
    path("maps/<int:map_id>/bin/", history_views.map_bin, name="map-bin"),
    path("notes/<int:note_id>/history/", history_views.note_history, name="note-history"),
    path("", include("maps.workshop.urls")),
]
