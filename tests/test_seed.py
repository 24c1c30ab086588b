"""``manage.py seed_demo``: the demo data, its idempotence and its safety switch."""

import datetime
import io
import zoneinfo
from collections import Counter

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from cooperation import demo_data, services
from cooperation.models import (
    AssessmentMeeting,
    FocusArea,
    Initiative,
    InitiativeEvaluation,
    Nation,
    Participation,
    Recommendation,
    SituationAssessment,
    User,
)

pytestmark = pytest.mark.django_db

DEMO_PASSWORD = "demo-pass-2026"
RELEASABLE_MODELS = (Initiative, AssessmentMeeting, Recommendation)


def seed(*args):
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def snapshot():
    """Every row of every table, history and many-to-many tables included."""
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values())
        for model in apps.get_models(include_auto_created=True)
    }


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True


@pytest.fixture
def seeded(debug_on):
    return seed()


@pytest.fixture
def accounts(seeded):
    return {user.username: user for user in User.objects.all()}


def quarter_index(day):
    return day.year * 4 + (day.month - 1) // 3


# --------------------------------------------------------------------- idempotence


def test_second_run_changes_no_row_in_any_table(seeded):
    before = snapshot()
    assert before["cooperation.HistoricalRecommendation"]
    assert before["cooperation.HistoricalInitiative_released_to"]

    output = seed()

    assert snapshot() == before
    assert "nothing was changed" in output


def test_first_run_reports_what_it_created(debug_on):
    output = seed()

    assert "nations: 14" in output
    assert "recommendations: 9" in output


def test_rerun_keeps_records_edited_since_the_first_run(seeded):
    colombia = Nation.objects.get(iso_alpha2="CO")
    colombia.liaison_name = "Edited Liaison"
    colombia.save()
    recommendation = Recommendation.objects.get(
        status=Recommendation.Status.PROPOSED, released_to_all=True
    )
    services.recommendation_transition(
        recommendation=recommendation,
        acting_user=User.objects.get(username="coordinator"),
        to_status=Recommendation.Status.ACCEPTED,
        note="Accepted after the demo was loaded.",
    )

    seed()

    colombia.refresh_from_db()
    recommendation.refresh_from_db()
    assert colombia.liaison_name == "Edited Liaison"
    assert recommendation.status == Recommendation.Status.ACCEPTED
    assert Recommendation.objects.filter(title=recommendation.title).count() == 1


def test_rerun_recreates_only_what_was_deleted_since_the_first_run(seeded):
    FocusArea.objects.get(slug="technology-transfer").delete()
    before = Initiative.objects.count()

    output = seed()

    assert FocusArea.objects.filter(slug="technology-transfer").exists()
    assert "focus areas: 1." in output
    assert Initiative.objects.count() == before


def test_failure_half_way_leaves_nothing_written(debug_on, monkeypatch):
    before = snapshot()

    def broken_transition(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "recommendation_transition", broken_transition)

    with pytest.raises(RuntimeError):
        seed()

    assert snapshot() == before
    assert not Nation.objects.exists()


# ------------------------------------------------------------------------- nations


def test_loads_the_twelve_south_american_nations_the_united_states_and_mexico(
    seeded,
):
    codes = set(Nation.objects.values_list("iso_alpha2", "iso_alpha3", "region"))

    south = "south_america"
    assert codes == {
        ("AR", "ARG", south),
        ("BO", "BOL", south),
        ("BR", "BRA", south),
        ("CL", "CHL", south),
        ("CO", "COL", south),
        ("EC", "ECU", south),
        ("GY", "GUY", south),
        ("PY", "PRY", south),
        ("PE", "PER", south),
        ("SR", "SUR", south),
        ("UY", "URY", south),
        ("VE", "VEN", south),
        ("US", "USA", "north_america"),
        ("MX", "MEX", "north_america"),
    }


def test_every_nation_passes_full_clean_and_has_a_liaison(seeded):
    for nation in Nation.objects.all():
        nation.full_clean()
        assert nation.liaison_name
        assert nation.liaison_email.endswith("@example.org")


