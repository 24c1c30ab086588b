"""The models' invariants: refused by the database, reported by forms.

Every ``CheckConstraint`` / ``UniqueConstraint`` and every ``unique=True`` field of the
app has a test that writes the bad row past validation (the database must refuse it)
and one that binds the bad data to a model form (the user must get the friendly
message). ``test_every_constraint_is_tested_in_the_database_and_in_a_form`` fails when
a constraint is added without both.
"""

import contextlib
import datetime
from collections import defaultdict

import pytest
from django import forms
from django.apps import apps
from django.core.exceptions import FieldError, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from simple_history.models import HistoricalChanges

from cooperation.forms.minutes import AttendanceForm
from cooperation.models import (
    AgendaItem,
    AssessmentMeeting,
    FocusArea,
    Initiative,
    InitiativeEvaluation,
    Invitation,
    MeetingSeries,
    Nation,
    OutboundEmail,
    Participation,
    Recommendation,
    RecommendationUpdate,
    SituationAssessment,
    User,
    UserSession,
)
from tests import factories

pytestmark = pytest.mark.django_db

DATABASE = "database"
FORM = "form"
COVERED_CONSTRAINTS = defaultdict(set)
COVERED_UNIQUE_FIELDS = defaultdict(set)


def covers(constraint_name, aspect):
    """Record that the decorated test covers ``aspect`` of a named constraint."""

    def decorator(test):
        COVERED_CONSTRAINTS[constraint_name].add(aspect)
        return test

    return decorator


def covers_unique(label, aspect):
    """Record that the decorated test covers ``aspect`` of ``Model.field``'s unique."""

    def decorator(test):
        COVERED_UNIQUE_FIELDS[label].add(aspect)
        return test

    return decorator


def app_models():
    """The app's own models, without django-simple-history's shadow models."""
    return [
        model
        for model in apps.get_app_config("cooperation").get_models()
        if not issubclass(model, HistoricalChanges)
    ]


def get_constraint(model, name):
    (constraint,) = [c for c in model._meta.constraints if c.name == name]
    return constraint


@contextlib.contextmanager
def refused_by_constraint(name, *, sqlite_columns=None):
    """The block's write is refused by the database constraint called ``name``.

    PostgreSQL names the constraint in its error; SQLite names CHECK constraints but
    reports a unique violation by its columns, given as ``sqlite_columns``.
    """
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        yield
    message = str(excinfo.value)
    if connection.vendor == "sqlite" and sqlite_columns is not None:
        assert message == f"UNIQUE constraint failed: {sqlite_columns}"
    else:
        assert name in message


@contextlib.contextmanager
def refused_as_duplicate(model, field_name):
    """The block's write is refused by the unique index of ``model.field_name``."""
    column = model._meta.get_field(field_name).column
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        yield
    message = str(excinfo.value)
    if connection.vendor == "sqlite":
        assert message == f"UNIQUE constraint failed: {model._meta.db_table}.{column}"
    else:
        assert f"Key ({column})=" in message


def assert_form_reports(form, field, message):
    """The form is invalid with exactly ``message`` on ``field`` and nothing else."""
    assert not form.is_valid()
    assert set(form.errors) == {field}
    assert message in form.errors[field]


def assert_full_clean_reports(instance, field, message):
    with pytest.raises(ValidationError) as excinfo:
        instance.full_clean()
    assert message in excinfo.value.message_dict[field]


def assert_constraint_reports(instance, name):
    """The constraint itself, validated in Python, gives its friendly message."""
    model = type(instance)
    constraint = get_constraint(model, name)
    with pytest.raises(ValidationError) as excinfo:
        constraint.validate(model, instance)
    assert excinfo.value.messages == [constraint.get_violation_error_message()]


# ------------------------------------------------------------------- completeness


def test_every_constraint_is_tested_in_the_database_and_in_a_form():
    constraint_names = {
        constraint.name
        for model in app_models()
        for constraint in model._meta.constraints
    }
    assert constraint_names, "the app is expected to declare constraints"
    assert set(COVERED_CONSTRAINTS) == constraint_names
    incomplete = {
        name: aspects
        for name, aspects in COVERED_CONSTRAINTS.items()
        if aspects != {DATABASE, FORM}
    }
    assert incomplete == {}


def test_every_unique_field_is_tested_in_the_database_and_in_a_form():
    unique_fields = {
        f"{model.__name__}.{field.name}"
        for model in app_models()
        for field in model._meta.concrete_fields
        if field.unique and not field.primary_key
    }
    assert set(COVERED_UNIQUE_FIELDS) == unique_fields
    incomplete = {
        label: aspects
        for label, aspects in COVERED_UNIQUE_FIELDS.items()
        if aspects != {DATABASE, FORM}
    }
    assert incomplete == {}


# ------------------------------------------------------------------------ nations

NATION_FIELDS = [
    "name",
    "iso_alpha2",
    "iso_alpha3",
    "region",
    "time_zone",
    "official_languages",
]
NationForm = forms.modelform_factory(Nation, fields=NATION_FIELDS)


def nation_data(**overrides):
    return {
        "name": "Peru",
        "iso_alpha2": "PE",
        "iso_alpha3": "PER",
        "region": Nation.Region.SOUTH_AMERICA,
        "time_zone": "America/Lima",
        "official_languages": "es, qu, ay",
        **overrides,
    }


def test_nation_form_accepts_valid_codes_and_normalises_languages():
    form = NationForm(data=nation_data(official_languages="ES,QU"))
    assert form.is_valid(), form.errors
    nation = form.save()
    assert (nation.iso_alpha2, nation.iso_alpha3) == ("PE", "PER")
    assert nation.official_languages == "es, qu"
    assert nation.language_codes == ["es", "qu"]


@covers("nation_alpha2_format", DATABASE)
@pytest.mark.parametrize("bad_code", ["co", "C1", "C", "C-"])
def test_database_refuses_alpha2_code_that_is_not_two_capitals(colombia, bad_code):
    with refused_by_constraint("nation_alpha2_format"):
        Nation.objects.filter(pk=colombia.pk).update(iso_alpha2=bad_code)
    colombia.refresh_from_db()
    assert colombia.iso_alpha2 == "CO"


@covers("nation_alpha2_format", FORM)
def test_form_reports_lowercase_alpha2_code():
    form = NationForm(data=nation_data(iso_alpha2="pe"))
    assert_form_reports(
        form,
        "iso_alpha2",
        "“pe” is not an ISO 3166-1 alpha-2 country code, such as CO.",
    )
    bad = nation_data(iso_alpha2="pe")
    assert_full_clean_reports(
        Nation(**bad),
        "iso_alpha2",
        "“pe” is not an ISO 3166-1 alpha-2 country code, such as CO.",
    )
    # full_clean's clean() upper-cased that instance; the constraint sees a fresh one.
    assert_constraint_reports(Nation(**bad), "nation_alpha2_format")


@covers("nation_alpha3_format", DATABASE)
@pytest.mark.parametrize("bad_code", ["col", "CO", "CO1", "C L"])
def test_database_refuses_alpha3_code_that_is_not_three_capitals(colombia, bad_code):
    with refused_by_constraint("nation_alpha3_format"):
        Nation.objects.create(**nation_data(iso_alpha3=bad_code))
    assert not Nation.objects.filter(name="Peru").exists()


