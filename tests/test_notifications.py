"""Notifications: who is told of what (never the actor, never someone who may not see
the record, never an inactive account), how (portal, e-mail at once, daily digest),
the notifications page with its unread count in the navigation bar, following a
recommendation, and the preferences on the profile page."""

import datetime
import zoneinfo

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cooperation import roles
from cooperation.models import (
    AssessmentMeeting,
    Document,
    Follow,
    Invitation,
    Notification,
    NotificationPreference,
    OutboundEmail,
    Recommendation,
    RecommendationUpdate,
)
from cooperation.services import meetings as meeting_services
from cooperation.services import notifications as notification_services
from cooperation.services import recommendations as recommendation_services
from tests import factories

pytestmark = pytest.mark.django_db

Kind = Notification.Kind
Delivery = NotificationPreference.Delivery


def _member(user, role):
    user.groups.add(Group.objects.get(name=role))
    return user


def told(kind=None):
    """``{recipient username}`` of the notifications (of ``kind``)."""
    rows = Notification.objects.all()
    if kind is not None:
        rows = rows.filter(kind=kind)
    return set(rows.values_list("recipient__username", flat=True))


@pytest.fixture
def people(colombia, brazil, united_states):
    """An owner and followers of a recommendation released to Colombia only."""
    owner = factories.UserFactory(username="owner", nation=colombia)
    actor = _member(factories.UserFactory(username="actor", nation=colombia), "Editor")
    follower = factories.UserFactory(username="follower", nation=colombia)
    outsider = factories.UserFactory(username="outsider", nation=brazil)
    inactive = factories.UserFactory(
        username="inactive", nation=colombia, is_active=False
    )
    coordinator = _member(
        factories.UserFactory(username="coordinator", nation=united_states),
        roles.COORDINATOR,
    )
    stateless = factories.UserFactory(username="stateless", nation=None)
    recommendation = factories.RecommendationFactory(
        owner=owner,
        status=Recommendation.Status.PROPOSED,
        released_to_all=False,
        released_to=[colombia],
    )
    for user in (follower, outsider, inactive, coordinator, stateless, actor):
        factories.FollowFactory(user=user, recommendation=recommendation)
    return {
        "owner": owner,
        "actor": actor,
        "follower": follower,
        "outsider": outsider,
        "coordinator": coordinator,
        "recommendation": recommendation,
        "colombia": colombia,
        "brazil": brazil,
    }


def transition(people, to_status=Recommendation.Status.ACCEPTED):
    return recommendation_services.recommendation_transition(
        recommendation=people["recommendation"],
        acting_user=people["actor"],
        to_status=to_status,
        note="Agreed by the ministry.",
    )


# ------------------------------------------------------------------- recipients


def test_status_change_tells_the_owner_and_followers_who_may_see_it_not_the_actor(
    people,
):
    transition(people)

    # Not the actor, the Brazilian (not released to Brazil), the inactive follower,
    # nor the follower without a nation (not released to all partners); the
    # coordinator sees every record.
    assert told(Kind.STATUS_CHANGED) == {"owner", "follower", "coordinator"}
    notification = Notification.objects.get(recipient=people["owner"])
    assert notification.actor == people["actor"]
    assert notification.recommendation == people["recommendation"]
    assert notification.detail == {"from": "proposed", "to": "accepted"}
    assert notification.read_at is None and notification.emailed_at is None


def test_a_record_released_to_all_tells_every_active_follower(people):
    Recommendation.objects.filter(pk=people["recommendation"].pk).update(
        released_to_all=True
    )

    transition(people)

    assert told() == {"owner", "follower", "coordinator", "outsider", "stateless"}


def test_a_user_with_the_view_all_permission_of_their_own_is_told(people, brazil):
    outsider = people["outsider"]
    outsider.user_permissions.add(Permission.objects.get(codename="view_all_records"))

    transition(people)

    assert "outsider" in told()


def test_a_superuser_follower_is_told(people, superuser):
    factories.FollowFactory(user=superuser, recommendation=people["recommendation"])

    transition(people)

    assert "root" in told()


