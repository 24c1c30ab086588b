from datetime import timedelta

from django.db.models import Count
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from cooperation.counts import cached_rows
from cooperation.models import AssessmentMeeting, Initiative, Nation, Recommendation
from cooperation.models.base import bounded

# The rows each panel shows; each links to the filtered list of all.
PANEL_ROWS = 10
UPCOMING_DAYS = 30


def recommendation_matrix(user):
    """Rows of (nation, [(status, label, count)…], total) over recommendations
    released to ``user``, counted by the nations they are addressed to."""
    visible = Recommendation.objects.visible_to(user).values("pk")
    counts = {
        (nation_id, status): total
        for nation_id, status, total in cached_rows(
            Recommendation.nations.through.objects.filter(recommendation__in=visible)
            .values_list("nation_id", "recommendation__status")
            .annotate(total=Count("pk"))
            .order_by()
        )
    }
    statuses = Recommendation.Status.choices
    rows = []
    nations = Nation.objects.filter(is_active=True).only("name", "iso_alpha2")
    for nation in nations.in_display_order():
        cells = [
            (value, label, counts.get((nation.pk, value), 0))
            for value, label in statuses
        ]
        total = sum(cell[2] for cell in cells)
        if total:
            rows.append((nation, cells, total))
    return rows


@require_GET
def dashboard(request):
    user = request.user
    now = timezone.now()
    upcoming = list(
        AssessmentMeeting.objects.visible_to(user)
        .next_up(days=UPCOMING_DAYS, now=now)
        .select_related("chair")
        .prefetch_related("nations")[:PANEL_ROWS]
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
    initiative_counts = dict(
        cached_rows(
            Initiative.objects.visible_to(user)
            .order_by()
            .values_list("status")
            .annotate(total=Count("pk"))
        )
    )
    return render(
        request,
        "cooperation/dashboard.html",
        {
            "upcoming_meetings": upcoming,
            "upcoming_horizon": now + timedelta(days=UPCOMING_DAYS),
            "overdue_recommendations": overdue.rows,
            "overdue_total": overdue.total,
            "open_recommendations": open_recommendations,
            "recommendation_statuses": Recommendation.Status.choices,
            "recommendation_matrix": recommendation_matrix(user),
            "initiative_statuses": [
                (value, label, initiative_counts.get(value, 0))
                for value, label in Initiative.Status.choices
            ],
            "today": timezone.localdate(),
        },
    )
