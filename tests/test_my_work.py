"""My work: what the signed-in user owes, on its page and the dashboard's first
panel; the meetings list and the dashboard put the next meeting first."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from cooperation import my_work, roles
from cooperation.models import AssessmentMeeting, Invitation, Recommendation
from tests import factories

pytestmark = pytest.mark.django_db

URL = reverse("cooperation:my-work")
Status = Recommendation.Status


def member(user, role):
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def me(colombian_user):
    """A Colombian coordinator: records assessments and publishes minutes."""
    return member(colombian_user, roles.COORDINATOR)


@pytest.fixture
def withheld(brazil):
    return {"released_to_all": False, "released_to": [brazil]}


def days(n):
    return timezone.localdate() + datetime.timedelta(days=n)


def meeting(*, in_days, **fields):
    starts = timezone.now() + datetime.timedelta(days=in_days)
    return factories.AssessmentMeetingFactory(
        starts_at=starts, ends_at=starts + datetime.timedelta(hours=2), **fields
    )


# ------------------------------------------------------------------------ reads


def test_owned_recommendations_put_the_most_overdue_first_with_days_late(me):
    factories.RecommendationFactory(owner=me, due_date=days(10), title="Later")
    factories.RecommendationFactory(owner=me, due_date=None, title="Undated")
    factories.RecommendationFactory(owner=me, due_date=days(-2), title="Late")
    factories.RecommendationFactory(
        owner=me, due_date=days(-9), status=Status.IN_PROGRESS, title="Latest"
    )
    factories.RecommendationFactory(owner=me, status=Status.IMPLEMENTED)
    factories.RecommendationFactory(due_date=days(-30))  # someone else's

    rows = my_work.my_work(me).recommendations.rows

    assert [r.title for r in rows] == ["Latest", "Late", "Later", "Undated"]
    assert [r.days_late for r in rows] == [9, 2, 0, 0]


def test_my_work_never_lists_a_withheld_record(colombian_user, colombia, withheld):
    me = member(colombian_user, roles.EDITOR)
    factories.RecommendationFactory(owner=me, due_date=days(-3), **withheld)
    hidden_meeting = meeting(in_days=3, **withheld)
    hidden_meeting.nations.set([colombia])
    factories.InvitationFactory(meeting=hidden_meeting, user=me)
    shown = factories.RecommendationFactory(owner=me, due_date=days(-1))

    work = my_work.my_work(me)

    assert work.recommendations.rows == [shown]
    assert work.recommendations.total == 1
    assert work.invitations.total == work.assessments.total == 0
    # Released to Colombia, the same meeting is owed on both counts.
    hidden_meeting.released_to.add(colombia)
    work = my_work.my_work(me)
    assert work.invitations.total == work.assessments.total == 1


def test_unanswered_invitations_to_upcoming_meetings_only(me):
    soon = meeting(in_days=2, title="Soon")
    later = meeting(in_days=9, title="Later")
    answered = meeting(in_days=3)
    past = meeting(in_days=-3)
    cancelled = meeting(in_days=4, status=AssessmentMeeting.Status.CANCELLED)
    for m in (later, soon, past, cancelled):
        factories.InvitationFactory(meeting=m, user=me)
    factories.InvitationFactory(
        meeting=answered, user=me, response=Invitation.Response.ACCEPTED
    )
    factories.InvitationFactory(meeting=meeting(in_days=1))  # someone else's

    rows = my_work.my_work(me).invitations.rows

    assert [invitation.meeting.title for invitation in rows] == ["Soon", "Later"]


def test_assessments_my_nation_has_not_recorded_for_upcoming_meetings(
    me, colombia, brazil
):
    todo = meeting(in_days=5, title="To do")
    done = meeting(in_days=6, title="Done")
    other = meeting(in_days=7, title="Brazil only")
    over = meeting(in_days=-7, title="Over")
    for m in (todo, done, over):
        m.nations.set([colombia, brazil])
    other.nations.set([brazil])
    factories.SituationAssessmentFactory(meeting=done, nation=colombia, is_draft=True)
    factories.SituationAssessmentFactory(meeting=todo, nation=brazil, is_draft=True)

    assert [m.title for m in my_work.my_work(me).assessments.rows] == ["To do"]


def test_a_viewer_or_a_user_without_a_nation_owes_no_assessment(
    colombian_user, colombia
):
    m = meeting(in_days=5)
    m.nations.set([colombia])
    viewer = member(colombian_user, roles.VIEWER)
    stateless = member(factories.UserFactory(nation=None), roles.EDITOR)

    assert my_work.my_work(viewer).assessments.total == 0
    assert my_work.my_work(stateless).assessments.total == 0


def test_minutes_to_publish_are_the_held_meetings_i_chair_with_drafts(me):
    held = AssessmentMeeting.Status.HELD
    meeting(in_days=-3, title="Mine", chair=me, status=held)
    meeting(
        in_days=-5,
        chair=me,
        status=held,
        minutes_status=AssessmentMeeting.MinutesStatus.PUBLISHED,
    )
    meeting(in_days=-4, chair=me)  # not held
    meeting(in_days=-2, status=held)  # chaired by someone else

    assert [m.title for m in my_work.my_work(me).minutes.rows] == ["Mine"]


def test_each_list_is_bounded_and_counts_all(me):
    for n in range(my_work.PANEL_ROWS + 3):
        factories.RecommendationFactory(owner=me, due_date=days(n))

    work = my_work.my_work(me, limit=my_work.PANEL_ROWS)

    assert len(work.recommendations.rows) == my_work.PANEL_ROWS
    assert work.recommendations.total == my_work.PANEL_ROWS + 3


def test_the_reads_run_a_fixed_number_of_queries(me, django_assert_num_queries):
    for n in range(30):
        factories.RecommendationFactory(owner=me, due_date=days(n - 15))
        factories.InvitationFactory(meeting=meeting(in_days=n + 1), user=me)
    me = type(me).objects.select_related("nation").get(pk=me.pk)
    me.has_perm("cooperation.view_recommendation")  # the permissions, read once

    # Rows and count of each of the four lists.
    with django_assert_num_queries(8):
        work = my_work.my_work(me)

    assert work.recommendations.total == work.invitations.total == 30


# ------------------------------------------------------------------------ pages


def test_the_page_shows_an_overdue_recommendation_first_with_days_late(client, me):
    factories.RecommendationFactory(owner=me, due_date=days(5), title="Due soon")
    factories.RecommendationFactory(owner=me, due_date=days(-4), title="Four late")
    client.force_login(me)

    response = client.get(URL)

    body = response.content.decode()
    assert response.status_code == 200
    assert body.index("Four late") < body.index("Due soon")
    assert 'role="heading" aria-level="2" id="my-recommendations-heading"' in body
    assert "4 days late" in body


def test_the_page_says_when_nothing_is_waiting(client, me):
    client.force_login(me)
    assert "Nothing is waiting for you." in client.get(URL).content.decode()


def test_the_page_links_to_the_filtered_list_when_there_are_more(client, me):
    for n in range(my_work.PAGE_ROWS + 1):
        factories.RecommendationFactory(owner=me, due_date=days(n))
    client.force_login(me)

    body = client.get(URL).content.decode()

    assert f"All {my_work.PAGE_ROWS + 1} open recommendations I own" in body
    assert "?mine=1&amp;status=proposed" in body


def test_the_page_names_no_withheld_record(client, colombian_user, withheld):
    me = member(colombian_user, roles.EDITOR)
    factories.RecommendationFactory(owner=me, title="Secret plan", **withheld)
    client.force_login(me)

    assert "Secret plan" not in client.get(URL).content.decode()


def test_the_page_needs_a_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_the_dashboards_first_panel_is_my_work(client, me):
    factories.RecommendationFactory(owner=me, due_date=days(-2), title="Two late")
    client.force_login(me)

    body = client.get(reverse("cooperation:dashboard")).content.decode()

    assert body.index('id="my-work-heading"') < body.index('id="upcoming-heading"')
    # Its lists are headed one level below the panel's own heading.
    assert 'role="heading" aria-level="3" id="my-recommendations-heading"' in body
    assert "Two late" in body
    assert "2 days late" in body


def test_the_navbar_links_to_my_work(client, me):
    client.force_login(me)
    body = client.get(reverse("cooperation:dashboard")).content.decode()
    assert f'href="{URL}"' in body


# ------------------------------------------------------ the next meeting first


def test_the_dashboard_shows_the_next_meeting_beyond_30_days(client, me):
    meeting(in_days=45, title="Far away")
    client.force_login(me)

    response = client.get(reverse("cooperation:dashboard"))

    assert [m.title for m in response.context["upcoming_meetings"]] == ["Far away"]


def test_the_meetings_list_puts_the_next_meeting_first(client, me):
    meeting(in_days=-1, title="Yesterday")
    meeting(in_days=-30, title="Last month")
    meeting(in_days=40, title="In forty days")
    meeting(in_days=3, title="In three days")
    client.force_login(me)
    url = reverse("cooperation:meeting-list")

    default = client.get(url)
    starts = client.get(url, {"sort": "-starts"})

    def titles(response):
        return [m.title for m in response.context["object_list"]]

    assert titles(default) == [
        "In three days",
        "In forty days",
        "Yesterday",
        "Last month",
    ]
    # The plain sort by start is still offered.
    assert titles(starts) == [
        "In forty days",
        "In three days",
        "Yesterday",
        "Last month",
    ]
