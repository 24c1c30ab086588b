from datetime import timedelta

from django.utils import timezone
from django.views.decorators.http import require_GET

from cooperation import my_work
from cooperation.models import AssessmentMeeting, Initiative, Recommendation
from cooperation.models.base import bounded

from .common import cached_fragment, render_with_parts

# The rows each panel shows; each links to the filtered list of all.
PANEL_ROWS = 10
UPCOMING_DAYS = 30


@require_GET
def dashboard(request):
    """The reader's dashboard; its content is kept rendered for a minute
    (``views.common.cached_fragment``), renewed by any write."""
    content = cached_fragment(
        request,
        "dashboard",
        "cooperation/dashboard_body.html",
        lambda: dashboard_context(request.user),
        per_reader=True,
    )
    return render_with_parts(
        request, "cooperation/dashboard.html", {}, {"content": content}
    )


def dashboard_context(user):
    now = timezone.now()
    upcoming = list(
        AssessmentMeeting.objects.visible_to(user)
        .next_up(days=UPCOMING_DAYS, now=now)
        .with_related()[:PANEL_ROWS]
    )
    overdue = bounded(
        Recommendation.objects.visible_to(user).overdue().with_related().by_due_date(),
        PANEL_ROWS,
    )
    open_recommendations = list(
        Recommendation.objects.visible_to(user)
        .open()
        .with_related()
        .by_due_date()[:PANEL_ROWS]
    )
    initiative_counts = Initiative.objects.visible_to(user).status_counts()
    return {
        # The first panel: what the user owes (the My work page's reads).
        "my_work": my_work.my_work(user, limit=my_work.PANEL_ROWS, now=now),
        "upcoming_meetings": upcoming,
        "upcoming_horizon": now + timedelta(days=UPCOMING_DAYS),
        "overdue_recommendations": overdue.rows,
        "overdue_total": overdue.total,
        "open_recommendations": open_recommendations,
        "recommendation_statuses": Recommendation.Status.choices,
        "recommendation_matrix": (
            Recommendation.objects.visible_to(user).status_by_nation()
        ),
        "initiative_statuses": [
            (value, label, initiative_counts.get(value, 0))
            for value, label in Initiative.Status.choices
        ],
        "today": timezone.localdate(),
    }
