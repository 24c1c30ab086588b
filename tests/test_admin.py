"""The admin: every registered model's pages render, no page runs a query per row, and
the writes with rules behind them go through the services."""

import datetime
import itertools
import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cooperation import services
from cooperation.models import (
    AgendaItem,
    AssessmentMeeting,
    Briefing,
    Document,
    DocumentVersion,
    FocusArea,
    Follow,
    Initiative,
    InitiativeEvaluation,
    Invitation,
    MeetingSeries,
    Nation,
    Notification,
    NotificationPreference,
    OutboundEmail,
    Participation,
    Recommendation,
    RecommendationUpdate,
    ReferenceCounter,
    SavedFilter,
    SituationAssessment,
    User,
    UserSession,
)
from tests import factories

pytestmark = pytest.mark.django_db

FEW = 5
MANY = 50

REGISTERED = sorted(
    (model for model in admin.site._registry if model._meta.app_label == "cooperation"),
    key=lambda model: model._meta.model_name,
)
# Shown but never written by hand: the reference counter, the timeline (written by the
# recommendation services) and participations (edited on their initiative).
READ_ONLY = {
    ReferenceCounter,
    RecommendationUpdate,
    Participation,
    OutboundEmail,
    Briefing,
    Notification,
    NotificationPreference,
    Follow,
    SavedFilter,
    # Written by the document services from the records' pages.
    Document,
    DocumentVersion,
}
# Deliberately not in the admin: session bookkeeping, not a record staff manage. Its
# rows are written at login and logout and ended through the User admin's "End all
# sessions" action.
NOT_IN_ADMIN = {UserSession}


def admin_url(model, view, *args):
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


# ------------------------------------------------------------------------- builders

_nation_numbers = itertools.count()


@pytest.fixture(autouse=True)
def fresh_nation_numbers():
    global _nation_numbers
    _nation_numbers = itertools.count()