@pytest.mark.parametrize(
    ("code", "time_zone", "languages"),
    [
        ("AR", "America/Argentina/Buenos_Aires", ["es"]),
        ("BO", "America/La_Paz", ["es", "qu", "ay"]),
        ("BR", "America/Sao_Paulo", ["pt"]),
        ("CO", "America/Bogota", ["es"]),
        ("EC", "America/Guayaquil", ["es"]),
        ("GY", "America/Guyana", ["en"]),
        ("PY", "America/Asuncion", ["es", "gn"]),
        ("PE", "America/Lima", ["es", "qu", "ay"]),
        ("SR", "America/Paramaribo", ["nl"]),
        ("US", "America/New_York", ["en"]),
        ("MX", "America/Mexico_City", ["es"]),
    ],
)
def test_nation_has_capital_time_zone_and_official_languages(
    seeded, code, time_zone, languages
):
    nation = Nation.objects.get(iso_alpha2=code)

    assert nation.time_zone == time_zone
    assert nation.language_codes == languages


def test_loads_the_eleven_focus_areas_with_descriptions(seeded):
    focus_areas = FocusArea.objects.all()

    assert {area.slug for area in focus_areas} == {
        "organised-crime",
        "intelligence-sharing",
        "joint-exercises",
        "cyber-defense",
        "community-engagement",
        "counter-narcotics",
        "disaster-response",
        "defense-procurement",
        "research-and-development",
        "humanitarian-assistance",
        "technology-transfer",
    }
    assert all(area.description for area in focus_areas)


# --------------------------------------------------------------------- initiatives


def test_every_initiative_has_exactly_one_lead_and_a_focus_area(seeded):
    initiatives = Initiative.objects.all()

    assert initiatives.count() == 9
    for initiative in initiatives:
        leads = initiative.participations.filter(role=Participation.Role.LEAD)
        assert leads.count() == 1, initiative
        assert initiative.focus_areas.exists(), initiative
        assert initiative.summary and initiative.objectives


def test_initiatives_cover_the_agenda_kinds(seeded):
    kinds = set(Initiative.objects.values_list("kind", flat=True))

    assert kinds == set(Initiative.Kind.values) - {Initiative.Kind.OTHER}


def test_counter_narcotics_task_force_is_released_to_the_us_and_colombia_alone(
    seeded,
):
    task_force = Initiative.objects.get(title=demo_data.CN_TASK_FORCE)

    assert task_force.kind == Initiative.Kind.JOINT_TASK_FORCE
    assert task_force.released_to_all is False
    assert set(task_force.released_to.values_list("iso_alpha2", flat=True)) == {
        "US",
        "CO",
    }


# ------------------------------------------------------------------------ meetings


@pytest.fixture
def held_meeting(seeded):
    return AssessmentMeeting.objects.get(title=demo_data.HELD_MEETING)


def test_held_meeting_is_in_the_past_with_minutes_attendees_and_agenda(
    held_meeting,
):
    assert held_meeting.status == AssessmentMeeting.Status.HELD
    assert held_meeting.ends_at < timezone.now()
    assert held_meeting.minutes
    assert held_meeting.attendees.count() == 3
    assert (
        held_meeting.nations.filter(iso_alpha2__in=["US", "CO", "BR", "MX"]).count()
        == 4
    )
    assert held_meeting.agenda_items.count() >= 3


def test_held_meeting_minutes_record_attendance_and_outcomes(held_meeting):
    attendance = dict(
        held_meeting.invitations.values_list("user__username", "attendance")
    )
    outcomes = held_meeting.agenda_items.exclude(decision="").order_by("position")

    assert attendance == {
        "coordinator": "present",
        "colombia": "present",
        "brazil": "represented",
    }
    assert held_meeting.invitations.get(user__username="brazil").represented_by
    assert [item.title for item in outcomes] == [
        "Drug-trafficking trends by country",
        "Cyber threats to defense networks",
    ]
    assert all(item.discussion and item.follow_up for item in outcomes)


INCREASING, STABLE, DECREASING = "increasing", "stable", "decreasing"