@covers("nation_alpha3_format", FORM)
def test_form_reports_lowercase_alpha3_code():
    form = NationForm(data=nation_data(iso_alpha3="per"))
    message = "“per” is not an ISO 3166-1 alpha-3 country code, such as COL."
    assert_form_reports(form, "iso_alpha3", message)
    bad = nation_data(iso_alpha3="per")
    assert_full_clean_reports(Nation(**bad), "iso_alpha3", message)
    # full_clean's clean() upper-cased that instance; the constraint sees a fresh one.
    assert_constraint_reports(Nation(**bad), "nation_alpha3_format")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "iso_alpha2",
            "XX",
            "“XX” is not an ISO 3166-1 alpha-2 country code, such as CO.",
        ),
        (
            "iso_alpha2",
            "co",
            "“co” is not an ISO 3166-1 alpha-2 country code, such as CO.",
        ),
        (
            "iso_alpha3",
            "XXX",
            "“XXX” is not an ISO 3166-1 alpha-3 country code, such as COL.",
        ),
        (
            "iso_alpha3",
            "col",
            "“col” is not an ISO 3166-1 alpha-3 country code, such as COL.",
        ),
    ],
)
def test_nation_codes_must_be_real_uppercase_iso_3166_codes(field, value, message):
    # "XX" passes the format constraint: only the validator knows it is no country.
    nation = Nation(**nation_data(**{field: value}))
    with pytest.raises(ValidationError) as excinfo:
        nation.full_clean()
    assert excinfo.value.message_dict == {field: [message]}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("es, xx", "Not ISO 639-1 language codes: xx."),
        ("spa", "Not ISO 639-1 language codes: spa."),
        ("Spanish", "Not ISO 639-1 language codes: spanish."),
        (" , ", "Give at least one ISO 639-1 language code, such as es."),
    ],
)
def test_official_languages_must_be_iso_639_1_codes(value, message):
    form = NationForm(data=nation_data(official_languages=value))
    assert_form_reports(form, "official_languages", message)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(
            lambda tz: factories.NationFactory.build(time_zone=tz), id="nation"
        ),
        pytest.param(lambda tz: factories.UserFactory.build(time_zone=tz), id="user"),
        pytest.param(
            lambda tz: factories.AssessmentMeetingFactory.build(time_zone=tz),
            id="meeting",
        ),
    ],
)
def test_time_zone_must_be_an_iana_zone(make):
    with pytest.raises(ValidationError) as excinfo:
        make("Mars/Olympus").full_clean()
    assert excinfo.value.message_dict == {
        "time_zone": [
            "“Mars/Olympus” is not an IANA time zone, such as America/Bogota."
        ]
    }
    make("America/Bogota").full_clean()


# ---------------------------------------------------------------- unique fields


@covers_unique("Nation.name", DATABASE)
def test_database_refuses_a_second_nation_of_the_same_name(colombia):
    with refused_as_duplicate(Nation, "name"):
        Nation.objects.create(**nation_data(name="Colombia"))


@covers_unique("Nation.name", FORM)
def test_form_reports_a_second_nation_of_the_same_name(colombia):
    form = NationForm(data=nation_data(name="Colombia"))
    assert_form_reports(form, "name", "Nation with this Name already exists.")


@covers_unique("Nation.iso_alpha2", DATABASE)
def test_database_refuses_a_second_nation_with_the_same_alpha2_code(colombia):
    with refused_as_duplicate(Nation, "iso_alpha2"):
        Nation.objects.create(**nation_data(iso_alpha2="CO"))


@covers_unique("Nation.iso_alpha2", FORM)
def test_form_reports_a_second_nation_with_the_same_alpha2_code(colombia):
    form = NationForm(data=nation_data(iso_alpha2="CO"))
    assert_form_reports(
        form,
        "iso_alpha2",
        "Nation with this ISO 3166-1 alpha-2 code already exists.",
    )


@covers_unique("Nation.iso_alpha3", DATABASE)
def test_database_refuses_a_second_nation_with_the_same_alpha3_code(colombia):
    with refused_as_duplicate(Nation, "iso_alpha3"):
        Nation.objects.create(**nation_data(iso_alpha3="COL"))


@covers_unique("Nation.iso_alpha3", FORM)
def test_form_reports_a_second_nation_with_the_same_alpha3_code(colombia):
    form = NationForm(data=nation_data(iso_alpha3="COL"))
    assert_form_reports(
        form,
        "iso_alpha3",
        "Nation with this ISO 3166-1 alpha-3 code already exists.",
    )


FocusAreaForm = forms.modelform_factory(FocusArea, fields=["name", "slug"])


@covers_unique("FocusArea.name", DATABASE)
def test_database_refuses_a_second_focus_area_of_the_same_name():
    factories.FocusAreaFactory(name="Drugs", slug="drugs")
    with refused_as_duplicate(FocusArea, "name"):
        FocusArea.objects.create(name="Drugs", slug="narcotics")


@covers_unique("FocusArea.name", FORM)
def test_form_reports_a_second_focus_area_of_the_same_name():
    factories.FocusAreaFactory(name="Drugs", slug="drugs")
    form = FocusAreaForm(data={"name": "Drugs", "slug": "narcotics"})
    assert_form_reports(
        form, "name", "Focus area with this Name (English) already exists."
    )


@covers_unique("FocusArea.slug", DATABASE)
def test_database_refuses_a_second_focus_area_with_the_same_slug():
    factories.FocusAreaFactory(name="Drugs", slug="drugs")
    with refused_as_duplicate(FocusArea, "slug"):
        FocusArea.objects.create(name="Narcotics", slug="drugs")


@covers_unique("FocusArea.slug", FORM)
def test_form_reports_a_second_focus_area_with_the_same_slug():
    factories.FocusAreaFactory(name="Drugs", slug="drugs")
    form = FocusAreaForm(data={"name": "Narcotics", "slug": "drugs"})
    assert_form_reports(form, "slug", "Focus area with this Slug already exists.")


@covers_unique("User.username", DATABASE)
def test_database_refuses_a_second_user_with_the_same_username():
    factories.UserFactory(username="liaison")
    with refused_as_duplicate(User, "username"):
        User.objects.create(username="liaison")


@covers_unique("User.username", FORM)
def test_form_reports_a_second_user_with_the_same_username():
    factories.UserFactory(username="liaison")
    form = forms.modelform_factory(User, fields=["username"])(
        data={"username": "liaison"}
    )
    assert_form_reports(form, "username", "A user with that username already exists.")


@covers_unique("Recommendation.reference", DATABASE)
def test_database_refuses_a_second_recommendation_with_the_same_reference():
    existing = factories.RecommendationFactory()
    with refused_as_duplicate(Recommendation, "reference"):
        factories.RecommendationFactory(reference=existing.reference)


@covers_unique("Recommendation.reference", FORM)
def test_full_clean_reports_a_second_recommendation_with_the_same_reference():
    # The reference is not editable, so no form offers it; full_clean still checks.
    existing = factories.RecommendationFactory()
    duplicate = factories.RecommendationFactory.build(
        reference=existing.reference,
        focus_area=existing.focus_area,
        owner=existing.owner,
    )
    assert_full_clean_reports(
        duplicate, "reference", "Recommendation with this Reference already exists."
    )
    with pytest.raises(FieldError):
        forms.modelform_factory(Recommendation, fields=["reference"])


# -------------------------------------------------------------------- initiatives

INITIATIVE_FIELDS = [
    "title",
    "kind",
    "summary",
    "owner",
    "planned_start",
    "planned_end",
    "actual_start",
    "actual_end",
]
InitiativeForm = forms.modelform_factory(Initiative, fields=INITIATIVE_FIELDS)


def initiative_data(owner, **overrides):
    return {
        "title": "Maritime interdiction task force",
        "kind": Initiative.Kind.JOINT_TASK_FORCE,
        "summary": "Joint patrols.",
        "owner": owner.pk,
        "planned_start": "2026-03-01",
        "planned_end": "2026-12-31",
        "actual_start": "",
        "actual_end": "",
        **overrides,
    }


@pytest.mark.parametrize("prefix", ["planned", "actual"])
def test_initiative_may_start_and_end_on_the_same_day_or_leave_a_date_open(prefix):
    owner = factories.UserFactory()
    for start, end in [("2026-03-01", "2026-03-01"), ("2026-03-01", ""), ("", "")]:
        form = InitiativeForm(
            data=initiative_data(
                owner, **{f"{prefix}_start": start, f"{prefix}_end": end}
            )
        )
        assert form.is_valid(), form.errors


@covers("initiative_planned_start_before_end", DATABASE)
def test_database_refuses_initiative_planned_to_end_before_it_starts():
    with refused_by_constraint("initiative_planned_start_before_end"):
        factories.InitiativeFactory(
            planned_start=datetime.date(2026, 3, 2),
            planned_end=datetime.date(2026, 3, 1),
        )
    initiative = factories.InitiativeFactory()
    with refused_by_constraint("initiative_planned_start_before_end"):
        Initiative.objects.filter(pk=initiative.pk).update(
            planned_end=datetime.date(2025, 1, 1)
        )


@covers("initiative_planned_start_before_end", FORM)
def test_form_reports_initiative_planned_to_end_before_it_starts():
    owner = factories.UserFactory()
    message = "The planned end cannot be before the planned start."
    form = InitiativeForm(
        data=initiative_data(
            owner, planned_start="2026-03-02", planned_end="2026-03-01"
        )
    )
    assert_form_reports(form, "__all__", message)
    initiative = factories.InitiativeFactory.build(
        owner=owner,
        planned_start=datetime.date(2026, 3, 2),
        planned_end=datetime.date(2026, 3, 1),
    )
    assert_full_clean_reports(initiative, "__all__", message)