def new_nation():
    """A nation with codes of its own (J.., Q.., X.., Z..: none a fixture uses)."""
    number = next(_nation_numbers)
    code = "JQXZ"[number // 26 % 4] + chr(ord("A") + number % 26)
    return factories.NationFactory(
        name=f"Nation {code}", iso_alpha2=code, iso_alpha3=f"{code}X"
    )


def nation_pool():
    return [
        factories.NationFactory(name="Pool Alpha", iso_alpha2="KA", iso_alpha3="KAA"),
        factories.NationFactory(name="Pool Bravo", iso_alpha2="KB", iso_alpha3="KBB"),
    ]


def build_nations(n):
    return [new_nation() for _ in range(n)]


def build_focus_areas(n):
    return factories.FocusAreaFactory.create_batch(n)


def build_users(n):
    pool = nation_pool()
    return [factories.UserFactory(nation=pool[i % 2]) for i in range(n)]


def build_initiatives(n):
    lead, partner = nation_pool()
    focus_area = factories.FocusAreaFactory()
    initiatives = []
    for _ in range(n):
        initiative = factories.InitiativeFactory(
            released_to_all=False, released_to=[lead, partner]
        )
        initiative.focus_areas.add(focus_area)
        factories.ParticipationFactory(
            initiative=initiative, nation=lead, role=Participation.Role.LEAD
        )
        factories.ParticipationFactory(initiative=initiative, nation=partner)
        initiatives.append(initiative)
    return initiatives


def build_participations(n):
    return [
        initiative.participations.get(role=Participation.Role.LEAD)
        for initiative in build_initiatives(n)
    ]


def build_meetings(n):
    pool = nation_pool()
    meetings = []
    for _ in range(n):
        meeting = factories.AssessmentMeetingFactory(
            chair=factories.UserFactory(), released_to_all=False, released_to=pool
        )
        meeting.nations.set(pool)
        factories.AgendaItemFactory(meeting=meeting)
        factories.SituationAssessmentFactory(meeting=meeting, nation=pool[0])
        meetings.append(meeting)
    return meetings


def build_agenda_items(n):
    return [
        factories.AgendaItemFactory(presenter=factories.UserFactory()) for _ in range(n)
    ]


def build_assessments(n):
    pool = nation_pool()
    return [factories.SituationAssessmentFactory(nation=pool[0]) for _ in range(n)]


def build_evaluations(n):
    return factories.InitiativeEvaluationFactory.create_batch(n)


def build_reference_counters(n):
    start = 2000 + ReferenceCounter.objects.count()
    return [
        factories.ReferenceCounterFactory(year=year, last_number=7)
        for year in range(start, start + n)
    ]


def build_recommendations(n):
    pool = nation_pool()
    recommendations = []
    for _ in range(n):
        recommendation = factories.RecommendationFactory(
            released_to_all=False,
            released_to=pool[:1],
            source_meeting=factories.AssessmentMeetingFactory(),
            progress=40,  # the latest update's, as the services keep it
        )
        recommendation.nations.set(pool)
        factories.RecommendationUpdateFactory(
            recommendation=recommendation, author=recommendation.owner, progress=40
        )
        recommendations.append(recommendation)
    return recommendations


def build_updates(n):
    return factories.RecommendationUpdateFactory.create_batch(n)


def build_series(n):
    series = []
    for _ in range(n):
        one = factories.MeetingSeriesFactory(created_by=factories.UserFactory())
        factories.AssessmentMeetingFactory(series=one, occurrence_number=1)
        series.append(one)
    return series


def build_invitations(n):
    return [factories.InvitationFactory(user=factories.UserFactory()) for _ in range(n)]


def build_notifications(n):
    return factories.OutboundEmailFactory.create_batch(n)


def build_briefings(n):
    return factories.BriefingFactory.create_batch(n)


def build_user_notifications(n):
    return factories.NotificationFactory.create_batch(n)


def build_notification_preferences(n):
    return factories.NotificationPreferenceFactory.create_batch(n)


def build_follows(n):
    return factories.FollowFactory.create_batch(n)


def build_saved_filters(n):
    return factories.SavedFilterFactory.create_batch(n)


def build_documents(n):
    return factories.DocumentFactory.create_batch(n)


def build_document_versions(n):
    document = factories.DocumentFactory(versions=[])
    return [
        factories.DocumentVersionFactory(document=document, number=number)
        for number in range(1, n + 1)
    ]


BUILDERS = {
    Nation: build_nations,
    FocusArea: build_focus_areas,
    User: build_users,
    Initiative: build_initiatives,
    Participation: build_participations,
    AssessmentMeeting: build_meetings,
    AgendaItem: build_agenda_items,
    SituationAssessment: build_assessments,
    InitiativeEvaluation: build_evaluations,
    ReferenceCounter: build_reference_counters,
    Recommendation: build_recommendations,
    RecommendationUpdate: build_updates,
    MeetingSeries: build_series,
    Invitation: build_invitations,
    OutboundEmail: build_notifications,
    Briefing: build_briefings,
    Notification: build_user_notifications,
    NotificationPreference: build_notification_preferences,
    Follow: build_follows,
    SavedFilter: build_saved_filters,
    Document: build_documents,
    DocumentVersion: build_document_versions,
}


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


def form_data(response):
    """What the admin form in ``response`` posts when nothing is changed."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            key = form.add_prefix(name)
            if value is None or value is False:
                continue
            if value is True:
                data[key] = "on"
            elif isinstance(value, list | tuple):
                data[key] = [str(item) for item in value]
            else:
                data[key] = str(value)
    return data


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


# ----------------------------------------------------------------- registration


def test_every_cooperation_model_is_registered():
    models = {
        model
        for model in apps.get_app_config("cooperation").get_models()
        if not hasattr(model, "instance_type")  # django-simple-history's copies
    }

    assert models >= NOT_IN_ADMIN
    assert set(REGISTERED) == models - NOT_IN_ADMIN
    assert set(BUILDERS) == models - NOT_IN_ADMIN
    assert not any(admin.site.is_registered(model) for model in NOT_IN_ADMIN)


def test_the_default_admin_site_is_the_portals_from_the_start(admin_client):
    """Installed by ``AdminConfig.default_site``: third-party admins (auth's groups,
    django-otp's devices) are registered on it too, and its URLs keep the "admin"
    namespace and the portal's titles."""
    from django.contrib.auth.models import Group
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from cooperation.admin_site import PortalAdminSite

    assert isinstance(admin.site, PortalAdminSite)
    assert admin.site.name == "admin"
    assert admin.site.is_registered(Group)
    assert admin.site.is_registered(TOTPDevice)
    index = admin_client.get(reverse("admin:index"))
    assert index.status_code == 200
    assert "Partner portal administration" in index.content.decode()


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model.__name__)
def test_admin_pages_of_every_model_render_for_a_superuser(
    admin_client, superuser, model
):
    obj = superuser if model is User else BUILDERS[model](1)[0]
    request = RequestFactory().get("/")
    request.user = superuser
    may_add = admin.site._registry[model].has_add_permission(request)

    assert may_add is (model not in READ_ONLY)
    assert admin_client.get(admin_url(model, "changelist")).status_code == 200
    assert admin_client.get(admin_url(model, "add")).status_code == (
        200 if may_add else 403
    )
    change_page = admin_client.get(admin_url(model, "change", obj.pk))
    assert change_page.status_code == 200
    assert change_page.context["original"] == obj
    if hasattr(model, "history"):
        history = admin_client.get(admin_url(model, "history", obj.pk))
        assert history.status_code == 200


@pytest.mark.parametrize("model", sorted(READ_ONLY, key=lambda model: model.__name__))
def test_read_only_admins_refuse_changes_even_from_a_superuser(admin_client, model):
    obj = BUILDERS[model](1)[0]
    url = admin_url(model, "change", obj.pk)

    page = admin_client.get(url)

    assert page.context["has_change_permission"] is False
    assert 'name="_save"' not in page.text
    assert admin_client.post(url, {}).status_code == 403
    assert admin_client.post(admin_url(model, "delete", obj.pk)).status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()


def test_history_pages_show_but_do_not_revert(admin_client):
    nation = new_nation()
    nation.name = "Renamed"
    nation.save()
    first_version = nation.history.earliest()
    url = admin_url(Nation, "simple_history", nation.pk, first_version.history_id)

    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url, {"name": first_version.name}).status_code == 403
    nation.refresh_from_db()
    assert nation.name == "Renamed"