@pytest.mark.parametrize(
    ("code", "concern", "trend", "summary_words", "dimensions", "shift"),
    [
        (
            "CO",
            "Cocaine",
            INCREASING,
            "higher export levels",
            {"production_trend": INCREASING, "trafficking_trend": INCREASING},
            "",
        ),
        (
            "BR",
            "Marijuana",
            INCREASING,
            "less cross-border trafficking",
            {"consumption_trend": INCREASING, "trafficking_trend": DECREASING},
            "",
        ),
        (
            "MX",
            "Heroin",
            STABLE,
            "synthetic opioids",
            {"production_trend": STABLE},
            "Towards synthetic opioids",
        ),
    ],
)
def test_held_meeting_assesses_the_reported_drug_trends_per_dimension(
    held_meeting, code, concern, trend, summary_words, dimensions, shift
):
    assessment = SituationAssessment.objects.get(
        meeting=held_meeting,
        nation__iso_alpha2=code,
        focus_area__slug="counter-narcotics",
        is_primary=True,
    )

    assert assessment.primary_concern == concern
    assert assessment.trend == trend
    assert summary_words in assessment.summary
    for field, value in dimensions.items():
        assert getattr(assessment, field) == value, field
    assert assessment.emerging_shift == shift
    assert assessment.confidence


def test_held_meeting_has_a_secondary_concern_under_a_primary_one(held_meeting):
    mexico = held_meeting.assessments.filter(
        nation__iso_alpha2="MX", focus_area__slug="counter-narcotics"
    )

    assert sorted(mexico.values_list("primary_concern", "is_primary")) == [
        ("Heroin", True),
        ("Synthetic opioids (fentanyl)", False),
    ]


def test_four_held_meetings_give_every_assessed_nation_a_line_per_focus_area(
    seeded,
):
    held = AssessmentMeeting.objects.filter(
        status=AssessmentMeeting.Status.HELD, ends_at__lt=timezone.now()
    )
    points = Counter(
        SituationAssessment.objects.final()
        .primary()
        .filter(meeting__in=held)
        .values_list("nation__iso_alpha2", "focus_area__slug")
    )

    assert held.filter(assessments__isnull=False).distinct().count() >= 4
    assert {"CO", "BR", "MX", "PE", "EC", "BO", "CL"} <= {code for code, _ in points}
    # A line, not a dot: every assessed nation and focus area at two meetings or
    # more, and the report's three at every one of the four.
    assert min(points.values()) >= 2
    for code in ("CO", "BR", "MX"):
        assert points[(code, "counter-narcotics")] == 4
    assert points[("EC", "organised-crime")] == 4


def test_some_assessments_are_written_in_spanish_and_portuguese(seeded):
    summaries = SituationAssessment.objects.values_list("nation__iso_alpha2", "summary")

    assert any(code == "CO" and "producción" in text for code, text in summaries)
    assert any(code == "BR" and "consumo interno" in text for code, text in summaries)
    # Each says the language it is written in.
    written = SituationAssessment.objects.values_list("summary", "language")
    assert {language for text, language in written if "producción" in text} == {"es"}
    assert {language for text, language in written if "consumo" in text} == {"pt-br"}


def test_held_meeting_has_more_assessments_and_every_evaluation_rating(held_meeting):
    assessed = set(
        held_meeting.assessments.values_list("nation__iso_alpha2", "focus_area__slug")
    )
    ratings = set(held_meeting.evaluations.values_list("rating", flat=True))

    assert {("PE", "counter-narcotics"), ("EC", "counter-narcotics")} <= assessed
    assert ("CL", "cyber-defense") in assessed
    assert ratings == set(InitiativeEvaluation.Rating.values)
    assert all(held_meeting.evaluations.values_list("findings", flat=True))


def test_next_two_quarters_have_scheduled_meetings_with_agendas(seeded):
    today = timezone.localdate()
    # The quarterly assessments (the recurring working group aside).
    upcoming = AssessmentMeeting.objects.upcoming().filter(
        status=AssessmentMeeting.Status.SCHEDULED,
        released_to_all=True,
        series__isnull=True,
    )

    quarters = {
        quarter_index(meeting.starts_at.date()) - quarter_index(today)
        for meeting in upcoming
    }
    assert quarters == {1, 2}
    for meeting in upcoming:
        assert meeting.agenda_items.exists()


