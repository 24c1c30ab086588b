"""Every door into a meeting write reaches the same services.

The meeting pages, the admin and a command or worker (the service called outside
any request) create and change meetings through ``meeting_plan``,
``meeting_create`` and ``meeting_update``; each door must have the same effects:
the attendees are sent the invitation once the transaction commits, a change they
should hear of raises the iCalendar SEQUENCE, history names who did it, and a
stale edit saves nothing.
"""

import datetime
import zoneinfo
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from cooperation import concurrency
from cooperation.models import AssessmentMeeting, OutboundEmail
from cooperation.services import meetings as meeting_services
from tests import factories

pytestmark = pytest.mark.django_db

BOGOTA = zoneinfo.ZoneInfo("America/Bogota")
DOORS = ["page", "admin", "service"]


@pytest.fixture
def notify():
    with mock.patch("cooperation.services.invitations.meeting_notify") as patched:
        yield patched


@pytest.fixture
def actor(db, colombia, superuser):
    """Who writes: a scheduler on the pages, a superuser in the admin, either for
    a command (here the superuser, who sees every meeting)."""
    return superuser


@pytest.fixture
def attendee(colombia):
    return factories.UserFactory(nation=colombia, email="attendee@example.org")


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def inline_management_data(client, url):
    """The management forms of the admin page's inlines, as the page posts them."""
    response = client.get(url)
    assert response.status_code == 200
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = str(management[name].value() or 0)
        for form in inline.formset.forms:
            for name in form.fields:
                value = form[name].value()
                if value is True:
                    data[form.add_prefix(name)] = "on"
                elif value is not None and value is not False:
                    data[form.add_prefix(name)] = str(value)
    return data


def form_errors(response):
    """The errors of every form on a page that did not save, for the failure."""
    context = response.context or {}
    return {
        name: getattr(context.get(name), "errors", None)
        for name in ("form", "agenda", "repeat", "release_form", "confirm")
    }


def local(value):
    return value.astimezone(BOGOTA)


def create_through(door, *, actor, attendee, colombia, starts_at):
    ends_at = starts_at + datetime.timedelta(hours=1)
    if door == "service":
        plan = meeting_services.meeting_plan(
            details=meeting_services.MeetingDetails(
                title="Border review",
                starts_at=starts_at,
                ends_at=ends_at,
                time_zone="America/Bogota",
                nations=(colombia,),
                attendees=(attendee,),
            ),
            acting_user=actor,
        )
        (meeting,) = meeting_services.meeting_create(
            plan=plan, acting_user=actor, released_to_all=True
        )
        return meeting
    client = logged_in(actor)
    if door == "page":
        response = client.post(
            reverse("cooperation:meeting-create"),
            {
                "title": "Border review",
                "status": "scheduled",
                "time_zone": "America/Bogota",
                "starts_at": f"{local(starts_at):%Y-%m-%dT%H:%M}",
                "ends_at": f"{local(ends_at):%Y-%m-%dT%H:%M}",
                "nations": [str(colombia.pk)],
                "attendees": [str(attendee.pk)],
                "release-released_to_all": "on",
                "agenda-TOTAL_FORMS": "0",
                "agenda-INITIAL_FORMS": "0",
                "repeat-frequency": "",
                # Any scheduling warning (e.g. a holiday) is confirmed.
                "confirm-confirm_warnings": "on",
            },
        )
        if response.status_code == 200 and response.context.get("confirm"):
            data = {
                **response.context["form"].data.dict(),
                "nations": [str(colombia.pk)],
                "attendees": [str(attendee.pk)],
                "confirm-confirm_warnings": "on",
                "confirm-warnings_digest": response.context["confirm"].initial[
                    "warnings_digest"
                ],
            }
            response = client.post(reverse("cooperation:meeting-create"), data)
        assert response.status_code == 302, form_errors(response)
    else:
        url = reverse("admin:cooperation_assessmentmeeting_add")
        with zoneinfo_of_admin():
            response = client.post(
                url,
                {
                    **inline_management_data(client, url),
                    "title": "Border review",
                    "status": "scheduled",
                    "time_zone": "America/Bogota",
                    "starts_at_0": f"{starts_at:%Y-%m-%d}",
                    "starts_at_1": f"{starts_at:%H:%M:%S}",
                    "ends_at_0": f"{ends_at:%Y-%m-%d}",
                    "ends_at_1": f"{ends_at:%H:%M:%S}",
                    "nations": [str(colombia.pk)],
                    "invitees": [str(attendee.pk)],
                    "released_to_all": "on",
                },
            )
        assert response.status_code == 302, (
            response.context["adminform"].form.errors if response.context else response
        )
    return AssessmentMeeting.objects.get(title="Border review")


def zoneinfo_of_admin():
    """The admin reads its date and time inputs in the active zone: UTC here."""
    from django.utils import timezone

    return timezone.override(datetime.UTC)