def test_the_actor_who_owns_it_is_not_told(people):
    Recommendation.objects.filter(pk=people["recommendation"].pk).update(
        owner=people["actor"]
    )
    people["recommendation"].refresh_from_db()

    transition(people)

    assert "actor" not in told()
    assert told() == {"follower", "coordinator"}


def test_raising_a_recommendation_tells_its_owner_unless_they_raised_it(
    people, colombia
):
    focus = factories.FocusAreaFactory()
    raised = recommendation_services.recommendation_create(
        acting_user=people["coordinator"],
        title="Joint patrols",
        description="Monthly.",
        focus_area=focus,
        owner=people["owner"],
        released_to_all=False,
        released_to=[colombia],
    )
    assert told(Kind.ASSIGNED) == {"owner"}
    assert Notification.objects.get().recommendation == raised

    recommendation_services.recommendation_create(
        acting_user=people["owner"],
        title="Own patrols",
        description="Weekly.",
        focus_area=focus,
        owner=people["owner"],
        released_to_all=True,
    )
    assert Notification.objects.count() == 1


def test_a_new_owner_is_told_and_an_unchanged_owner_is_not(people):
    recommendation = Recommendation.objects.get(pk=people["recommendation"].pk)
    recommendation.title = "A new title"
    recommendation_services.recommendation_update(
        recommendation=recommendation, version=None, acting_user=people["coordinator"]
    )
    assert Notification.objects.count() == 0

    recommendation.owner = people["follower"]
    recommendation_services.recommendation_update(
        recommendation=recommendation, version=None, acting_user=people["coordinator"]
    )
    assert told(Kind.ASSIGNED) == {"follower"}


def test_a_new_owner_who_may_not_see_it_is_not_told(people):
    recommendation = Recommendation.objects.get(pk=people["recommendation"].pk)
    recommendation.owner = people["outsider"]
    recommendation_services.recommendation_update(
        recommendation=recommendation, version=None, acting_user=people["coordinator"]
    )
    assert Notification.objects.count() == 0


@pytest.mark.parametrize(
    ("kind", "progress", "detail"),
    [
        (RecommendationUpdate.Kind.COMMENT, 0, {"update": "comment"}),
        (
            RecommendationUpdate.Kind.PROGRESS,
            60,
            {"update": "progress", "progress": 60},
        ),
    ],
)
def test_a_comment_or_progress_update_tells_the_owner_and_followers(
    people, kind, progress, detail
):
    update = factories.RecommendationUpdateFactory(
        recommendation=people["recommendation"],
        author=people["actor"],
        kind=kind,
        progress=progress,
        from_status="proposed",
        to_status="proposed",
        note="On track.",
    )

    notification_services.notify_comment(update=update, actor=people["actor"])

    assert told(Kind.COMMENT) == {"owner", "follower", "coordinator"}
    assert [n.detail for n in Notification.objects.all()] == [detail] * 3


def test_published_minutes_tell_the_attendees_who_may_see_the_meeting(people, colombia):
    meeting = factories.AssessmentMeetingFactory(
        status=AssessmentMeeting.Status.HELD,
        starts_at=timezone.now() - datetime.timedelta(days=1),
        ends_at=timezone.now()
        - datetime.timedelta(days=1)
        + datetime.timedelta(hours=2),
        released_to_all=False,
        released_to=[colombia],
        minutes="Agreed on patrols.",
    )
    for user, response in (
        (people["owner"], Invitation.Response.ACCEPTED),
        (people["follower"], Invitation.Response.DECLINED),
        (people["outsider"], Invitation.Response.ACCEPTED),
        (people["actor"], Invitation.Response.ACCEPTED),
        (people["coordinator"], Invitation.Response.NEEDS_ACTION),
    ):
        factories.InvitationFactory(meeting=meeting, user=user, response=response)

    meeting_services.meeting_publish_minutes(
        meeting=AssessmentMeeting.objects.get(pk=meeting.pk),
        acting_user=people["actor"],
    )

    assert told(Kind.MINUTES_PUBLISHED) == {"owner", "coordinator"}
    assert {n.meeting_id for n in Notification.objects.all()} == {meeting.pk}