@covers("initiative_actual_start_before_end", DATABASE)
def test_database_refuses_initiative_that_actually_ended_before_it_started():
    with refused_by_constraint("initiative_actual_start_before_end"):
        factories.InitiativeFactory(
            actual_start=datetime.date(2026, 3, 2),
            actual_end=datetime.date(2026, 3, 1),
        )


@covers("initiative_actual_start_before_end", FORM)
def test_form_reports_initiative_that_actually_ended_before_it_started():
    owner = factories.UserFactory()
    message = "The actual end cannot be before the actual start."
    form = InitiativeForm(
        data=initiative_data(owner, actual_start="2026-03-02", actual_end="2026-03-01")
    )
    assert_form_reports(form, "__all__", message)
    initiative = factories.InitiativeFactory.build(
        owner=owner,
        actual_start=datetime.date(2026, 3, 2),
        actual_end=datetime.date(2026, 3, 1),
    )
    assert_full_clean_reports(initiative, "__all__", message)


ParticipationForm = forms.modelform_factory(
    Participation, fields=["initiative", "nation", "role"]
)


@covers("participation_unique_nation", DATABASE)
def test_database_refuses_a_nation_taking_part_twice_in_an_initiative(colombia):
    participation = factories.ParticipationFactory(nation=colombia)
    with refused_by_constraint(
        "participation_unique_nation",
        sqlite_columns="cooperation_participation.initiative_id, "
        "cooperation_participation.nation_id",
    ):
        Participation.objects.create(
            initiative=participation.initiative,
            nation=colombia,
            role=Participation.Role.OBSERVER,
        )
    assert participation.initiative.participations.count() == 1


@covers("participation_unique_nation", FORM)
def test_form_reports_a_nation_taking_part_twice_in_an_initiative(colombia):
    participation = factories.ParticipationFactory(nation=colombia)
    message = "This nation already takes part in this initiative."
    form = ParticipationForm(
        data={
            "initiative": participation.initiative.pk,
            "nation": colombia.pk,
            "role": Participation.Role.OBSERVER,
        }
    )
    assert_form_reports(form, "__all__", message)
    duplicate = Participation(
        initiative=participation.initiative,
        nation=colombia,
        role=Participation.Role.OBSERVER,
    )
    assert_full_clean_reports(duplicate, "__all__", message)


@covers("participation_one_lead", DATABASE)
def test_database_refuses_a_second_lead_nation(colombia, brazil, united_states):
    lead = factories.ParticipationFactory(nation=colombia, role=Participation.Role.LEAD)
    initiative = lead.initiative
    # Any number of partners is fine: the constraint is partial.
    factories.ParticipationFactory(initiative=initiative, nation=united_states)
    with refused_by_constraint(
        "participation_one_lead",
        sqlite_columns="cooperation_participation.initiative_id",
    ):
        Participation.objects.create(
            initiative=initiative, nation=brazil, role=Participation.Role.LEAD
        )
    with refused_by_constraint(
        "participation_one_lead",
        sqlite_columns="cooperation_participation.initiative_id",
    ):
        initiative.participations.filter(nation=united_states).update(
            role=Participation.Role.LEAD
        )
    assert list(
        initiative.participations.filter(role=Participation.Role.LEAD).values_list(
            "nation__iso_alpha2", flat=True
        )
    ) == ["CO"]


@covers("participation_one_lead", FORM)
def test_form_reports_a_second_lead_nation(colombia, brazil):
    lead = factories.ParticipationFactory(nation=colombia, role=Participation.Role.LEAD)
    message = "An initiative has exactly one lead nation."
    form = ParticipationForm(
        data={
            "initiative": lead.initiative.pk,
            "nation": brazil.pk,
            "role": Participation.Role.LEAD,
        }
    )
    assert_form_reports(form, "__all__", message)
    second_lead = Participation(
        initiative=lead.initiative, nation=brazil, role=Participation.Role.LEAD
    )
    assert_full_clean_reports(second_lead, "__all__", message)
    # Editing the lead itself is no second lead.
    form = ParticipationForm(
        instance=lead,
        data={
            "initiative": lead.initiative.pk,
            "nation": colombia.pk,
            "role": Participation.Role.LEAD,
        },
    )
    assert form.is_valid(), form.errors


# ----------------------------------------------------------------------- meetings

MeetingForm = forms.modelform_factory(
    AssessmentMeeting, fields=["title", "starts_at", "ends_at", "time_zone"]
)


@covers("meeting_starts_before_it_ends", DATABASE)
@pytest.mark.parametrize(
    "length", [datetime.timedelta(0), datetime.timedelta(hours=-1)]
)
def test_database_refuses_meeting_that_does_not_end_after_it_starts(length):
    starts_at = timezone.now()
    with refused_by_constraint("meeting_starts_before_it_ends"):
        factories.AssessmentMeetingFactory(
            starts_at=starts_at, ends_at=starts_at + length
        )
    assert not AssessmentMeeting.objects.exists()


@covers("meeting_starts_before_it_ends", FORM)
def test_form_reports_meeting_that_does_not_end_after_it_starts():
    message = "A meeting must end after it starts."
    data = {
        "title": "Quarterly assessment",
        "starts_at": "2026-05-04 10:00",
        "ends_at": "2026-05-04 09:00",
        "time_zone": "America/Bogota",
    }
    assert_form_reports(MeetingForm(data=data), "ends_at", message)
    assert MeetingForm(data={**data, "ends_at": "2026-05-04 12:00"}).is_valid()
    starts_at = timezone.now()
    meeting = factories.AssessmentMeetingFactory.build(
        starts_at=starts_at, ends_at=starts_at
    )
    assert_full_clean_reports(meeting, "ends_at", message)
    assert_constraint_reports(meeting, "meeting_starts_before_it_ends")


AgendaItemForm = forms.modelform_factory(
    AgendaItem, fields=["meeting", "position", "title", "duration_minutes"]
)


@covers("agenda_item_duration_range", DATABASE)
@pytest.mark.parametrize("minutes", [0, 481])
def test_database_refuses_agenda_item_duration_out_of_range(minutes):
    meeting = factories.AssessmentMeetingFactory()
    with refused_by_constraint("agenda_item_duration_range"):
        factories.AgendaItemFactory(meeting=meeting, duration_minutes=minutes)
    assert not meeting.agenda_items.exists()


@covers("agenda_item_duration_range", FORM)
@pytest.mark.parametrize(
    ("minutes", "message"),
    [
        (0, "Ensure this value is greater than or equal to 1."),
        (481, "Ensure this value is less than or equal to 480."),
    ],
)
def test_form_reports_agenda_item_duration_out_of_range(minutes, message):
    meeting = factories.AssessmentMeetingFactory()
    form = AgendaItemForm(
        data={
            "meeting": meeting.pk,
            "position": 1,
            "title": "Opening",
            "duration_minutes": minutes,
        }
    )
    assert_form_reports(form, "duration_minutes", message)
    item = AgendaItem(meeting=meeting, title="Opening", duration_minutes=minutes)
    assert_full_clean_reports(item, "duration_minutes", message)
    assert_constraint_reports(item, "agenda_item_duration_range")


AssessmentForm = forms.modelform_factory(
    SituationAssessment,
    fields=[
        "meeting",
        "nation",
        "focus_area",
        "primary_concern",
        "is_primary",
        "trend",
        "threat_level",
        "summary",
        "is_draft",
    ],
)


def held_meeting():
    """A meeting that has taken place: its assessments may be final."""
    starts = timezone.now() - datetime.timedelta(days=1)
    return factories.AssessmentMeetingFactory(
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=2),
        status=AssessmentMeeting.Status.HELD,
    )


def assessment_data(meeting, nation, focus_area, **overrides):
    return {
        "meeting": meeting.pk,
        "nation": nation.pk,
        "focus_area": focus_area.pk,
        "primary_concern": "Cocaine",
        "trend": SituationAssessment.Trend.STABLE,
        "threat_level": SituationAssessment.ThreatLevel.HIGH,
        "summary": "Steady.",
        **overrides,
    }


