"""Calendar pages: the month view, .ics downloads, RSVP and the subscription feed.

Every meeting is read through ``visible_to(user)`` or ``access.get_meeting_for``, so
a meeting not released to the user is absent from the month, from the feed, and a 404
when downloaded or answered. The feed is the one page reached without a login: its
secret token stands in for the user, and an unknown or revoked token is a 404.
"""

import calendar as pycalendar
import datetime
import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cooperation.models import AssessmentMeeting, Invitation
from cooperation.services import invitations as invitation_services
from cooperation.services import series_invitations

from .access import get_meeting_for
from .common import kept_page

MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
FIRST_YEAR, LAST_YEAR = 1970, 2100
FEED_URL_SESSION_KEY = "calendar_feed_url"


# ----------------------------------------------------------------- month view


def parse_month(value):
    """(year, month) from ``YYYY-MM``; None when absent or not a month we show."""
    match = MONTH_PATTERN.match(value or "")
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12):
        return None
    return year, month


def shift_month(year, month, delta):
    index = year * 12 + (month - 1) + delta
    year, month = divmod(index, 12)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return None
    return f"{year:04d}-{month + 1:02d}"


@require_GET
def calendar_month(request):
    """A month of the meetings released to the reader; its content is kept
    rendered for a minute, shared by the readers of one releasability, language
    and time zone (``views.common.kept_page``)."""
    today = timezone.localdate()
    requested = request.GET.get("month")
    parsed = parse_month(requested)
    if parsed is None:
        if requested:
            messages.warning(
                request,
                _("“%s” is not a month the calendar can show; here is this month.")
                % requested[:20],
            )
        parsed = (today.year, today.month)
    year, month = parsed
    return kept_page(
        request,
        "cooperation/calendar_month.html",
        lambda: month_context(request.user, year, month, today=today),
        page={"month_start": datetime.date(year, month, 1)},
        per_reader=False,
    )


def month_context(user, year, month, *, today):
    """The month's grid of weeks (Monday first) with the meetings released to
    ``user`` on the day each starts in the current time zone."""
    zone = timezone.get_current_timezone()
    weeks = pycalendar.Calendar(firstweekday=pycalendar.MONDAY).monthdatescalendar(
        year, month
    )
    first_day, last_day = weeks[0][0], weeks[-1][-1]
    start = datetime.datetime.combine(first_day, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(
        last_day + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
    )
    meetings = (
        AssessmentMeeting.objects.visible_to(user)
        .filter(starts_at__gte=start, starts_at__lt=end)
        .order_by("starts_at", "pk")
    )
    by_day = {}
    for meeting in meetings:
        by_day.setdefault(
            timezone.localtime(meeting.starts_at, zone).date(), []
        ).append(meeting)
    grid = [
        [
            {
                "date": day,
                "in_month": day.month == month,
                "is_today": day == today,
                "meetings": by_day.get(day, []),
            }
            for day in week
        ]
        for week in weeks
    ]
    return {
        "weeks": grid,
        "weekdays": [week_day["date"] for week_day in grid[0]],
        "month_start": datetime.date(year, month, 1),
        "month_meeting_count": sum(
            len(day) for date, day in by_day.items() if date.month == month
        ),
        "previous_month": shift_month(year, month, -1),
        "next_month": shift_month(year, month, 1),
        "this_month": f"{today.year:04d}-{today.month:02d}",
        "user_zone": timezone.get_current_timezone_name(),
    }


# ------------------------------------------------------------- one meeting


def ics_response(content, filename):
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def meeting_ics(request, pk):
    meeting = get_meeting_for(request.user, pk)
    return ics_response(
        invitation_services.meeting_ical(
            meeting=meeting, method="PUBLISH", language=request.LANGUAGE_CODE
        ),
        f"meeting-{meeting.pk}.ics",
    )


@require_GET
def meeting_series_ics(request, pk):
    """The whole series (the part of it ``pk`` belongs to) as one recurring entry."""
    meeting = get_meeting_for(request.user, pk)
    if meeting.recurrence_id is None:
        raise Http404(_("This meeting is not part of a series."))
    content = series_invitations.part_ical(
        meeting=meeting, user=request.user, language=request.LANGUAGE_CODE
    )
    if content is None:
        raise Http404(_("No meeting of this series takes place."))
    return ics_response(content, f"meeting-series-{meeting.series_id}.ics")


@require_POST
def meeting_rsvp(request, pk):
    meeting = get_meeting_for(request.user, pk)
    invitation = get_object_or_404(Invitation, meeting=meeting, user=request.user)
    invitation.meeting = meeting
    response = request.POST.get("response", "")
    if response not in invitation_services.RSVP_RESPONSES:
        return HttpResponseBadRequest(_("Answer accept, tentative or decline."))
    try:
        invitation_services.invitation_respond(
            invitation=invitation, acting_user=request.user, response=response
        )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(
            request,
            _("Your answer “%(answer)s” to “%(title)s” was recorded.")
            % {"answer": invitation.get_response_display(), "title": meeting.title},
        )
    return redirect(meeting)


# ------------------------------------------------------------ subscription


def feed_url(token):
    return settings.PORTAL_BASE_URL + reverse("cooperation:calendar-feed", args=[token])


@never_cache
@require_http_methods(["GET", "POST"])
def calendar_subscription(request):
    user = request.user
    if request.method == "POST":
        action = request.POST.get("action")
        if action in {"create", "regenerate"}:
            token = invitation_services.calendar_token_create(
                user=user, acting_user=user
            )
            # Shown once, on the page this redirects to, then forgotten.
            request.session[FEED_URL_SESSION_KEY] = feed_url(token)
            messages.success(
                request,
                _(
                    "Your calendar feed address was made. Copy it now: it is shown "
                    "only this once. Any earlier address no longer works."
                ),
            )
        elif action == "revoke":
            invitation_services.calendar_token_revoke(user=user, acting_user=user)
            messages.success(
                request,
                _("Your calendar feed address was revoked; it no longer works."),
            )
        else:
            return HttpResponseBadRequest(_("Choose create, regenerate or revoke."))
        return redirect("cooperation:calendar-subscription")
    new_url = request.session.pop(FEED_URL_SESSION_KEY, None)
    return render(
        request,
        "cooperation/calendar_subscription.html",
        {
            "has_token": bool(user.calendar_token_hash),
            "new_feed_url": new_url,
            "new_webcal_url": (
                "webcal://" + new_url.split("://", 1)[1] if new_url else None
            ),
        },
    )


@login_not_required
@never_cache
@require_GET
def calendar_feed(request, token):
    user = invitation_services.calendar_feed_user(token)
    if user is None:
        raise Http404
    response = HttpResponse(
        invitation_services.calendar_feed(user=user),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = 'inline; filename="meetings.ics"'
    response["X-Robots-Tag"] = "noindex"
    return response