def test_a_document_tells_who_its_parent_concerns(people, colombia):
    recommendation = people["recommendation"]
    on_recommendation = Document.objects.create(
        recommendation=recommendation, title="Evidence", uploaded_by=people["actor"]
    )
    notification_services.notify_document_added(
        document=on_recommendation, actor=people["actor"]
    )
    assert told(Kind.DOCUMENT_ADDED) == {"owner", "follower", "coordinator"}

    Notification.objects.all().delete()
    initiative = factories.InitiativeFactory(
        owner=people["owner"], released_to_all=False, released_to=[colombia]
    )
    on_initiative = Document.objects.create(
        initiative=initiative, title="Report", uploaded_by=people["actor"]
    )
    notification_services.notify_document_added(
        document=on_initiative, actor=people["actor"]
    )
    assert told(Kind.DOCUMENT_ADDED) == {"owner"}
    assert Notification.objects.get().initiative == initiative

    Notification.objects.all().delete()
    meeting = factories.AssessmentMeetingFactory(
        released_to_all=False, released_to=[colombia]
    )
    factories.InvitationFactory(meeting=meeting, user=people["follower"])
    factories.InvitationFactory(meeting=meeting, user=people["outsider"])
    on_meeting = Document.objects.create(
        meeting=meeting, title="Slides", uploaded_by=people["actor"]
    )
    notification_services.notify_document_added(
        document=on_meeting, actor=people["actor"]
    )
    assert told(Kind.DOCUMENT_ADDED) == {"follower"}
    notification = Notification.objects.get()
    assert (notification.meeting, notification.document) == (meeting, on_meeting)


def test_a_hook_costs_the_same_queries_however_many_are_told(
    people, colombia, django_assert_num_queries
):
    recommendation = people["recommendation"]
    update = RecommendationUpdate(
        recommendation=recommendation,
        kind=RecommendationUpdate.Kind.COMMENT,
        author=people["actor"],
        to_status="proposed",
    )
    # The recipients with their preference, the INSERT.
    with django_assert_num_queries(2):
        notification_services.notify_comment(update=update, actor=people["actor"])
    for _ in range(10):
        factories.FollowFactory(
            user=factories.UserFactory(nation=colombia), recommendation=recommendation
        )
    with django_assert_num_queries(2):
        notification_services.notify_comment(update=update, actor=people["actor"])
    assert Notification.objects.count() == 3 + 13


# -------------------------------------------------------------------- e-mail


def test_immediate_delivery_queues_an_email_in_the_recipients_language(people):
    owner = people["owner"]
    owner.language = "es"
    owner.save()
    notification_services.notification_set_preferences(
        user=owner, choices={Kind.STATUS_CHANGED: Delivery.IMMEDIATE}
    )

    transition(people)

    notification = Notification.objects.get(recipient=owner)
    assert notification.emailed_at is not None
    email = OutboundEmail.objects.get()
    assert email.key == f"notification:{notification.pk}"
    assert email.kind == OutboundEmail.Kind.NOTIFICATION
    assert (email.recipient, email.to_email, email.language) == (
        owner,
        owner.email,
        "es",
    )
    assert "«Propuesta»" in email.body and "«Aceptada»" in email.body
    assert people["recommendation"].get_absolute_url() in email.body
    # The others kept the default: the portal only.
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 2


def test_immediate_delivery_of_another_kind_sends_nothing(people):
    notification_services.notification_set_preferences(
        user=people["owner"], choices={Kind.COMMENT: Delivery.IMMEDIATE}
    )

    transition(people)

    assert not OutboundEmail.objects.exists()


def _digest_world(people):
    owner = people["owner"]
    owner.time_zone = "America/Bogota"
    owner.save()
    notification_services.notification_set_preferences(
        user=owner,
        choices={Kind.STATUS_CHANGED: Delivery.DIGEST, Kind.COMMENT: Delivery.DIGEST},
    )
    return owner


def _at(day, hour, zone="America/Bogota"):
    return datetime.datetime.combine(
        day, datetime.time(hour), tzinfo=zoneinfo.ZoneInfo(zone)
    )


