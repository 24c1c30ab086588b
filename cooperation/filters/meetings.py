import datetime

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cooperation.filters.common import (
    FilterForm,
    RecordFilterSet,
    ReferenceChoiceFilter,
)
from cooperation.models import AssessmentMeeting, Nation
from cooperation.validators import validate_sane_year


class MeetingFilter(RecordFilterSet):
    """The filters of the meeting list; pass ``request`` for the "mine" filter.

    Every parameter is a plain GET value, so a filtered list can be bookmarked or
    linked to from the dashboard (``?when=upcoming``, ``?nation=CO``, ``?mine=on``).
    """

    search_fields = ("title", "location", "minutes")

    WHEN_CHOICES = [("upcoming", _("Upcoming")), ("past", _("Past"))]

    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        max_length=100,
        help_text=_("Title, location or minutes."),
    )
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"),
        choices=AssessmentMeeting.Status.choices,
        widget=forms.CheckboxSelectMultiple,
        distinct=False,  # one column: no duplicate rows to remove
    )
    nation = ReferenceChoiceFilter(
        label=_("Participating nation"),
        field_name="nations",
        queryset=Nation.objects.order_by("name"),
        to_field_name="iso_alpha2",
        distinct=False,  # a nation takes part in a meeting at most once
    )
    when = django_filters.ChoiceFilter(
        label=_("When"), choices=WHEN_CHOICES, method="filter_when"
    )
    starts_from = django_filters.DateFilter(
        label=_("Starts on or after"),
        method="filter_starts",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=[validate_sane_year],
    )
    starts_to = django_filters.DateFilter(
        label=_("Starts on or before"),
        method="filter_starts",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=[validate_sane_year],
    )
    mine = django_filters.BooleanFilter(
        label=_("Only meetings I chair or attend"),
        method="filter_mine",
        widget=forms.CheckboxInput,
    )

    class Meta:
        model = AssessmentMeeting
        form = FilterForm
        fields = ["q", "status", "nation", "when", "starts_from", "starts_to", "mine"]

    def filter_starts(self, queryset, name, value):
        """Meetings starting on or after (``starts_from``) or on or before
        (``starts_to``) a day of the reader's time zone.

        The day becomes a range of instants, so the ``starts_at`` index serves it;
        ``starts_at__date`` would convert every row's time before comparing.
        """

        def start_of(day):
            return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))

        if name == "starts_from":
            return queryset.filter(starts_at__gte=start_of(value))
        return queryset.filter(starts_at__lt=start_of(value + datetime.timedelta(1)))

    def filter_when(self, queryset, name, value):
        now = timezone.now()
        if value == "upcoming":
            # The dashboard's notion of upcoming: not over, neither held nor cancelled.
            return queryset.filter(
                ends_at__gte=now,
                status__in=[
                    AssessmentMeeting.Status.DRAFT,
                    AssessmentMeeting.Status.SCHEDULED,
                ],
            )
        if value == "past":
            return queryset.filter(ends_at__lt=now)
        return queryset

    def mine_condition(self, user):
        """Meetings ``user`` chairs or attends."""
        attended = AssessmentMeeting.attendees.through.objects.filter(user=user)
        # A subquery rather than a join, so a meeting is never listed twice.
        return Q(chair=user) | Q(pk__in=attended.values("meeting_id"))