@pytest.mark.parametrize("door", DOORS)
def test_each_door_creates_a_meeting_whose_attendees_invitations_are_queued(
    door, actor, attendee, colombia, notify, django_capture_on_commit_callbacks
):
    starts_at = datetime.datetime(2027, 3, 9, 15, 0, tzinfo=datetime.UTC)

    with django_capture_on_commit_callbacks(execute=True):
        meeting = create_through(
            door, actor=actor, attendee=attendee, colombia=colombia, starts_at=starts_at
        )
        assert notify.call_count == 1  # queued in the transaction of the change

    assert meeting.starts_at == starts_at
    assert list(meeting.attendees.all()) == [attendee]
    assert list(meeting.nations.all()) == [colombia]
    assert notify.call_count == 1
    assert notify.call_args.kwargs["meeting"].pk == meeting.pk
    assert notify.call_args.kwargs["kind"] == "request"
    assert meeting.history.earliest().history_user == actor


@pytest.mark.parametrize("door", DOORS)
def test_each_door_mails_the_attendee_an_invitation_after_commit(
    door, actor, attendee, colombia, mailoutbox, django_capture_on_commit_callbacks
):
    starts_at = datetime.datetime(2027, 3, 9, 15, 0, tzinfo=datetime.UTC)

    with django_capture_on_commit_callbacks(execute=True):
        meeting = create_through(
            door, actor=actor, attendee=attendee, colombia=colombia, starts_at=starts_at
        )
        assert mailoutbox == []  # nothing is sent before the commit
        assert OutboundEmail.objects.filter(to_email=attendee.email).exists()

    invitations = [m for m in mailoutbox if attendee.email in m.to]
    assert len(invitations) == 1
    assert meeting.title in invitations[0].subject
    assert "text/calendar" in str(invitations[0].message())


def update_through(door, meeting, *, actor, starts_at):
    ends_at = starts_at + datetime.timedelta(hours=1)
    if door == "service":
        plan = meeting_services.meeting_plan(
            details=meeting_services.MeetingDetails.of(
                meeting, starts_at=starts_at, ends_at=ends_at
            ),
            acting_user=actor,
            meeting=meeting,
        )
        meeting_services.meeting_update(
            meeting=meeting,
            version=concurrency.version_token(meeting),
            plan=plan,
            acting_user=actor,
        )
        return
    client = logged_in(actor)
    if door == "page":
        url = reverse("cooperation:meeting-edit", args=[meeting.pk])
        form = client.get(url).context["form"]
        response = client.post(
            url,
            {
                "title": meeting.title,
                "status": meeting.status,
                "time_zone": meeting.time_zone,
                "starts_at": f"{local(starts_at):%Y-%m-%dT%H:%M}",
                "ends_at": f"{local(ends_at):%Y-%m-%dT%H:%M}",
                "nations": [str(n.pk) for n in meeting.nations.all()],
                "attendees": [str(u.pk) for u in meeting.attendees.all()],
                "release-released_to_all": "on",
                "version": form.initial["version"],
                "agenda-TOTAL_FORMS": "0",
                "agenda-INITIAL_FORMS": "0",
                "confirm-confirm_warnings": "on",
            },
        )
        if response.status_code == 200 and response.context.get("confirm"):
            data = {
                **response.context["form"].data.dict(),
                "nations": [str(n.pk) for n in meeting.nations.all()],
                "attendees": [str(u.pk) for u in meeting.attendees.all()],
                "confirm-confirm_warnings": "on",
                "confirm-warnings_digest": response.context["confirm"].initial[
                    "warnings_digest"
                ],
            }
            response = client.post(url, data)
        assert response.status_code == 302, form_errors(response)
        return
    url = reverse("admin:cooperation_assessmentmeeting_change", args=[meeting.pk])
    with zoneinfo_of_admin():
        response = client.post(url, admin_change_data(client, url, meeting, starts_at))
    assert response.status_code == 302, (
        response.context["adminform"].form.errors if response.context else response
    )


def admin_change_data(client, url, meeting, starts_at):
    ends_at = starts_at + datetime.timedelta(hours=1)
    form = client.get(url).context["adminform"].form
    return {
        **inline_management_data(client, url),
        "title": meeting.title,
        "status": meeting.status,
        "time_zone": meeting.time_zone,
        "starts_at_0": f"{starts_at:%Y-%m-%d}",
        "starts_at_1": f"{starts_at:%H:%M:%S}",
        "ends_at_0": f"{ends_at:%Y-%m-%d}",
        "ends_at_1": f"{ends_at:%H:%M:%S}",
        "nations": [str(n.pk) for n in meeting.nations.all()],
        "invitees": [str(u.pk) for u in meeting.attendees.all()],
        "released_to_all": "on",
        "loaded_version": form.initial["loaded_version"],
    }