def test_the_daily_digest_goes_once_a_day_after_seven_in_the_users_zone(people):
    owner = _digest_world(people)
    day = datetime.date(2026, 11, 30)
    transition(people)
    Notification.objects.update(created_at=_at(day, 2))

    # Before 07:00 in Bogotá: nothing yet (it is 11:30 UTC).
    assert notification_services.notifications_send_digest(now=_at(day, 6)) == 0
    assert notification_services.notifications_send_digest(now=_at(day, 7)) == 1
    # Again the same day: nothing more.
    assert notification_services.notifications_send_digest(now=_at(day, 8)) == 0

    email = OutboundEmail.objects.get()
    assert email.key == f"notification_digest:{owner.pk}:{day.isoformat()}"
    assert email.kind == OutboundEmail.Kind.NOTIFICATION_DIGEST
    assert email.recipient == owner
    assert people["recommendation"].reference in email.body
    owned = Notification.objects.get(recipient=owner)
    assert owned.emailed_at is not None
    # The others chose the portal only.
    assert not Notification.objects.exclude(recipient=owner).filter(
        emailed_at__isnull=False
    )


def test_a_notification_after_seven_waits_for_the_next_days_digest(people):
    owner = _digest_world(people)
    day = datetime.date(2026, 11, 30)
    transition(people)
    Notification.objects.update(created_at=_at(day, 2))
    assert notification_services.notifications_send_digest(now=_at(day, 7)) == 1

    transition(people, to_status=Recommendation.Status.IN_PROGRESS)
    Notification.objects.filter(emailed_at__isnull=True).update(created_at=_at(day, 10))
    assert notification_services.notifications_send_digest(now=_at(day, 11)) == 0
    next_day = day + datetime.timedelta(days=1)
    assert notification_services.notifications_send_digest(now=_at(next_day, 7)) == 1
    assert OutboundEmail.objects.filter(recipient=owner).count() == 2
    assert not Notification.objects.filter(recipient=owner, emailed_at=None)


def test_the_digest_leaves_out_a_record_withheld_since(people, brazil):
    _digest_world(people)
    day = datetime.date(2026, 11, 30)
    transition(people)
    Notification.objects.update(created_at=_at(day, 2))
    people["recommendation"].released_to.set([brazil])

    assert notification_services.notifications_send_digest(now=_at(day, 7)) == 0
    assert not OutboundEmail.objects.exists()


def test_the_send_reminders_command_queues_the_digests(people):
    from io import StringIO

    from django.core.management import call_command

    _digest_world(people)
    transition(people)
    Notification.objects.update(created_at=timezone.now() - datetime.timedelta(days=2))
    out = StringIO()

    call_command("send_reminders", stdout=out)

    assert "Queued 1 daily digest(s) of notifications." in out.getvalue()
    assert (
        OutboundEmail.objects.filter(
            kind=OutboundEmail.Kind.NOTIFICATION_DIGEST
        ).count()
        == 1
    )


# ------------------------------------------------------------------ preferences


def test_preferences_are_stored_and_changed(people):
    owner = people["owner"]
    assert notification_services.notification_preferences(user=owner) == dict.fromkeys(
        Kind.values, Delivery.PORTAL
    )
    notification_services.notification_set_preferences(
        user=owner, choices={Kind.COMMENT: Delivery.DIGEST}
    )
    notification_services.notification_set_preferences(
        user=owner,
        choices={Kind.COMMENT: Delivery.IMMEDIATE, Kind.ASSIGNED: Delivery.DIGEST},
    )
    stored = notification_services.notification_preferences(user=owner)
    assert stored[Kind.COMMENT] == Delivery.IMMEDIATE
    assert stored[Kind.ASSIGNED] == Delivery.DIGEST
    assert NotificationPreference.objects.filter(user=owner).count() == 2


def test_an_unknown_preference_is_refused(people):
    with pytest.raises(ValidationError):
        notification_services.notification_set_preferences(
            user=people["owner"], choices={Kind.COMMENT: "carrier pigeon"}
        )
    assert not NotificationPreference.objects.exists()