def test_user_history_never_stores_or_shows_password_hashes(
    admin_client, colombian_user
):
    old_hash = colombian_user.password
    colombian_user.set_password("another-long-passphrase-2026")
    colombian_user.save()

    page = admin_client.get(admin_url(User, "history", colombian_user.pk))

    assert page.status_code == 200
    assert old_hash not in page.text
    assert not hasattr(colombian_user.history.model, "password")
    assert colombian_user.password not in page.text


# ---------------------------------------------------------------- query counts


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model.__name__)
def test_changelist_runs_the_same_queries_for_few_and_many_rows(admin_client, model):
    url = admin_url(model, "changelist")
    BUILDERS[model](FEW)
    admin_client.get(url)  # warm the per-process caches (content types, …)

    few, _ = count_queries(admin_client, url)
    BUILDERS[model](MANY - FEW)
    admin_client.get(url)  # the new rows' count, cached per data generation
    many, response = count_queries(admin_client, url)

    rows = model.objects.count()  # builders may add more, e.g. the partner rows
    assert rows >= MANY
    assert len(response.context["cl"].result_list) == rows
    assert many == few


def test_initiative_change_page_queries_do_not_grow_with_participations(admin_client):
    initiative = factories.InitiativeFactory()
    factories.ParticipationFactory(
        initiative=initiative, nation=new_nation(), role=Participation.Role.LEAD
    )
    factories.ParticipationFactory(initiative=initiative, nation=new_nation())
    url = admin_url(Initiative, "change", initiative.pk)
    admin_client.get(url)

    few, _ = count_queries(admin_client, url)
    for _ in range(18):
        factories.ParticipationFactory(initiative=initiative, nation=new_nation())
    many, response = count_queries(admin_client, url)

    (participations,) = response.context["inline_admin_formsets"]
    assert len(participations.formset.forms) == 20
    assert many == few


