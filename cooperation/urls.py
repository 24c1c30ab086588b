from django.urls import path

from . import views

app_name = "cooperation"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("nations/<str:code>/", views.nation_detail, name="nation-detail"),
    path("initiatives/<int:pk>/", views.initiative_detail, name="initiative-detail"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting-detail"),
    path(
        "recommendations/<str:reference>/",
        views.recommendation_detail,
        name="recommendation-detail",
    ),
]