def test_meetings_start_at_the_stated_hour_in_their_own_time_zone(seeded):
    for spec in demo_data.MEETINGS:
        meeting = AssessmentMeeting.objects.get(title=spec.title)
        local = meeting.starts_at.astimezone(zoneinfo.ZoneInfo(meeting.time_zone))

        assert meeting.time_zone == spec.time_zone
        assert local.time() == spec.start
        assert local.weekday() == 1  # Tuesday


@pytest.mark.parametrize("offset", range(7))
def test_date_rules_land_on_tuesdays_on_the_right_side_of_today(offset):
    today = datetime.date(2026, 12, 28) + datetime.timedelta(days=offset)

    past = demo_data.weeks_ago_on_tuesday(6)(today)
    soon = demo_data.days_ahead_on_tuesday(14)(today)
    next_quarter = demo_data.quarters_ahead_second_tuesday(1)(today)

    assert past < today - datetime.timedelta(weeks=5)
    assert soon >= today + datetime.timedelta(days=14)
    assert quarter_index(next_quarter) == quarter_index(today) + 1
    assert {past.weekday(), soon.weekday(), next_quarter.weekday()} == {1}


def test_quarter_rule_picks_the_second_tuesday_of_the_quarter():
    rule = demo_data.quarters_ahead_second_tuesday

    assert rule(1)(datetime.date(2026, 11, 27)) == datetime.date(2027, 1, 12)
    assert rule(2)(datetime.date(2026, 11, 27)) == datetime.date(2027, 4, 13)
    assert rule(1)(datetime.date(2026, 3, 31)) == datetime.date(2026, 4, 14)


# ----------------------------------------------------------------- recommendations


def test_recommendations_exist_in_every_status(seeded):
    statuses = set(Recommendation.objects.values_list("status", flat=True))

    assert statuses == set(Recommendation.Status.values)


def test_some_open_recommendations_are_overdue(seeded):
    overdue = Recommendation.objects.overdue()

    assert overdue.count() >= 2
    assert all(recommendation.is_open for recommendation in overdue)


def test_every_recommendation_timeline_ends_in_its_status(seeded):
    for recommendation in Recommendation.objects.all():
        updates = list(recommendation.updates.order_by("created_at", "pk"))

        assert updates[0].from_status == ""
        assert updates[0].to_status == Recommendation.Status.PROPOSED
        for previous, update in zip(updates, updates[1:], strict=False):
            assert update.from_status == previous.to_status
            assert update.note
        assert updates[-1].to_status == recommendation.status
        if recommendation.status == Recommendation.Status.IMPLEMENTED:
            assert updates[-1].progress == 100


def test_recommendations_get_consecutive_references(seeded):
    year = timezone.localdate().year
    references = sorted(Recommendation.objects.values_list("reference", flat=True))

    assert references == [f"REC-{year}-{n:04d}" for n in range(1, 10)]


# ------------------------------------------------------------------ releasability


def test_restricted_records_are_released_to_at_least_one_nation(seeded):
    for model in RELEASABLE_MODELS:
        restricted = model.objects.filter(released_to_all=False)
        assert restricted.exists(), model
        for record in restricted:
            assert record.released_to.exists(), record


@pytest.mark.parametrize("model", RELEASABLE_MODELS)
def test_brazil_sees_fewer_records_than_the_coordinator(accounts, model):
    coordinator_sees = set(model.objects.visible_to(accounts["coordinator"]))
    brazil_sees = set(model.objects.visible_to(accounts["brazil"]))

    assert coordinator_sees == set(model.objects.all())
    assert brazil_sees < coordinator_sees
    assert len(coordinator_sees - brazil_sees) >= 2


def test_task_force_is_visible_to_colombia_but_not_to_brazil(accounts):
    task_force = Initiative.objects.get(title=demo_data.CN_TASK_FORCE)

    assert task_force.is_visible_to(accounts["colombia"])
    assert task_force.is_visible_to(accounts["coordinator"])
    assert not task_force.is_visible_to(accounts["brazil"])


def test_brazil_cannot_see_evaluations_of_initiatives_withheld_from_it(accounts):
    all_evaluations = InitiativeEvaluation.objects.visible_to(accounts["coordinator"])
    brazil_evaluations = InitiativeEvaluation.objects.visible_to(accounts["brazil"])

    hidden = set(all_evaluations) - set(brazil_evaluations)
    assert demo_data.CN_TASK_FORCE in {e.initiative.title for e in hidden}