def test_meeting_change_page_queries_do_not_grow_with_its_rows(admin_client):
    meeting = factories.AssessmentMeetingFactory(chair=factories.UserFactory())

    def add_rows(count):
        for _ in range(count):
            factories.AgendaItemFactory(
                meeting=meeting, presenter=factories.UserFactory()
            )
            factories.SituationAssessmentFactory(meeting=meeting, nation=new_nation())
            factories.InitiativeEvaluationFactory(meeting=meeting)
            factories.InvitationFactory(meeting=meeting, user=factories.UserFactory())

    add_rows(2)
    url = admin_url(AssessmentMeeting, "change", meeting.pk)
    admin_client.get(url)

    few, _ = count_queries(admin_client, url)
    add_rows(18)
    many, response = count_queries(admin_client, url)

    assert [
        len(inline.formset.forms)
        for inline in response.context["inline_admin_formsets"]
    ] == [20, 20, 20, 20]
    assert many == few


def test_recommendation_change_page_queries_do_not_grow_with_its_timeline(
    admin_client,
):
    recommendation = build_recommendations(1)[0]
    factories.RecommendationUpdateFactory(recommendation=recommendation)
    url = admin_url(Recommendation, "change", recommendation.pk)
    admin_client.get(url)

    few, _ = count_queries(admin_client, url)
    factories.RecommendationUpdateFactory.create_batch(
        18, recommendation=recommendation
    )
    many, response = count_queries(admin_client, url)

    (timeline,) = response.context["inline_admin_formsets"]
    assert len(timeline.formset.forms) == 20
    assert many == few


# ------------------------------------------------------------- recommendations


def test_adding_a_recommendation_numbers_it_and_starts_its_timeline(
    admin_client, superuser, colombia
):
    focus_area = factories.FocusAreaFactory()
    owner = factories.UserFactory()
    year = timezone.localdate().year
    data = {
        "title": "Share interdiction data",
        "description": "Within 24 hours.",
        "focus_area": focus_area.pk,
        "owner": owner.pk,
        "priority": Recommendation.Priority.HIGH,
        "source_note": "Regional summit",
        "nations": [colombia.pk],
        "released_to": [colombia.pk],
    }

    first = admin_client.post(admin_url(Recommendation, "add"), data)
    second = admin_client.post(admin_url(Recommendation, "add"), data)

    assert first.status_code == second.status_code == 302
    recommendation = Recommendation.objects.get(reference=f"REC-{year}-0001")
    assert Recommendation.objects.filter(reference=f"REC-{year}-0002").exists()
    assert ReferenceCounter.objects.get(year=year).last_number == 2
    assert recommendation.status == Recommendation.Status.PROPOSED
    assert recommendation.owner == owner
    assert list(recommendation.nations.all()) == [colombia]
    assert list(recommendation.released_to.all()) == [colombia]
    (update,) = recommendation.updates.all()
    assert (update.from_status, update.to_status) == ("", "proposed")
    assert update.author == superuser
    assert (update.code, update.note) == ("raised", "")
    assert recommendation.progress == update.progress == 0


def test_add_form_does_not_offer_the_reference_or_status_for_editing(admin_client):
    response = admin_client.get(admin_url(Recommendation, "add"))

    fields = response.context["adminform"].form.fields
    assert "reference" not in fields
    assert "status" not in fields
    assert "new_status" not in fields


def raise_recommendation(owner, **kwargs):
    return services.recommendation_create(
        acting_user=owner,
        title="Share interdiction data",
        description="Within 24 hours.",
        focus_area=factories.FocusAreaFactory(),
        owner=owner,
        source_note="Regional summit",
        released_to_all=True,
        **kwargs,
    )