@covers("assessment_one_primary_per_meeting_nation_focus", DATABASE)
def test_database_refuses_a_second_primary_concern_but_takes_a_secondary(colombia):
    assessment = factories.SituationAssessmentFactory(nation=colombia)
    same = {
        "meeting": assessment.meeting,
        "nation": colombia,
        "focus_area": assessment.focus_area,
    }
    with refused_by_constraint(
        "assessment_one_primary_per_meeting_nation_focus",
        sqlite_columns="cooperation_situationassessment.meeting_id, "
        "cooperation_situationassessment.nation_id, "
        "cooperation_situationassessment.focus_area_id",
    ):
        factories.SituationAssessmentFactory(**same, primary_concern="Heroin")
    factories.SituationAssessmentFactory(
        **same, primary_concern="Heroin", is_primary=False
    )
    assert SituationAssessment.objects.count() == 2


@covers("assessment_one_primary_per_meeting_nation_focus", FORM)
def test_form_reports_a_second_primary_concern_of_a_nation_and_focus_area(colombia):
    assessment = factories.SituationAssessmentFactory(
        meeting=held_meeting(), nation=colombia
    )
    data = assessment_data(
        assessment.meeting, colombia, assessment.focus_area, primary_concern="Heroin"
    )
    form = AssessmentForm(data={**data, "is_primary": "on"})
    assert_form_reports(
        form,
        "__all__",
        "This meeting already has a primary concern of this nation for this focus "
        "area.",
    )
    # As a secondary concern it is valid.
    assert AssessmentForm(data=data).is_valid()


@covers("assessment_unique_concern_per_meeting_nation_focus", DATABASE)
def test_database_refuses_the_same_concern_twice(colombia):
    assessment = factories.SituationAssessmentFactory(nation=colombia)
    with refused_by_constraint(
        "assessment_unique_concern_per_meeting_nation_focus",
        sqlite_columns="cooperation_situationassessment.meeting_id, "
        "cooperation_situationassessment.nation_id, "
        "cooperation_situationassessment.focus_area_id, "
        "cooperation_situationassessment.primary_concern",
    ):
        factories.SituationAssessmentFactory(
            meeting=assessment.meeting,
            nation=colombia,
            focus_area=assessment.focus_area,
            is_primary=False,
        )
    assert SituationAssessment.objects.count() == 1


@covers("assessment_unique_concern_per_meeting_nation_focus", FORM)
def test_form_reports_the_same_concern_of_a_nation_and_focus_area(colombia, brazil):
    assessment = factories.SituationAssessmentFactory(
        meeting=held_meeting(), nation=colombia
    )
    message = (
        "This meeting already has an assessment of this concern of this nation for "
        "this focus area."
    )
    form = AssessmentForm(
        data=assessment_data(assessment.meeting, colombia, assessment.focus_area)
    )
    assert_form_reports(form, "__all__", message)
    # Another nation, same meeting, focus area and concern, is another assessment.
    form = AssessmentForm(
        data=assessment_data(assessment.meeting, brazil, assessment.focus_area)
    )
    assert form.is_valid(), form.errors


@covers("assessment_threat_level_range", DATABASE)
@pytest.mark.parametrize("level", [0, 5])
def test_database_refuses_threat_level_outside_one_to_four(level):
    with refused_by_constraint("assessment_threat_level_range"):
        factories.SituationAssessmentFactory(threat_level=level)
    assessment = factories.SituationAssessmentFactory()
    with refused_by_constraint("assessment_threat_level_range"):
        SituationAssessment.objects.filter(pk=assessment.pk).update(threat_level=level)


@covers("assessment_threat_level_range", FORM)
def test_form_reports_threat_level_outside_one_to_four(colombia):
    meeting = held_meeting()
    focus_area = factories.FocusAreaFactory()
    form = AssessmentForm(
        data=assessment_data(meeting, colombia, focus_area, threat_level=5)
    )
    assert_form_reports(
        form,
        "threat_level",
        "Select a valid choice. 5 is not one of the available choices.",
    )
    assessment = factories.SituationAssessmentFactory.build(
        meeting=meeting, nation=colombia, focus_area=focus_area, threat_level=5
    )
    assert_full_clean_reports(
        assessment, "threat_level", "Value 5 is not a valid choice."
    )
    assert_constraint_reports(assessment, "assessment_threat_level_range")


FINAL_BEFORE_MEETING = (
    "This meeting has not started yet: record the assessment as a draft, and mark "
    "it final once the meeting has been held."
)


def test_form_reports_a_final_assessment_of_a_meeting_not_started_yet(colombia):
    # Not a CheckConstraint: "not started yet" depends on the clock, which a
    # constraint may not read. clean() is the guarantee, for forms and services.
    upcoming = factories.AssessmentMeetingFactory()  # starts in a week
    focus_area = factories.FocusAreaFactory()
    form = AssessmentForm(data=assessment_data(upcoming, colombia, focus_area))
    assert_form_reports(form, "is_draft", FINAL_BEFORE_MEETING)
    draft = AssessmentForm(
        data=assessment_data(upcoming, colombia, focus_area, is_draft=True)
    )
    assert draft.is_valid(), draft.errors
    held = AssessmentForm(data=assessment_data(held_meeting(), colombia, focus_area))
    assert held.is_valid(), held.errors
    assessment = factories.SituationAssessmentFactory.build(
        meeting=upcoming, nation=colombia, focus_area=focus_area
    )
    assert_full_clean_reports(assessment, "is_draft", FINAL_BEFORE_MEETING)
    assessment.is_draft = True
    assessment.full_clean()


EvaluationForm = forms.modelform_factory(
    InitiativeEvaluation, fields=["meeting", "initiative", "rating", "findings"]
)


@covers("evaluation_unique_per_meeting_initiative", DATABASE)
def test_database_refuses_a_second_evaluation_of_an_initiative_in_a_meeting():
    evaluation = factories.InitiativeEvaluationFactory()
    with refused_by_constraint(
        "evaluation_unique_per_meeting_initiative",
        sqlite_columns="cooperation_initiativeevaluation.meeting_id, "
        "cooperation_initiativeevaluation.initiative_id",
    ):
        factories.InitiativeEvaluationFactory(
            meeting=evaluation.meeting,
            initiative=evaluation.initiative,
            rating=InitiativeEvaluation.Rating.AT_RISK,
        )
    assert InitiativeEvaluation.objects.count() == 1


@covers("evaluation_unique_per_meeting_initiative", FORM)
def test_form_reports_a_second_evaluation_of_an_initiative_in_a_meeting():
    evaluation = factories.InitiativeEvaluationFactory()
    data = {
        "meeting": evaluation.meeting.pk,
        "initiative": evaluation.initiative.pk,
        "rating": InitiativeEvaluation.Rating.AT_RISK,
        "findings": "Delays.",
    }
    assert_form_reports(
        EvaluationForm(data=data),
        "__all__",
        "This meeting has already evaluated this initiative.",
    )
    next_meeting = factories.AssessmentMeetingFactory()
    assert EvaluationForm(data={**data, "meeting": next_meeting.pk}).is_valid()


# ------------------------------------------------------------ series and invitations

SeriesForm = forms.modelform_factory(
    MeetingSeries,
    fields=[
        "title",
        "frequency",
        "interval",
        "starts_on",
        "start_time",
        "duration_minutes",
        "time_zone",
        "until",
        "count",
    ],
)


def series_data(**overrides):
    return {
        "title": "Quarterly assessment",
        "frequency": MeetingSeries.Frequency.QUARTERLY,
        "interval": 1,
        "starts_on": "2027-01-21",
        "start_time": "09:00",
        "duration_minutes": 120,
        "time_zone": "America/Bogota",
        "until": "",
        "count": 4,
        **overrides,
    }


@covers("series_ends_on_date_or_after_count", DATABASE)
@pytest.mark.parametrize(
    ("until", "count"), [(None, None), (datetime.date(2027, 12, 31), 4)]
)
def test_database_refuses_series_without_exactly_one_end(until, count):
    with refused_by_constraint("series_ends_on_date_or_after_count"):
        factories.MeetingSeriesFactory(until=until, count=count)
    assert not MeetingSeries.objects.exists()


