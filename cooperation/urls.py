from django.urls import path

from .views import (
    briefings,
    calendar,
    dashboard,
    health,
    history,
    initiatives,
    lookups,
    meeting_forms,
    meetings,
    nations,
    picture,
    profile,
    recommendations,
    records,
    scheduling,
)

app_name = "cooperation"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("profile/", profile.profile, name="profile"),
    path("profile/language/", profile.language_switch, name="language-switch"),
    # Searches behind the autocomplete choosers (JSON)
    path("lookups/users/", lookups.lookup_users, name="lookup-users"),
    path("lookups/initiatives/", lookups.lookup_initiatives, name="lookup-initiatives"),
    path("lookups/meetings/", lookups.lookup_meetings, name="lookup-meetings"),
    path(
        "lookups/recommendations/",
        lookups.lookup_recommendations,
        name="lookup-recommendations",
    ),
    # Nations
    path("nations/", nations.nation_list, name="nation-list"),
    path("nations/<str:code>/", nations.nation_detail, name="nation-detail"),
    # The regional picture: every nation's latest assessments, as of a day
    path("picture/", picture.regional_picture, name="regional-picture"),
    path("picture/briefing/", briefings.regional_briefing, name="regional-briefing"),
    path(
        "picture/briefing/pdf/",
        briefings.regional_briefing_pdf,
        name="regional-briefing-pdf",
    ),
    # Briefings as PDF, made by the worker: each answers only the one who asked
    path("briefings/", briefings.briefing_list, name="briefing-list"),
    path("briefings/<uuid:pk>/", briefings.briefing_page, name="briefing"),
    path("briefings/<uuid:pk>/pdf/", briefings.briefing_pdf, name="briefing-pdf"),
    path(
        "briefings/<uuid:pk>/retry/", briefings.briefing_retry, name="briefing-retry"
    ),
    # Initiatives
    path("initiatives/", initiatives.initiative_list, name="initiative-list"),
    path("initiatives/new/", initiatives.initiative_create, name="initiative-create"),
    path(
        "initiatives/<int:pk>/", initiatives.initiative_detail, name="initiative-detail"
    ),
    path(
        "initiatives/<int:pk>/history/",
        history.initiative_history,
        name="initiative-history",
    ),
    path(
        "initiatives/<int:pk>/edit/",
        initiatives.initiative_edit,
        name="initiative-edit",
    ),
    # Meetings, with the assessments and evaluations recorded from their page
    path("meetings/", meetings.meeting_list, name="meeting-list"),
    path("meetings/new/", meeting_forms.meeting_create, name="meeting-create"),
    path(
        "meetings/find-a-time/",
        scheduling.meeting_find_time,
        name="meeting-find-time",
    ),
    path("meetings/<int:pk>/", meetings.meeting_detail, name="meeting-detail"),
    # Calendar: invitations answered, .ics downloads, the month and the feed
    path("meetings/<int:pk>/invite.ics", calendar.meeting_ics, name="meeting-ics"),
    path("meetings/<int:pk>/rsvp/", calendar.meeting_rsvp, name="meeting-rsvp"),
    path("calendar/", calendar.calendar_month, name="calendar"),
    path(
        "calendar/subscription/",
        calendar.calendar_subscription,
        name="calendar-subscription",
    ),
    path("calendar/feed/<str:token>.ics", calendar.calendar_feed, name="calendar-feed"),
    path("meetings/<int:pk>/edit/", meeting_forms.meeting_edit, name="meeting-edit"),
    path("meetings/<int:pk>/cancel/", meetings.meeting_cancel, name="meeting-cancel"),
    path(
        "meetings/<int:pk>/minutes/", meetings.meeting_minutes, name="meeting-minutes"
    ),
    path(
        "meetings/<int:pk>/minutes/publish/",
        meetings.meeting_minutes_publish,
        name="meeting-minutes-publish",
    ),
    path(
        "meetings/<int:pk>/briefing/",
        briefings.meeting_briefing,
        name="meeting-briefing",
    ),
    path(
        "meetings/<int:pk>/briefing/pdf/",
        briefings.meeting_briefing_pdf,
        name="meeting-briefing-pdf",
    ),
    path("meetings/<int:pk>/history/", history.meeting_history, name="meeting-history"),
    path(
        "meetings/<int:pk>/assessments/new/",
        records.assessment_create,
        name="assessment-create",
    ),
    path(
        "meetings/<int:pk>/assessments/<int:assessment_pk>/edit/",
        records.assessment_edit,
        name="assessment-edit",
    ),
    path(
        "meetings/<int:pk>/evaluations/new/",
        records.evaluation_create,
        name="evaluation-create",
    ),
    path(
        "meetings/<int:pk>/evaluations/<int:evaluation_pk>/edit/",
        records.evaluation_edit,
        name="evaluation-edit",
    ),
    path(
        "meetings/<int:pk>/recommendations/new/",
        recommendations.recommendation_create,
        name="meeting-recommendation-create",
    ),
    # Recommendations
    path(
        "recommendations/",
        recommendations.recommendation_list,
        name="recommendation-list",
    ),
    path(
        "recommendations/new/",
        recommendations.recommendation_create,
        name="recommendation-create",
    ),
    path(
        "recommendations/<str:reference>/",
        recommendations.recommendation_detail,
        name="recommendation-detail",
    ),
    path(
        "recommendations/<str:reference>/history/",
        history.recommendation_history,
        name="recommendation-history",
    ),
    path(
        "recommendations/<str:reference>/edit/",
        recommendations.recommendation_edit,
        name="recommendation-edit",
    ),
    path(
        "recommendations/<str:reference>/transition/",
        recommendations.recommendation_transition,
        name="recommendation-transition",
    ),
]