def test_the_profile_page_saves_the_choices(client, people):
    client.force_login(people["owner"])
    page = client.get(reverse("cooperation:profile"))
    assert 'name="notifications-comment"' in page.content.decode()
    data = {f"notifications-{kind}": Delivery.PORTAL for kind in Kind.values}
    data["notifications-comment"] = Delivery.DIGEST

    response = client.post(reverse("cooperation:notification-preferences"), data)

    assert response.status_code == 302
    assert NotificationPreference.objects.get(kind=Kind.COMMENT).delivery == "digest"


def test_the_profile_page_refuses_a_bad_choice_with_400(client, people):
    client.force_login(people["owner"])
    data = {f"notifications-{kind}": "fax" for kind in Kind.values}

    response = client.post(reverse("cooperation:notification-preferences"), data)

    assert response.status_code == 400
    assert not NotificationPreference.objects.exists()


# ------------------------------------------------------------ the page and badge


def unread_badge(response):
    html = response.content.decode()
    marker = 'id="unread-notifications">'
    if marker not in html:
        return None
    return html.split(marker, 1)[1].split("<", 1)[0]


def test_the_list_shows_the_sentences_newest_first_and_the_badge_counts(client, people):
    transition(people)
    transition(people, to_status=Recommendation.Status.IN_PROGRESS)
    client.force_login(people["owner"])

    response = client.get(reverse("cooperation:notification-list"))

    assert response.status_code == 200
    html = response.content.decode()
    reference = people["recommendation"].reference
    newest = f"moved {reference} “{people['recommendation'].title}” from “Accepted” to “In progress”"
    oldest = "from “Proposed” to “Accepted”"
    assert html.index(newest) < html.index(oldest)
    assert unread_badge(response) == "2"


def test_the_list_is_in_the_readers_language(client, people):
    transition(people)
    people["owner"].language = "es"
    people["owner"].save()
    client.force_login(people["owner"])

    html = client.get(reverse("cooperation:notification-list")).content.decode()

    assert "«Propuesta»" in html and "«Aceptada»" in html


def test_opening_a_notification_marks_it_read_and_goes_to_its_record(client, people):
    transition(people)
    client.force_login(people["owner"])
    notification = Notification.objects.get(recipient=people["owner"])

    response = client.post(
        reverse("cooperation:notification-read", args=[notification.pk]),
        {"open": "1"},
    )

    assert response.status_code == 302
    assert response["Location"] == people["recommendation"].get_absolute_url()
    notification.refresh_from_db()
    assert notification.read_at is not None
    page = client.get(reverse("cooperation:dashboard"))
    assert unread_badge(page) is None


def test_mark_all_read(client, people):
    transition(people)
    transition(people, to_status=Recommendation.Status.IN_PROGRESS)
    client.force_login(people["owner"])

    response = client.post(reverse("cooperation:notification-read-all"))

    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=people["owner"], read_at=None)
    # Another's stay unread.
    assert Notification.objects.filter(recipient=people["follower"], read_at=None)


def test_another_users_notification_answers_404(client, people):
    transition(people)
    notification = Notification.objects.get(recipient=people["owner"])
    client.force_login(people["follower"])

    response = client.post(
        reverse("cooperation:notification-read", args=[notification.pk])
    )

    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_the_list_and_read_views_refuse_get_or_post(client, people):
    client.force_login(people["owner"])
    assert client.post(reverse("cooperation:notification-list")).status_code == 405
    assert client.get(reverse("cooperation:notification-read-all")).status_code == 405
    assert (
        client.get(reverse("cooperation:notification-list") + "?page=x").status_code
        == 200
    )


def test_a_withheld_records_notification_is_neither_listed_nor_counted_nor_opened(
    client, people, brazil
):
    transition(people)
    client.force_login(people["follower"])
    before = client.get(reverse("cooperation:notification-list"))
    assert people["recommendation"].reference in before.content.decode()
    assert unread_badge(before) == "1"

    people["recommendation"].released_to.set([brazil])
    notification = Notification.objects.get(recipient=people["follower"])

    after = client.get(reverse("cooperation:notification-list"))
    assert people["recommendation"].reference not in after.content.decode()
    assert people["recommendation"].title not in after.content.decode()
    assert unread_badge(after) is None
    opened = client.post(
        reverse("cooperation:notification-read", args=[notification.pk]),
        {"open": "1"},
    )
    assert opened.status_code == 404