# ------------------------------------------------------------------------ accounts


@pytest.mark.parametrize("username", ["admin", "coordinator", "colombia", "brazil"])
def test_demo_account_logs_in_with_the_demo_password(client, seeded, username):
    assert client.login(username=username, password=DEMO_PASSWORD)


def test_output_lists_every_account_with_role_and_password(debug_on):
    output = seed()

    for username in ["admin", "coordinator", "colombia", "brazil"]:
        assert f"  {username} " in output
    assert DEMO_PASSWORD in output
    assert "Brazilian liaison" in output


def test_admin_is_a_superuser(accounts):
    admin = accounts["admin"]

    assert admin.is_superuser and admin.is_staff


def test_coordinator_is_united_states_staff_who_sees_and_edits_everything(accounts):
    coordinator = accounts["coordinator"]

    assert coordinator.nation.iso_alpha2 == "US"
    assert coordinator.is_staff and not coordinator.is_superuser
    assert coordinator.has_perms(
        [
            "cooperation.view_all_records",
            "cooperation.add_assessmentmeeting",
            "cooperation.change_initiative",
            "cooperation.add_recommendation",
            "cooperation.view_situationassessment",
        ]
    )


def test_colombian_liaison_may_edit_but_not_see_everything(accounts):
    colombia = accounts["colombia"]

    assert (colombia.nation.iso_alpha2, colombia.time_zone, colombia.language) == (
        "CO",
        "America/Bogota",
        "es",
    )
    assert not colombia.is_staff
    assert colombia.has_perms(
        [
            f"cooperation.{action}_{model}"
            for action in ("add", "change", "view")
            for model in (
                "initiative",
                "situationassessment",
                "initiativeevaluation",
                "recommendation",
                "recommendationupdate",
            )
        ]
    )
    assert [group.name for group in colombia.groups.all()] == ["Editor"]
    assert not colombia.has_perm("cooperation.add_assessmentmeeting")  # Scheduler's
    assert not colombia.has_perm("cooperation.view_all_records")
    assert not colombia.has_perm("cooperation.change_nation")


def test_brazilian_liaison_only_reads(accounts):
    brazil = accounts["brazil"]
    permissions = brazil.get_all_permissions()

    assert (brazil.nation.iso_alpha2, brazil.time_zone, brazil.language) == (
        "BR",
        "America/Sao_Paulo",
        "pt-br",
    )
    assert [group.name for group in brazil.groups.all()] == ["Viewer"]
    assert "cooperation.view_initiative" in permissions
    assert all(perm.split(".")[1].startswith("view_") for perm in permissions)
    assert "cooperation.view_all_records" not in permissions


def test_rerun_keeps_a_changed_password(client, seeded):
    coordinator = User.objects.get(username="coordinator")
    coordinator.set_password("a-new-private-passphrase")
    coordinator.save()

    seed()

    assert client.login(username="coordinator", password="a-new-private-passphrase")
    assert not client.login(username="coordinator", password=DEMO_PASSWORD)


def test_reset_passwords_sets_existing_accounts_back_to_the_demo_password(
    client, seeded
):
    coordinator = User.objects.get(username="coordinator")
    coordinator.set_password("a-new-private-passphrase")
    coordinator.save()

    output = seed("--reset-passwords")

    assert client.login(username="coordinator", password=DEMO_PASSWORD)
    assert "coordinator" in output


# ------------------------------------------------------------------- safety switch


def test_refuses_without_flag_when_debug_is_off_and_writes_nothing(settings):
    settings.DEBUG = False
    before = snapshot()

    with pytest.raises(CommandError, match="--with-demo-accounts"):
        seed()

    assert snapshot() == before
    assert not User.objects.exists()


def test_loads_with_flag_when_debug_is_off(client, settings):
    settings.DEBUG = False

    output = seed("--with-demo-accounts")

    assert Nation.objects.count() == 14
    assert Recommendation.objects.count() == len(demo_data.RECOMMENDATIONS)
    assert client.login(username="brazil", password=DEMO_PASSWORD)
    assert "published password" in output