@covers("series_ends_on_date_or_after_count", FORM)
@pytest.mark.parametrize(
    "overrides", [{"count": ""}, {"until": "2027-12-31", "count": 4}]
)
def test_form_reports_series_without_exactly_one_end(overrides):
    message = "A series ends either on a date or after a number of occurrences."
    assert_form_reports(SeriesForm(data=series_data(**overrides)), "__all__", message)
    assert SeriesForm(data=series_data()).is_valid()
    assert SeriesForm(data=series_data(until="2027-12-31", count="")).is_valid()
    series = factories.MeetingSeriesFactory.build(
        created_by=factories.UserFactory(), until=None, count=None
    )
    assert_constraint_reports(series, "series_ends_on_date_or_after_count")


@covers("series_interval_range", DATABASE)
@pytest.mark.parametrize("interval", [0, 13])
def test_database_refuses_series_interval_outside_one_to_twelve(interval):
    with refused_by_constraint("series_interval_range"):
        factories.MeetingSeriesFactory(interval=interval)
    series = factories.MeetingSeriesFactory()
    with refused_by_constraint("series_interval_range"):
        MeetingSeries.objects.filter(pk=series.pk).update(interval=interval)


@covers("series_interval_range", FORM)
@pytest.mark.parametrize(
    ("interval", "message"),
    [
        (0, "Ensure this value is greater than or equal to 1."),
        (13, "Ensure this value is less than or equal to 12."),
    ],
)
def test_form_reports_series_interval_outside_one_to_twelve(interval, message):
    assert_form_reports(
        SeriesForm(data=series_data(interval=interval)), "interval", message
    )
    series = factories.MeetingSeriesFactory.build(
        created_by=factories.UserFactory(), interval=interval
    )
    assert_full_clean_reports(series, "interval", message)
    assert_constraint_reports(series, "series_interval_range")


@covers("series_ends_after_it_starts", DATABASE)
def test_database_refuses_series_ending_before_it_starts():
    with refused_by_constraint("series_ends_after_it_starts"):
        factories.MeetingSeriesFactory(
            starts_on=datetime.date(2027, 5, 1),
            until=datetime.date(2027, 4, 30),
            count=None,
        )
    assert not MeetingSeries.objects.exists()


@covers("series_ends_after_it_starts", FORM)
def test_form_reports_series_ending_before_it_starts():
    message = "A series cannot end before its first occurrence."
    data = series_data(starts_on="2027-05-01", until="2027-04-30", count="")
    assert_form_reports(SeriesForm(data=data), "__all__", message)
    # Ending on the day it starts is a series of one.
    assert SeriesForm(data={**data, "until": "2027-05-01"}).is_valid()


OccurrenceForm = forms.modelform_factory(
    AssessmentMeeting,
    fields=[
        "title",
        "starts_at",
        "ends_at",
        "time_zone",
        "series",
        "occurrence_number",
    ],
)


@covers("meeting_unique_occurrence_in_series", DATABASE)
def test_database_refuses_two_occurrences_with_the_same_number_in_a_series():
    series = factories.MeetingSeriesFactory()
    factories.AssessmentMeetingFactory(series=series, occurrence_number=1)
    with refused_by_constraint(
        "meeting_unique_occurrence_in_series",
        sqlite_columns="cooperation_assessmentmeeting.series_id, "
        "cooperation_assessmentmeeting.occurrence_number",
    ):
        factories.AssessmentMeetingFactory(series=series, occurrence_number=1)
    # Meetings outside a series carry no number and never clash.
    factories.AssessmentMeetingFactory.create_batch(2)
    assert AssessmentMeeting.objects.count() == 3


@covers("meeting_unique_occurrence_in_series", FORM)
def test_form_reports_two_occurrences_with_the_same_number_in_a_series():
    series = factories.MeetingSeriesFactory()
    factories.AssessmentMeetingFactory(series=series, occurrence_number=1)
    data = {
        "title": "Quarterly assessment #1",
        "starts_at": "2027-05-04 10:00",
        "ends_at": "2027-05-04 12:00",
        "time_zone": "America/Bogota",
        "series": series.pk,
        "occurrence_number": 1,
    }
    assert_form_reports(
        OccurrenceForm(data=data),
        "__all__",
        "This series already has an occurrence with this number.",
    )
    assert OccurrenceForm(data={**data, "occurrence_number": 2}).is_valid()


InvitationForm = forms.modelform_factory(Invitation, fields=["meeting", "user"])


@covers("invitation_unique_attendee", DATABASE)
def test_database_refuses_inviting_the_same_person_twice():
    invitation = factories.InvitationFactory()
    with refused_by_constraint(
        "invitation_unique_attendee",
        sqlite_columns="cooperation_invitation.meeting_id, "
        "cooperation_invitation.user_id",
    ):
        factories.InvitationFactory(meeting=invitation.meeting, user=invitation.user)
    assert Invitation.objects.count() == 1


@covers("invitation_unique_attendee", FORM)
def test_form_reports_inviting_the_same_person_twice():
    invitation = factories.InvitationFactory()
    data = {"meeting": invitation.meeting.pk, "user": invitation.user.pk}
    assert_form_reports(
        InvitationForm(data=data), "__all__", "This person is already invited."
    )
    other = factories.UserFactory()
    assert InvitationForm(data={**data, "user": other.pk}).is_valid()


@covers("invitation_attendance_valid", DATABASE)
def test_database_refuses_an_unknown_attendance():
    invitation = factories.InvitationFactory()
    with refused_by_constraint("invitation_attendance_valid"):
        Invitation.objects.filter(pk=invitation.pk).update(attendance="late")
    invitation.refresh_from_db()
    assert invitation.attendance == ""


@covers("invitation_attendance_valid", FORM)
def test_form_reports_an_unknown_attendance():
    invitation = factories.InvitationFactory()
    form = AttendanceForm(
        data={"attendance": "late", "represented_by": ""}, instance=invitation
    )
    assert not form.is_valid()
    assert set(form.errors) == {"attendance"}
    invitation = Invitation.objects.get(pk=invitation.pk)
    invitation.attendance = "late"
    assert_constraint_reports(invitation, "invitation_attendance_valid")
    assert AttendanceForm(
        data={"attendance": "absent", "represented_by": ""}, instance=invitation
    ).is_valid()


@covers("invitation_represented_by_named", DATABASE)
@pytest.mark.parametrize(
    ("attendance", "name"),
    [("represented", ""), ("present", "María López"), ("", "María López")],
)
def test_database_refuses_a_representative_out_of_place(attendance, name):
    invitation = factories.InvitationFactory()
    with refused_by_constraint("invitation_represented_by_named"):
        Invitation.objects.filter(pk=invitation.pk).update(
            attendance=attendance, represented_by=name
        )
    Invitation.objects.filter(pk=invitation.pk).update(
        attendance="represented", represented_by="María López"
    )


@covers("invitation_represented_by_named", FORM)
@pytest.mark.parametrize(
    ("attendance", "name", "message"),
    [
        ("represented", "  ", "Name who represented this attendee."),
        (
            "present",
            "María López",
            "Only a represented attendee has a representative: choose “Represented” "
            "or leave the name empty.",
        ),
    ],
)
def test_form_reports_a_representative_out_of_place(attendance, name, message):
    invitation = factories.InvitationFactory()
    form = AttendanceForm(
        data={"attendance": attendance, "represented_by": name}, instance=invitation
    )
    assert_form_reports(form, "represented_by", message)
    stored = Invitation.objects.get(pk=invitation.pk)
    stored.attendance, stored.represented_by = attendance, name.strip()
    assert_constraint_reports(stored, "invitation_represented_by_named")
    assert AttendanceForm(
        data={"attendance": "represented", "represented_by": "María López"},
        instance=stored,
    ).is_valid()


@covers("user_unique_calendar_token", DATABASE)
def test_database_refuses_two_users_with_the_same_calendar_token():
    factories.UserFactory(calendar_token_hash="a" * 64)
    with refused_by_constraint(
        "user_unique_calendar_token",
        sqlite_columns="cooperation_user.calendar_token_hash",
    ):
        factories.UserFactory(calendar_token_hash="a" * 64)
    # Users without a token (an empty hash) are many.
    factories.UserFactory.create_batch(2, calendar_token_hash="")
    assert User.objects.count() == 3