def test_a_legal_status_change_goes_through_the_workflow(admin_client, superuser):
    recommendation = raise_recommendation(superuser)
    url = admin_url(Recommendation, "change", recommendation.pk)
    data = form_data(admin_client.get(url))
    data.update(new_status="accepted", transition_note="Agreed by all partners.")

    response = admin_client.post(url, data, follow=True)

    assert response.status_code == 200
    recommendation.refresh_from_db()
    assert recommendation.status == Recommendation.Status.ACCEPTED
    latest = recommendation.updates.latest()
    assert (latest.from_status, latest.to_status) == ("proposed", "accepted")
    assert latest.note == "Agreed by all partners."
    assert latest.author == superuser
    assert recommendation.progress == latest.progress
    assert f"{recommendation.reference} moved to “Accepted”." in messages_of(response)


def test_an_illegal_status_change_shows_an_error_and_changes_nothing(
    admin_client, superuser
):
    recommendation = raise_recommendation(superuser)
    url = admin_url(Recommendation, "change", recommendation.pk)
    data = form_data(admin_client.get(url))
    data.update(new_status="implemented", transition_note="Done already.")

    response = admin_client.post(url, data, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain == [(url, 302)]
    errors = messages_of(response)
    assert any(
        "cannot move from “Proposed” to “Implemented”" in message for message in errors
    )
    assert not any("changed successfully" in message for message in errors)
    recommendation.refresh_from_db()
    assert recommendation.status == Recommendation.Status.PROPOSED
    assert recommendation.updates.count() == 1


def test_a_status_change_without_a_note_is_refused(admin_client, superuser):
    recommendation = raise_recommendation(superuser)
    url = admin_url(Recommendation, "change", recommendation.pk)
    data = form_data(admin_client.get(url))
    data.update(new_status="accepted", transition_note="  ")

    response = admin_client.post(url, data, follow=True)

    assert any("Say why the status changes." in m for m in messages_of(response))
    recommendation.refresh_from_db()
    assert recommendation.status == Recommendation.Status.PROPOSED


def test_a_status_change_on_a_stale_form_is_refused(admin_client, superuser):
    recommendation = raise_recommendation(superuser)
    url = admin_url(Recommendation, "change", recommendation.pk)
    data = form_data(admin_client.get(url))
    services.recommendation_transition(
        recommendation=recommendation,
        acting_user=superuser,
        to_status="accepted",
        note="Ok",
    )
    data.update(new_status="deferred", transition_note="Wait for funding.")

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "Someone else saved this record after you opened it" in response.text
    recommendation.refresh_from_db()
    assert recommendation.status == Recommendation.Status.ACCEPTED


@pytest.mark.parametrize("model", [Initiative, Recommendation, AssessmentMeeting])
def test_saving_a_stale_admin_form_changes_nothing(admin_client, superuser, model):
    """The change form carries the version it was loaded from: a save over a
    newer version is a form error, with the user's input kept, and writes nothing."""
    record = {
        Initiative: factories.InitiativeFactory,
        Recommendation: lambda: raise_recommendation(superuser),
        AssessmentMeeting: factories.AssessmentMeetingFactory,
    }[model]()
    old_title = record.title
    url = admin_url(model, "change", record.pk)
    loaded = admin_client.get(url).context["adminform"].form
    model.objects.get(pk=record.pk).save()  # someone else saves meanwhile

    data = {**loaded.initial, "title": "New title"}
    form = type(loaded)(data, instance=model.objects.get(pk=record.pk))

    assert not form.is_valid()
    assert "Someone else saved this record" in str(form.non_field_errors())
    record.refresh_from_db()
    assert record.title == old_title


def test_status_and_reference_cannot_be_posted_directly(admin_client, superuser):
    recommendation = raise_recommendation(superuser)
    url = admin_url(Recommendation, "change", recommendation.pk)
    data = form_data(admin_client.get(url))
    data.update(status="implemented", reference="REC-1900-0001")

    assert admin_client.post(url, data).status_code == 302
    recommendation.refresh_from_db()
    assert recommendation.status == Recommendation.Status.PROPOSED
    assert recommendation.reference != "REC-1900-0001"


def test_overdue_filter_lists_only_open_recommendations_past_due(admin_client):
    today = timezone.localdate()
    late = factories.RecommendationFactory(due_date=today - datetime.timedelta(days=1))
    factories.RecommendationFactory(
        due_date=today - datetime.timedelta(days=1),
        status=Recommendation.Status.IMPLEMENTED,
    )
    factories.RecommendationFactory(due_date=today + datetime.timedelta(days=1))

    response = admin_client.get(
        admin_url(Recommendation, "changelist") + "?overdue=yes"
    )

    assert list(response.context["cl"].result_list) == [late]


# ------------------------------------------------------------------ initiatives


def initiative_add_data(admin_client, owner, rows):
    data = form_data(admin_client.get(admin_url(Initiative, "add")))
    data.update(
        title="Joint task force Pacific",
        kind=Initiative.Kind.JOINT_TASK_FORCE,
        status=Initiative.Status.PIPELINE,
        summary="Coordinated patrols.",
        owner=str(owner.pk),
    )
    data["participations-TOTAL_FORMS"] = str(len(rows))
    for index, (nation, role) in enumerate(rows):
        data[f"participations-{index}-nation"] = str(nation.pk)
        data[f"participations-{index}-role"] = role
    return data


@pytest.mark.parametrize(
    ("roles", "count"), [(["partner", "observer"], 0), (["lead", "lead"], 2)]
)
def test_adding_an_initiative_without_exactly_one_lead_saves_nothing(
    admin_client, superuser, colombia, brazil, roles, count
):
    data = initiative_add_data(
        admin_client, superuser, list(zip([colombia, brazil], roles, strict=True))
    )

    response = admin_client.post(admin_url(Initiative, "add"), data)

    assert response.status_code == 200
    assert (
        f"An initiative has exactly one lead nation; this one has {count}."
        in response.text
    )
    assert not Initiative.objects.exists()
    assert not Participation.objects.exists()


def test_adding_an_initiative_with_one_lead_saves_it_and_its_nations(
    admin_client, superuser, colombia, brazil
):
    data = initiative_add_data(
        admin_client, superuser, [(colombia, "lead"), (brazil, "partner")]
    )

    response = admin_client.post(admin_url(Initiative, "add"), data)

    assert response.status_code == 302
    initiative = Initiative.objects.with_lead().get()
    assert initiative.lead_nation_name == "Colombia"
    assert set(initiative.nations.all()) == {colombia, brazil}


def initiative_with(colombia, brazil):
    initiative = factories.InitiativeFactory()
    factories.ParticipationFactory(
        initiative=initiative, nation=colombia, role=Participation.Role.LEAD
    )
    factories.ParticipationFactory(initiative=initiative, nation=brazil)
    return initiative


def set_role(data, nation, role):
    index = next(
        key.split("-")[1]
        for key, value in data.items()
        if key.endswith("-nation") and value == str(nation.pk)
    )
    data[f"participations-{index}-role"] = role


def test_giving_an_initiative_a_second_lead_saves_nothing(
    admin_client, colombia, brazil
):
    initiative = initiative_with(colombia, brazil)
    url = admin_url(Initiative, "change", initiative.pk)
    data = form_data(admin_client.get(url))
    data["title"] = "Renamed"
    set_role(data, brazil, "lead")

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "this one has 2." in response.text
    initiative.refresh_from_db()
    assert initiative.title != "Renamed"
    assert Initiative.objects.with_lead().get().lead_nation_name == "Colombia"


def test_moving_the_lead_to_another_nation_is_saved(admin_client, colombia, brazil):
    initiative = initiative_with(colombia, brazil)
    url = admin_url(Initiative, "change", initiative.pk)
    data = form_data(admin_client.get(url))
    set_role(data, colombia, "partner")
    set_role(data, brazil, "lead")

    response = admin_client.post(url, data)

    assert response.status_code == 302
    roles = dict(initiative.participations.values_list("nation__iso_alpha2", "role"))
    assert roles == {"CO": "partner", "BR": "lead"}


def test_the_progress_column_shows_and_sorts_by_the_stored_progress(admin_client):
    low = factories.RecommendationFactory(progress=10)
    high = factories.RecommendationFactory(progress=90)
    columns = admin.site._registry[Recommendation].list_display
    column = columns.index("progress_percent") + 1

    ascending = admin_client.get(admin_url(Recommendation, "changelist"), {"o": column})
    descending = admin_client.get(
        admin_url(Recommendation, "changelist"), {"o": f"-{column}"}
    )

    assert list(ascending.context["cl"].result_list) == [low, high]
    assert list(descending.context["cl"].result_list) == [high, low]
    assert "90%" in descending.text


# ----------------------------------------------------------- growing tables

# Records that grow with the office's work, whose changelists skip the unfiltered
# total and whose choosers are autocompletes.
GROWING = [
    AgendaItem,
    Document,
    DocumentVersion,
    AssessmentMeeting,
    Initiative,
    InitiativeEvaluation,
    Invitation,
    MeetingSeries,
    Participation,
    Recommendation,
    RecommendationUpdate,
    OutboundEmail,
    Briefing,
    SituationAssessment,
]
FULL_COUNT = 'SELECT COUNT(*) AS "__count"'


@pytest.mark.parametrize("model", GROWING, ids=lambda model: model.__name__)
def test_a_searched_changelist_counts_only_the_rows_found(admin_client, model):
    BUILDERS[model](FEW)
    url = admin_url(model, "changelist")
    admin_client.get(url)

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(url, {"q": "no such text"})

    assert response.status_code == 200
    assert response.context["cl"].result_count == 0
    counts = [query["sql"] for query in queries if FULL_COUNT in query["sql"]]
    assert len(counts) == 1  # the rows found; not the whole table as well


CHOOSER_ROWS = 50


def test_no_admin_form_offers_a_select_of_every_row_of_a_growing_table(admin_client):
    """Users, meetings, initiatives, recommendations and agenda items are chosen by
    autocompletes: no add or change page lists them all as options."""
    build_users(CHOOSER_ROWS)
    build_recommendations(CHOOSER_ROWS)  # with as many meetings
    build_initiatives(CHOOSER_ROWS)
    meeting = factories.AssessmentMeetingFactory()
    for _ in range(CHOOSER_ROWS):
        factories.AgendaItemFactory(meeting=meeting, presenter=factories.UserFactory())
        factories.InvitationFactory(meeting=meeting, user=factories.UserFactory())
    pages = [admin_url(model, "add") for model in REGISTERED if model not in READ_ONLY]
    pages += [
        admin_url(AssessmentMeeting, "change", meeting.pk),
        admin_url(AgendaItem, "change", meeting.agenda_items.first().pk),
    ]

    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        selects = re.findall(r"<select\b.*?</select>", response.text, re.DOTALL)
        # A record's own choices (a meeting's 50 attendees) show as chosen
        # options; nothing else may be listed.
        offered = [
            len(re.findall(r"<option\b(?![^>]*\bselected\b)", select))
            for select in selects
        ]
        assert max(offered, default=0) < 20, url


def test_inline_autocompletes_show_each_rows_choice_from_the_inlines_query(
    admin_client,
):
    meeting = factories.AssessmentMeetingFactory()
    attendees = [
        factories.UserFactory(first_name="Attendee", last_name=f"No{n}")
        for n in range(3)
    ]
    for attendee in attendees:
        factories.InvitationFactory(meeting=meeting, user=attendee)
        factories.AgendaItemFactory(meeting=meeting, presenter=attendee)

    response = admin_client.get(admin_url(AssessmentMeeting, "change", meeting.pk))

    for attendee in attendees:
        option = f'<option value="{attendee.pk}" selected>{attendee}</option>'
        assert response.text.count(option) == 2  # attendee and presenter


# ------------------------------------------------------- search and autocomplete


def test_changelist_search_finds_by_reference(admin_client):
    wanted, other = factories.RecommendationFactory.create_batch(2)

    response = admin_client.get(
        admin_url(Recommendation, "changelist"), {"q": wanted.reference}
    )

    assert list(response.context["cl"].result_list) == [wanted]
    assert other.reference not in response.text


def test_autocomplete_returns_matching_owners_as_json(admin_client):
    wanted = factories.UserFactory(username="ana-gomez")
    factories.UserFactory(username="joao-silva")

    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "cooperation",
            "model_name": "recommendation",
            "field_name": "owner",
            "term": "ana-go",
        },
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert [row["id"] for row in response.json()["results"]] == [str(wanted.pk)]