def test_a_deleted_documents_notification_is_not_listed(client, people):
    document = Document.objects.create(
        recommendation=people["recommendation"],
        title="Evidence of patrols",
        uploaded_by=people["actor"],
    )
    notification_services.notify_document_added(
        document=document, actor=people["actor"]
    )
    client.force_login(people["owner"])
    assert (
        "Evidence of patrols"
        in client.get(reverse("cooperation:notification-list")).content.decode()
    )

    document.deleted_at = timezone.now()
    document.save(update_fields=["deleted_at"])

    page = client.get(reverse("cooperation:notification-list"))
    assert "Evidence of patrols" not in page.content.decode()
    assert unread_badge(page) is None


def _queries(client, url):
    cache.clear()  # cold, as tests/test_query_budget.py measures
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


def test_the_list_shows_fifty_and_costs_the_same_with_many_more(client, people):
    client.force_login(people["owner"])
    factories.NotificationFactory.create_batch(
        3, recipient=people["owner"], recommendation=people["recommendation"]
    )
    few, _ = _queries(client, reverse("cooperation:notification-list"))
    factories.NotificationFactory.create_batch(
        120, recipient=people["owner"], recommendation=people["recommendation"]
    )
    many, response = _queries(client, reverse("cooperation:notification-list"))

    assert many == few
    assert response.content.decode().count("data-notification=") == 50
    assert unread_badge(response) == "99+"


def test_the_badge_costs_one_query_whatever_is_unread(client, people):
    client.force_login(people["owner"])
    url = reverse("cooperation:calendar-subscription")
    empty, response = _queries(client, url)
    assert unread_badge(response) is None
    factories.NotificationFactory.create_batch(
        30, recipient=people["owner"], recommendation=people["recommendation"]
    )
    some, response = _queries(client, url)
    assert unread_badge(response) == "30"
    assert some == empty
    cache.clear()
    badge = [
        query["sql"]
        for query in _captured(client, url)
        if "cooperation_notification" in query["sql"]
    ]
    assert len(badge) == 1
    # Then kept in the cache until the data changes or the reader reads some.
    assert not [
        query
        for query in _captured(client, url)
        if "cooperation_notification" in query["sql"]
    ]
    notification_services.notification_mark_all_read(acting_user=people["owner"])
    assert unread_badge(client.get(url)) is None


def test_a_new_notification_reaches_a_badge_read_from_the_cache(client, people):
    client.force_login(people["owner"])
    url = reverse("cooperation:calendar-subscription")
    assert unread_badge(client.get(url)) is None

    factories.NotificationFactory(
        recipient=people["owner"], recommendation=people["recommendation"]
    )

    assert unread_badge(client.get(url)) == "1"


def _captured(client, url):
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return queries.captured_queries


# ------------------------------------------------------------------------ follow


def test_follow_and_unfollow_a_recommendation(client, people):
    user = people["owner"]
    recommendation = people["recommendation"]
    client.force_login(user)
    url = reverse("cooperation:recommendation-follow", args=[recommendation.reference])
    page = client.get(recommendation.get_absolute_url()).content.decode()
    assert ">Follow</button>" in page

    assert client.post(url, {"follow": "1"}).status_code == 302
    assert Follow.objects.filter(user=user, recommendation=recommendation).exists()
    page = client.get(recommendation.get_absolute_url()).content.decode()
    assert ">Unfollow</button>" in page
    # Following twice keeps one.
    client.post(url, {"follow": "1"})
    assert Follow.objects.filter(user=user, recommendation=recommendation).count() == 1

    assert client.post(url, {"follow": "0"}).status_code == 302
    assert not Follow.objects.filter(user=user, recommendation=recommendation).exists()


def test_a_withheld_recommendation_cannot_be_followed(client, people):
    client.force_login(people["outsider"])
    Follow.objects.filter(user=people["outsider"]).delete()
    url = reverse(
        "cooperation:recommendation-follow", args=[people["recommendation"].reference]
    )

    assert client.post(url, {"follow": "1"}).status_code == 404
    assert not Follow.objects.filter(user=people["outsider"]).exists()