@covers("user_unique_calendar_token", FORM)
def test_full_clean_reports_two_users_with_the_same_calendar_token():
    # The hash is not editable, so no form offers it; full_clean still checks.
    factories.UserFactory(calendar_token_hash="b" * 64)
    duplicate = factories.UserFactory.build(calendar_token_hash="b" * 64)
    with pytest.raises(ValidationError) as excinfo:
        duplicate.full_clean()
    constraint = get_constraint(User, "user_unique_calendar_token")
    assert excinfo.value.message_dict["__all__"] == [
        constraint.get_violation_error_message()
    ]
    factories.UserFactory.build(calendar_token_hash="").full_clean()
    with pytest.raises(FieldError):
        forms.modelform_factory(User, fields=["calendar_token_hash"])


UserEmailForm = forms.modelform_factory(User, fields=["username", "email"])


@covers("user_unique_email_ci", DATABASE)
def test_database_refuses_two_users_with_the_same_address_in_any_case():
    factories.UserFactory(username="liaison", email="liaison@example.org")
    with refused_by_constraint("user_unique_email_ci"):
        factories.UserFactory(username="copycat", email="Liaison@EXAMPLE.org")
    # Accounts without an address (an empty one) are many.
    factories.UserFactory.create_batch(2, email="")
    assert User.objects.count() == 3
    assert not User.objects.filter(username="copycat").exists()


@covers("user_unique_email_ci", FORM)
def test_form_reports_an_address_another_user_has_in_other_case():
    factories.UserFactory(username="liaison", email="liaison@example.org")
    form = UserEmailForm(data={"username": "copycat", "email": "LIAISON@example.org"})
    assert_form_reports(
        form, "email", "Another account already uses this e-mail address."
    )
    factories.UserFactory(username="no-address", email="")
    assert UserEmailForm(data={"username": "copycat", "email": ""}).is_valid()
    assert UserEmailForm(
        data={"username": "copycat", "email": "copycat@example.org"}
    ).is_valid()


@covers_unique("OutboundEmail.key", DATABASE)
def test_database_refuses_a_second_notification_with_the_same_key():
    sent = factories.OutboundEmailFactory()
    with refused_as_duplicate(OutboundEmail, "key"):
        factories.OutboundEmailFactory(key=sent.key)
    assert OutboundEmail.objects.count() == 1


@covers_unique("OutboundEmail.key", FORM)
def test_form_reports_a_second_notification_with_the_same_key():
    sent = factories.OutboundEmailFactory()
    form = forms.modelform_factory(OutboundEmail, fields=["key", "kind", "recipient"])(
        data={"key": sent.key, "kind": sent.kind, "recipient": sent.recipient.pk}
    )
    assert_form_reports(form, "key", "Outbound e-mail with this Key already exists.")


@covers("outbound_email_sent_has_time", DATABASE)
def test_database_refuses_a_sent_email_without_its_time():
    email = factories.OutboundEmailFactory()
    with refused_by_constraint("outbound_email_sent_has_time"):
        OutboundEmail.objects.filter(pk=email.pk).update(status="sent")
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.PENDING


@covers("outbound_email_sent_has_time", FORM)
def test_validation_reports_a_sent_email_without_its_time():
    """No form writes the outbox (the delivery task does): model validation and the
    constraint report it to whatever would."""
    email = factories.OutboundEmailFactory.build(
        recipient=factories.UserFactory(), status=OutboundEmail.Status.SENT
    )
    assert_constraint_reports(email, "outbound_email_sent_has_time")
    email.sent_at = timezone.now()
    get_constraint(OutboundEmail, "outbound_email_sent_has_time").validate(
        OutboundEmail, email
    )


@covers("outbound_email_pending_is_due", DATABASE)
def test_database_refuses_a_pending_email_without_a_next_attempt():
    with refused_by_constraint("outbound_email_pending_is_due"):
        factories.OutboundEmailFactory(next_attempt_at=None)
    assert not OutboundEmail.objects.exists()


@covers("outbound_email_pending_is_due", FORM)
def test_validation_reports_a_pending_email_without_a_next_attempt():
    email = factories.OutboundEmailFactory.build(
        recipient=factories.UserFactory(), next_attempt_at=None
    )
    assert_constraint_reports(email, "outbound_email_pending_is_due")
    email.status = OutboundEmail.Status.FAILED
    get_constraint(OutboundEmail, "outbound_email_pending_is_due").validate(
        OutboundEmail, email
    )


UserSessionForm = forms.modelform_factory(UserSession, fields=["user", "session_key"])


@covers_unique("UserSession.session_key", DATABASE)
def test_database_refuses_recording_a_session_key_twice():
    first, second = factories.UserFactory.create_batch(2)
    UserSession.objects.create(user=first, session_key="k" * 32)
    with refused_as_duplicate(UserSession, "session_key"):
        UserSession.objects.create(user=second, session_key="k" * 32)
    assert UserSession.objects.count() == 1


@covers_unique("UserSession.session_key", FORM)
def test_form_reports_recording_a_session_key_twice():
    # No page offers the key (it is recorded at login); a model form still checks.
    first, second = factories.UserFactory.create_batch(2)
    UserSession.objects.create(user=first, session_key="k" * 32)
    form = UserSessionForm(data={"user": second.pk, "session_key": "k" * 32})
    assert_form_reports(
        form, "session_key", "User session with this Session key already exists."
    )
    assert UserSessionForm(data={"user": second.pk, "session_key": "m" * 32}).is_valid()


# ---------------------------------------------------------------- recommendations

RecommendationForm = forms.modelform_factory(
    Recommendation, fields=["title", "description", "focus_area", "owner", "priority"]
)


@covers("recommendation_priority_range", DATABASE)
@pytest.mark.parametrize("priority", [0, 5])
def test_database_refuses_priority_outside_one_to_four(priority):
    with refused_by_constraint("recommendation_priority_range"):
        factories.RecommendationFactory(priority=priority)
    assert not Recommendation.objects.exists()


@covers("recommendation_priority_range", FORM)
def test_form_reports_priority_outside_one_to_four():
    owner = factories.UserFactory()
    focus_area = factories.FocusAreaFactory()
    data = {
        "title": "Share radar tracks",
        "description": "Within 24 hours.",
        "focus_area": focus_area.pk,
        "owner": owner.pk,
        "priority": 5,
    }
    assert_form_reports(
        RecommendationForm(data=data),
        "priority",
        "Select a valid choice. 5 is not one of the available choices.",
    )
    assert RecommendationForm(data={**data, "priority": 4}).is_valid()
    recommendation = factories.RecommendationFactory.build(
        owner=owner, focus_area=focus_area, priority=5
    )
    assert_full_clean_reports(
        recommendation, "priority", "Value 5 is not a valid choice."
    )
    assert_constraint_reports(recommendation, "recommendation_priority_range")


@covers("recommendation_progress_0_to_100", DATABASE)
def test_database_refuses_stored_progress_above_one_hundred_percent():
    with refused_by_constraint("recommendation_progress_0_to_100"):
        factories.RecommendationFactory(progress=101)
    recommendation = factories.RecommendationFactory()
    with refused_by_constraint("recommendation_progress_0_to_100"):
        Recommendation.objects.filter(pk=recommendation.pk).update(progress=250)
    recommendation.refresh_from_db()
    assert recommendation.progress == 0


@covers("recommendation_progress_0_to_100", FORM)
def test_validation_reports_stored_progress_above_one_hundred_percent():
    """No form edits the stored progress (the services keep it from the timeline):
    model validation and the constraint report it to whatever would write it."""
    recommendation = factories.RecommendationFactory.build(
        owner=factories.UserFactory(),
        focus_area=factories.FocusAreaFactory(),
        progress=101,
    )
    assert_full_clean_reports(
        recommendation, "progress", "Ensure this value is less than or equal to 100."
    )
    assert_constraint_reports(recommendation, "recommendation_progress_0_to_100")
    recommendation.progress = 100
    get_constraint(Recommendation, "recommendation_progress_0_to_100").validate(
        Recommendation, recommendation
    )


UpdateForm = forms.modelform_factory(
    RecommendationUpdate,
    fields=["recommendation", "author", "from_status", "to_status", "progress", "note"],
)


@covers("update_progress_0_to_100", DATABASE)
def test_database_refuses_progress_above_one_hundred_percent():
    recommendation = factories.RecommendationFactory()
    with refused_by_constraint("update_progress_0_to_100"):
        factories.RecommendationUpdateFactory(
            recommendation=recommendation, progress=101
        )
    update = factories.RecommendationUpdateFactory(recommendation=recommendation)
    with refused_by_constraint("update_progress_0_to_100"):
        RecommendationUpdate.objects.filter(pk=update.pk).update(progress=250)
    update.refresh_from_db()
    assert update.progress == 0