# ------------------------------------------------------------- non-superusers


def staff_user(nation, *codenames):
    user = factories.UserFactory(username=f"staff-{nation.iso_alpha2}", is_staff=True)
    user.nation = nation
    user.save()
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="cooperation", codename__in=codenames
        )
    )
    return user


def test_staff_see_only_recommendations_released_to_their_nation(
    client, colombia, brazil
):
    user = staff_user(colombia, "view_recommendation", "view_recommendationupdate")
    ours = factories.RecommendationFactory(
        released_to_all=False, released_to=[colombia]
    )
    theirs = factories.RecommendationFactory(
        released_to_all=False, released_to=[brazil]
    )
    everyone = factories.RecommendationFactory(released_to_all=True)
    client.force_login(user)

    response = client.get(admin_url(Recommendation, "changelist"))

    assert response.status_code == 200
    assert set(response.context["cl"].result_list) == {ours, everyone}
    assert theirs.reference not in response.text
    assert client.get(admin_url(Recommendation, "change", ours.pk)).status_code == 200
    assert client.get(admin_url(Recommendation, "change", theirs.pk)).status_code == 302
    assert (
        client.get(admin_url(Recommendation, "history", theirs.pk)).status_code == 404
    )


def test_a_superuser_sees_every_recommendation(admin_client, brazil):
    hidden = factories.RecommendationFactory(
        released_to_all=False, released_to=[brazil]
    )

    response = admin_client.get(admin_url(Recommendation, "changelist"))

    assert list(response.context["cl"].result_list) == [hidden]


