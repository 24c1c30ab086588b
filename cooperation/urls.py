from django.urls import path

from .views import (
    briefings,
    calendar,
    dashboard,
    documents,
    health,
    history,
    initiatives,
    lookups,
    meeting_forms,
    meetings,
    my_work,
    nations,
    notifications,
    picture,
    profile,
    recommendations,
    records,
    scheduling,
    search,
)

app_name = "cooperation"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("my-work/", my_work.my_work, name="my-work"),
    path("profile/", profile.profile, name="profile"),
    path("profile/language/", profile.language_switch, name="language-switch"),
    # One search across the records; the lists' saved filters
    path("search/", search.search, name="search"),
    path("saved-filters/", search.saved_filter_save, name="saved-filter-save"),
    path(
        "saved-filters/delete/",
        search.saved_filter_delete,
        name="saved-filter-delete",
    ),
    path(
        "profile/notifications/",
        notifications.notification_preferences,
        name="notification-preferences",
    ),
    # Notifications: what the user is told, in the portal
    path("notifications/", notifications.notification_list, name="notification-list"),
    path(
        "notifications/read/",
        notifications.notification_read_all,
        name="notification-read-all",
    ),
    path(
        "notifications/<int:pk>/read/",
        notifications.notification_read,
        name="notification-read",
    ),
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
    path("briefings/<uuid:pk>/retry/", briefings.briefing_retry, name="briefing-retry"),
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
    path(
        "meetings/<int:pk>/series.ics",
        calendar.meeting_series_ics,
        name="meeting-series-ics",
    ),
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
    # Documents on meetings, recommendations and initiatives; files only through
    # the download, which checks the parent record's releasability
    path(
        "meetings/<int:pk>/documents/new/",
        documents.meeting_document_add,
        name="meeting-document-add",
    ),
    path(
        "recommendations/<str:reference>/documents/new/",
        documents.recommendation_document_add,
        name="recommendation-document-add",
    ),
    path(
        "initiatives/<int:pk>/documents/new/",
        documents.initiative_document_add,
        name="initiative-document-add",
    ),
    path(
        "documents/<int:pk>/download/",
        documents.document_download,
        name="document-download",
    ),
    path(
        "documents/<int:pk>/replace/",
        documents.document_replace,
        name="document-replace",
    ),
    path(
        "documents/<int:pk>/delete/",
        documents.document_delete,
        name="document-delete",
    ),
    path(
        "recommendations/<str:reference>/follow/",
        notifications.recommendation_follow,
        name="recommendation-follow",
    ),
    path(
        "recommendations/<str:reference>/progress/",
        recommendations.recommendation_progress,
        name="recommendation-progress",
    ),
    path(
        "recommendations/<str:reference>/comment/",
        recommendations.recommendation_comment,
        name="recommendation-comment",
    ),
]