@covers("update_progress_0_to_100", FORM)
def test_form_reports_progress_above_one_hundred_percent():
    recommendation = factories.RecommendationFactory()
    author = factories.UserFactory()
    data = {
        "recommendation": recommendation.pk,
        "author": author.pk,
        "from_status": Recommendation.Status.ACCEPTED,
        "to_status": Recommendation.Status.IN_PROGRESS,
        "progress": 101,
        "note": "Started.",
    }
    message = "Ensure this value is less than or equal to 100."
    assert_form_reports(UpdateForm(data=data), "progress", message)
    assert UpdateForm(data={**data, "progress": 100}).is_valid()
    update = RecommendationUpdate(
        recommendation=recommendation,
        author=author,
        to_status=Recommendation.Status.IN_PROGRESS,
        progress=101,
        note="Started.",
    )
    assert_full_clean_reports(update, "progress", message)
    assert_constraint_reports(update, "update_progress_0_to_100")


# ----------------------------------------------------------------- deletion


def test_deleting_a_nation_that_takes_part_in_an_initiative_is_refused(colombia):
    factories.ParticipationFactory(nation=colombia)
    with pytest.raises(ProtectedError):
        colombia.delete()
    assert Nation.objects.filter(pk=colombia.pk).exists()


def test_deleting_a_nation_that_users_serve_is_refused(colombian_user, colombia):
    with pytest.raises(ProtectedError):
        colombia.delete()
    assert Nation.objects.filter(pk=colombia.pk).exists()


def test_deleting_a_focus_area_with_assessments_is_refused():
    assessment = factories.SituationAssessmentFactory()
    with pytest.raises(ProtectedError):
        assessment.focus_area.delete()
    assert FocusArea.objects.filter(pk=assessment.focus_area_id).exists()


def test_deleting_a_user_who_owns_an_initiative_is_refused():
    initiative = factories.InitiativeFactory()
    with pytest.raises(ProtectedError):
        initiative.owner.delete()
    assert User.objects.filter(pk=initiative.owner_id).exists()


def test_deleting_a_meeting_with_assessments_is_refused():
    assessment = factories.SituationAssessmentFactory()
    with pytest.raises(ProtectedError):
        assessment.meeting.delete()
    assert AssessmentMeeting.objects.filter(pk=assessment.meeting_id).exists()


def test_deleting_a_recommendation_with_updates_is_refused():
    update = factories.RecommendationUpdateFactory()
    with pytest.raises(ProtectedError):
        update.recommendation.delete()
    assert Recommendation.objects.filter(pk=update.recommendation_id).exists()


def test_unreferenced_records_can_be_deleted(colombia):
    # The control for the tests above: PROTECT, not an undeletable table.
    factories.FocusAreaFactory(slug="spare").delete()
    factories.AssessmentMeetingFactory().delete()
    colombia.delete()
    assert not Nation.objects.exists()
    assert not FocusArea.objects.exists()
    assert not AssessmentMeeting.objects.exists()


# -------------------------------------------------------------------------- history


def test_creating_an_initiative_records_its_first_history_row():
    initiative = factories.InitiativeFactory(title="Riverine patrols")
    (created,) = initiative.history.all()
    assert created.history_type == "+"
    assert created.title == "Riverine patrols"
    assert created.owner_id == initiative.owner_id


def test_changing_an_initiative_records_the_changed_values():
    initiative = factories.InitiativeFactory(
        title="Riverine patrols", status=Initiative.Status.PIPELINE
    )
    initiative.title = "Riverine and coastal patrols"
    initiative.status = Initiative.Status.IMPLEMENTATION
    initiative.save()

    assert initiative.history.count() == 2
    latest, previous = initiative.history.all()
    assert latest.history_type == "~"
    assert (previous.title, previous.status) == ("Riverine patrols", "pipeline")
    changes = {
        change.field: (change.old, change.new)
        for change in latest.diff_against(previous).changes
    }
    assert changes["title"] == ("Riverine patrols", "Riverine and coastal patrols")
    assert changes["status"] == ("pipeline", "implementation")
    assert "summary" not in changes


def test_changing_what_an_initiative_is_released_to_is_recorded(colombia):
    initiative = factories.InitiativeFactory(released_to_all=False)
    initiative.released_to.set([colombia])
    latest = initiative.history.first()
    assert [row.nation for row in latest.released_to.all()] == [colombia]


# --------------------------------------------------------------- queryset helpers


def test_upcoming_meetings_are_those_within_the_window_that_go_ahead():
    now = timezone.now()

    def meeting(days, status=AssessmentMeeting.Status.SCHEDULED, hours=2):
        starts_at = now + datetime.timedelta(days=days)
        return factories.AssessmentMeetingFactory(
            starts_at=starts_at,
            ends_at=starts_at + datetime.timedelta(hours=hours),
            status=status,
        )

    in_10_days = meeting(10)
    draft_in_20_days = meeting(20, status=AssessmentMeeting.Status.DRAFT)
    under_way = meeting(-0.05, hours=4)
    in_40_days = meeting(40)
    meeting(-3)  # over
    meeting(10, status=AssessmentMeeting.Status.CANCELLED)
    meeting(10, status=AssessmentMeeting.Status.HELD)

    assert list(AssessmentMeeting.objects.upcoming(days=30)) == [
        under_way,
        in_10_days,
        draft_in_20_days,
    ]
    assert in_40_days in AssessmentMeeting.objects.upcoming()


def test_overdue_recommendations_are_open_and_past_their_due_date():
    today = timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)
    Status = Recommendation.Status
    overdue = {
        factories.RecommendationFactory(status=status, due_date=yesterday)
        for status in (Status.PROPOSED, Status.ACCEPTED, Status.IN_PROGRESS)
    }
    for status in (Status.IMPLEMENTED, Status.REJECTED, Status.DEFERRED):
        factories.RecommendationFactory(status=status, due_date=yesterday)
    factories.RecommendationFactory(due_date=today)
    factories.RecommendationFactory(due_date=today + datetime.timedelta(days=5))
    factories.RecommendationFactory(due_date=None)

    assert set(Recommendation.objects.overdue()) == overdue
    assert {r for r in Recommendation.objects.all() if r.is_overdue()} == overdue


# ---------------------------------------------------------------- notifications


@covers("follow_unique", DATABASE)
def test_database_refuses_following_a_recommendation_twice():
    from cooperation.models import Follow

    follow = factories.FollowFactory()
    with refused_by_constraint(
        "follow_unique",
        sqlite_columns="cooperation_follow.user_id, "
        "cooperation_follow.recommendation_id",
    ):
        Follow.objects.create(user=follow.user, recommendation=follow.recommendation)
    assert Follow.objects.count() == 1


@covers("follow_unique", FORM)
def test_full_clean_reports_following_a_recommendation_twice():
    from cooperation.models import Follow

    follow = factories.FollowFactory()
    again = Follow(user=follow.user, recommendation=follow.recommendation)
    with pytest.raises(ValidationError) as excinfo:
        again.full_clean()
    assert excinfo.value.messages
    other = Follow(user=factories.UserFactory(), recommendation=follow.recommendation)
    other.full_clean()


@covers("notification_preference_unique", DATABASE)
def test_database_refuses_two_preferences_for_one_kind():
    from cooperation.models import NotificationPreference

    preference = factories.NotificationPreferenceFactory()
    with refused_by_constraint(
        "notification_preference_unique",
        sqlite_columns="cooperation_notificationpreference.user_id, "
        "cooperation_notificationpreference.kind",
    ):
        NotificationPreference.objects.create(
            user=preference.user, kind=preference.kind, delivery="digest"
        )
    assert NotificationPreference.objects.count() == 1


@covers("notification_preference_unique", FORM)
def test_full_clean_reports_two_preferences_for_one_kind():
    from cooperation.models import NotificationPreference

    preference = factories.NotificationPreferenceFactory()
    again = NotificationPreference(
        user=preference.user, kind=preference.kind, delivery="digest"
    )
    with pytest.raises(ValidationError) as excinfo:
        again.full_clean()
    assert excinfo.value.messages
    again.kind = "comment"
    again.full_clean()


# ------------------------------------------------------ briefings, documents, filters