@pytest.mark.parametrize("door", DOORS)
def test_each_door_moving_a_meeting_raises_its_sequence_and_invites_again(
    door, actor, attendee, colombia, notify, django_capture_on_commit_callbacks
):
    meeting = create_through(
        "service",
        actor=actor,
        attendee=attendee,
        colombia=colombia,
        starts_at=datetime.datetime(2027, 3, 9, 15, 0, tzinfo=datetime.UTC),
    )
    notify.reset_mock()
    moved = datetime.datetime(2027, 3, 10, 16, 0, tzinfo=datetime.UTC)

    with django_capture_on_commit_callbacks(execute=True):
        update_through(door, meeting, actor=actor, starts_at=moved)

    meeting.refresh_from_db()
    assert meeting.starts_at == moved
    assert meeting.sequence == 1
    assert notify.call_count == 1
    assert notify.call_args.kwargs["kind"] == "request"
    assert meeting.history.latest().history_user == actor


def test_an_admin_save_of_a_stale_form_changes_nothing(actor, attendee, colombia):
    starts_at = datetime.datetime(2027, 3, 9, 15, 0, tzinfo=datetime.UTC)
    meeting = create_through(
        "service",
        actor=actor,
        attendee=attendee,
        colombia=colombia,
        starts_at=starts_at,
    )
    client = logged_in(actor)
    url = reverse("admin:cooperation_assessmentmeeting_change", args=[meeting.pk])
    stale = admin_change_data(client, url, meeting, starts_at)
    # Someone else moves it meanwhile.
    update_through(
        "service",
        meeting,
        actor=actor,
        starts_at=datetime.datetime(2027, 3, 11, 15, 0, tzinfo=datetime.UTC),
    )

    with zoneinfo_of_admin():
        response = client.post(url, {**stale, "location": "Quito"})

    assert response.status_code == 200
    assert "Someone else saved this record" in response.content.decode()
    meeting.refresh_from_db()
    assert (meeting.location, meeting.starts_at.day) == ("", 11)


def test_marking_a_meeting_held_in_the_admin_carries_its_open_items_over(
    actor, attendee, colombia
):
    plan = meeting_services.meeting_plan(
        details=meeting_services.MeetingDetails(
            title="Andean review",
            starts_at=datetime.datetime(2027, 3, 9, 15, tzinfo=datetime.UTC),
            ends_at=datetime.datetime(2027, 3, 9, 16, tzinfo=datetime.UTC),
            time_zone="America/Bogota",
            nations=(colombia,),
        ),
        acting_user=actor,
        repeat=meeting_services.Repeat(frequency="weekly", count=2),
    )
    first, second = meeting_services.meeting_create(plan=plan, acting_user=actor)
    factories.AgendaItemFactory(meeting=first, title="Port security", covered=False)
    client = logged_in(actor)
    url = reverse("admin:cooperation_assessmentmeeting_change", args=[first.pk])
    data = admin_change_data(client, url, first, first.starts_at)

    with zoneinfo_of_admin():
        response = client.post(url, {**data, "status": "held"})

    assert response.status_code == 302, [
        (inline.formset.prefix, inline.formset.errors, inline.formset.non_form_errors())
        for inline in response.context["inline_admin_formsets"]
    ]
    assert list(second.agenda_items.values_list("title", flat=True)) == [
        "Port security"
    ]


# --------------------------------------------------------------- query budgets


def series_details(colombia, attendee):
    starts_at = datetime.datetime(2027, 3, 9, 15, tzinfo=datetime.UTC)
    return meeting_services.MeetingDetails(
        title="Andean review",
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=1),
        time_zone="America/Bogota",
        nations=(colombia,),
        attendees=(attendee,),
    )


@pytest.mark.parametrize("count", [2, 24])
def test_planning_a_series_reads_the_same_queries_for_any_number_of_occurrences(
    count, actor, attendee, colombia, django_assert_num_queries
):
    details = series_details(colombia, attendee)
    repeat = meeting_services.Repeat(frequency="weekly", count=count)

    # The series' four check constraints (a query and its savepoint pair each),
    # then the meetings the occurrences could overlap (none: nothing prefetched).
    with django_assert_num_queries(13):
        plan = meeting_services.meeting_plan(
            details=details, acting_user=actor, repeat=repeat
        )

    assert len(plan.occurrences) == count


def test_editing_this_and_following_plans_in_a_fixed_number_of_queries(
    actor, attendee, colombia, django_assert_num_queries
):
    plan = meeting_services.meeting_plan(
        details=series_details(colombia, attendee),
        acting_user=actor,
        repeat=meeting_services.Repeat(frequency="weekly", count=12),
    )
    first, *_rest = meeting_services.meeting_create(plan=plan, acting_user=actor)

    # The stored meeting, the following occurrences, the meetings they could
    # overlap (the series' own are left out, so none here).
    with django_assert_num_queries(3):
        plan = meeting_services.meeting_plan(
            details=series_details(colombia, attendee),
            acting_user=actor,
            meeting=first,
            scope=meeting_services.Scope.FOLLOWING,
        )

    assert len(plan.occurrences) == 12