def test_staff_autocomplete_offers_only_initiatives_released_to_them(
    client, colombia, brazil
):
    user = staff_user(colombia, "view_initiative", "change_recommendation")
    ours = factories.InitiativeFactory(
        title="Ours", released_to_all=False, released_to=[colombia]
    )
    factories.InitiativeFactory(
        title="Theirs", released_to_all=False, released_to=[brazil]
    )
    client.force_login(user)

    response = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "cooperation",
            "model_name": "recommendation",
            "field_name": "initiative",
        },
    )

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [str(ours.pk)]


def test_staff_who_may_not_manage_releasability_release_new_records_to_their_nation(
    client, colombia, brazil
):
    user = staff_user(colombia, "add_recommendation", "view_recommendation")
    client.force_login(user)
    form = client.get(admin_url(Recommendation, "add")).context["adminform"].form
    assert "released_to" not in form.fields

    response = client.post(
        admin_url(Recommendation, "add"),
        {
            "title": "Share interdiction data",
            "description": "Within 24 hours.",
            "focus_area": factories.FocusAreaFactory().pk,
            "owner": user.pk,
            "priority": Recommendation.Priority.MEDIUM,
            "source_note": "Regional summit",
            "released_to_all": "on",
            "released_to": [brazil.pk],
        },
    )

    assert response.status_code == 302
    recommendation = Recommendation.objects.get()
    assert recommendation.released_to_all is False
    assert list(recommendation.released_to.all()) == [colombia]
    assert recommendation.updates.get().author == user


def test_moving_a_primary_concern_away_from_its_secondaries_is_refused_not_a_500(
    admin_client, colombia, brazil
):
    held = timezone.now() - datetime.timedelta(days=3)
    meeting = factories.AssessmentMeetingFactory(
        starts_at=held, ends_at=held + datetime.timedelta(hours=1)
    )
    primary = factories.SituationAssessmentFactory(meeting=meeting, nation=colombia)
    factories.SituationAssessmentFactory(
        meeting=meeting,
        nation=colombia,
        focus_area=primary.focus_area,
        primary_concern="Heroin",
        is_primary=False,
    )
    url = admin_url(SituationAssessment, "change", primary.pk)
    data = form_data(admin_client.get(url))
    data["nation"] = str(brazil.pk)

    response = admin_client.post(url, data, follow=True)

    assert response.status_code == 200
    assert messages_of(response)  # the service's reason, on the page it came from
    primary.refresh_from_db()
    assert primary.nation == colombia