@covers("briefing_kind_matches_subject", DATABASE)
def test_database_refuses_a_briefing_whose_kind_does_not_match_its_subject():
    meeting = factories.AssessmentMeetingFactory()
    with refused_by_constraint("briefing_kind_matches_subject"):
        factories.BriefingFactory(kind="regional", meeting=meeting)
    with refused_by_constraint("briefing_kind_matches_subject"):
        factories.BriefingFactory(kind="meeting", meeting=None)
    factories.BriefingFactory(kind="meeting", meeting=meeting, as_of=None)
    factories.BriefingFactory(kind="regional")


@covers("briefing_kind_matches_subject", FORM)
def test_full_clean_reports_a_briefing_whose_kind_does_not_match_its_subject():
    from cooperation.models import Briefing

    user = factories.UserFactory()
    briefing = Briefing(
        kind="meeting", requested_by=user, language="en", time_zone="UTC"
    )
    assert_constraint_reports(briefing, "briefing_kind_matches_subject")


@covers("document_has_one_parent", DATABASE)
def test_database_refuses_a_document_with_no_parent_or_two():
    meeting = factories.AssessmentMeetingFactory()
    with refused_by_constraint("document_has_one_parent"):
        factories.DocumentFactory(recommendation=None, versions=[])
    with refused_by_constraint("document_has_one_parent"):
        factories.DocumentFactory(meeting=meeting, versions=[])
    factories.DocumentFactory(recommendation=None, meeting=meeting, versions=[])


@covers("document_has_one_parent", FORM)
def test_full_clean_reports_a_document_with_no_parent():
    from cooperation.models import Document

    document = Document(
        title="Orphan", kind="other", uploaded_by=factories.UserFactory()
    )
    assert_constraint_reports(document, "document_has_one_parent")


@covers("document_version_unique_number", DATABASE)
def test_database_refuses_two_versions_of_a_document_with_one_number():
    document = factories.DocumentFactory()
    with refused_by_constraint(
        "document_version_unique_number",
        sqlite_columns="cooperation_documentversion.document_id, "
        "cooperation_documentversion.number",
    ):
        factories.DocumentVersionFactory(document=document, number=1)
    factories.DocumentVersionFactory(document=document, number=2)


@covers("document_version_unique_number", FORM)
def test_full_clean_reports_two_versions_of_a_document_with_one_number():
    from cooperation.models import DocumentVersion

    version = factories.DocumentFactory().versions.get()
    again = DocumentVersion(
        document=version.document,
        number=1,
        file=version.file.name,
        original_name="again.pdf",
        size=1,
        content_type="application/pdf",
        sha256="0" * 64,
        uploaded_by=version.uploaded_by,
    )
    with pytest.raises(ValidationError) as excinfo:
        again.full_clean()
    assert excinfo.value.messages
    again.number = 2
    again.full_clean()


@covers("saved_filter_unique_name", DATABASE)
def test_database_refuses_two_saved_filters_of_one_name_on_one_list():
    from cooperation.models import SavedFilter

    saved = factories.SavedFilterFactory()
    with refused_by_constraint(
        "saved_filter_unique_name",
        sqlite_columns="cooperation_savedfilter.user_id, "
        "cooperation_savedfilter.list_name, cooperation_savedfilter.name",
    ):
        SavedFilter.objects.create(
            user=saved.user, list_name=saved.list_name, name=saved.name, query="q=x"
        )
    SavedFilter.objects.create(
        user=saved.user, list_name="initiatives", name=saved.name, query="q=x"
    )


@covers("saved_filter_unique_name", FORM)
def test_full_clean_reports_two_saved_filters_of_one_name_on_one_list():
    from cooperation.models import SavedFilter

    saved = factories.SavedFilterFactory()
    again = SavedFilter(
        user=saved.user, list_name=saved.list_name, name=saved.name, query="q=x"
    )
    with pytest.raises(ValidationError) as excinfo:
        again.full_clean()
    assert "You already have a saved filter of that name." in excinfo.value.messages


# ------------------------------------------------- working days and recurrences

WorkingDaysForm = forms.modelform_factory(
    Nation, fields=[*NATION_FIELDS, "weekend_days", "workday_start", "workday_end"]
)


def working_days_data(**overrides):
    defaults = {
        "weekend_days": ["5", "6"],
        "workday_start": "08:00",
        "workday_end": "18:00",
    }
    return nation_data(**{**defaults, **overrides})


@covers("nation_weekend_days", DATABASE)
@pytest.mark.parametrize("bad_days", ["0123456", "65", "7", "5,6"])
def test_database_refuses_a_week_without_working_days_or_bad_digits(colombia, bad_days):
    with refused_by_constraint("nation_weekend_days"):
        Nation.objects.filter(pk=colombia.pk).update(weekend_days=bad_days)
    colombia.refresh_from_db()
    assert colombia.weekend_days == "56"


@covers("nation_weekend_days", FORM)
def test_form_reports_a_week_without_working_days():
    message = "At least one day of the week must be a working day."
    every_day = working_days_data(weekend_days=list("0123456"))
    assert_form_reports(WorkingDaysForm(data=every_day), "weekend_days", message)
    assert WorkingDaysForm(data=working_days_data(weekend_days=[])).is_valid()
    assert_full_clean_reports(
        Nation(**nation_data(weekend_days="0123456")), "weekend_days", message
    )
    assert_constraint_reports(
        Nation(**nation_data(weekend_days="0123456")), "nation_weekend_days"
    )


@covers("nation_workday_order", DATABASE)
def test_database_refuses_a_working_day_ending_before_it_starts(colombia):
    with refused_by_constraint("nation_workday_order"):
        Nation.objects.filter(pk=colombia.pk).update(
            workday_start=datetime.time(18), workday_end=datetime.time(18)
        )
    colombia.refresh_from_db()
    assert colombia.workday_end == datetime.time(18)
    assert colombia.workday_start == datetime.time(8)


@covers("nation_workday_order", FORM)
def test_form_reports_a_working_day_ending_before_it_starts():
    message = "The working day must end after it starts."
    data = working_days_data(workday_start="18:00", workday_end="09:00")
    assert_form_reports(WorkingDaysForm(data=data), "workday_end", message)
    assert WorkingDaysForm(data=working_days_data(workday_start="07:00")).is_valid()
    bad = nation_data(workday_start=datetime.time(18), workday_end=datetime.time(9))
    assert_full_clean_reports(Nation(**bad), "workday_end", message)
    assert_constraint_reports(Nation(**bad), "nation_workday_order")


RecurrenceForm = forms.modelform_factory(
    MeetingSeries,
    fields=[*SeriesForm.base_fields, "week_of_month", "weekday"],
)


@covers("series_week_of_month_and_weekday", DATABASE)
@pytest.mark.parametrize(
    "fields",
    [
        {"week_of_month": 1, "weekday": None},
        {"week_of_month": None, "weekday": 1},
        {"week_of_month": 5, "weekday": 1},
        {"week_of_month": 1, "weekday": 7},
        {"week_of_month": 1, "weekday": 1, "frequency": "weekly"},
    ],
)
def test_database_refuses_half_or_bad_week_of_the_month(fields):
    series = factories.MeetingSeriesFactory(frequency="monthly")
    with refused_by_constraint("series_week_of_month_and_weekday"):
        MeetingSeries.objects.filter(pk=series.pk).update(**fields)
    MeetingSeries.objects.filter(pk=series.pk).update(week_of_month=-1, weekday=3)
    series.refresh_from_db()
    assert (series.week_of_month, series.weekday) == (-1, 3)


@covers("series_week_of_month_and_weekday", FORM)
def test_form_reports_a_week_of_the_month_without_a_weekday():
    message = "Choose both the week of the month and the day of the week."
    data = series_data(week_of_month=1, weekday="")
    assert_form_reports(RecurrenceForm(data=data), "__all__", message)
    assert RecurrenceForm(data=series_data(week_of_month=1, weekday=1)).is_valid()
    series = factories.MeetingSeriesFactory.build(
        created_by=factories.UserFactory(), week_of_month=1, weekday=None
    )
    assert_constraint_reports(series, "series_week_of_month_and_weekday")


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [("Ana", "Gómez", "Ana Gómez"), ("", "Gómez", "Gómez"), ("", "", "agomez")],
)
def test_a_user_is_named_by_their_full_name_else_their_username(first, last, expected):
    """``str(user)`` and the name a CSV export reads from values are the same."""
    user = User(username="agomez", first_name=first, last_name=last)
    assert str(user) == expected
    assert User.display_name(first, last, "agomez") == expected
