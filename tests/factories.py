"""One factory_boy factory per model."""

import datetime
import hashlib

import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from cooperation import models

PASSWORD = "correct-horse-battery-2026"


class NationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Nation
        django_get_or_create = ("iso_alpha2",)

    name = factory.Iterator(["Colombia", "Brazil", "Peru", "Chile", "Argentina"])
    iso_alpha2 = factory.Iterator(["CO", "BR", "PE", "CL", "AR"])
    iso_alpha3 = factory.Iterator(["COL", "BRA", "PER", "CHL", "ARG"])
    region = models.Nation.Region.SOUTH_AMERICA
    time_zone = factory.Iterator(
        [
            "America/Bogota",
            "America/Sao_Paulo",
            "America/Lima",
            "America/Santiago",
            "America/Argentina/Buenos_Aires",
        ]
    )
    official_languages = factory.Iterator(["es", "pt", "es, qu, ay", "es", "es"])
    liaison_name = factory.Faker("name")
    liaison_email = factory.Faker("email")


class FocusAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.FocusArea
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Focus area {n}")
    slug = factory.Sequence(lambda n: f"focus-area-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    nation = None
    time_zone = "UTC"
    language = "en"
    password = factory.django.Password(PASSWORD)


class InitiativeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Initiative
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Initiative {n}")
    language = "en"
    kind = models.Initiative.Kind.JOINT_TASK_FORCE
    summary = "Coordinated operations against trafficking networks."
    objectives = "Disrupt shipments."
    status = models.Initiative.Status.IMPLEMENTATION
    planned_start = datetime.date(2026, 1, 1)
    planned_end = datetime.date(2027, 12, 31)
    owner = factory.SubFactory(UserFactory)
    released_to_all = True

    @factory.post_generation
    def released_to(self, create, extracted, **kwargs):
        if create and extracted:
            self.released_to.set(extracted)


class ParticipationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Participation

    initiative = factory.SubFactory(InitiativeFactory)
    nation = factory.SubFactory(NationFactory)
    role = models.Participation.Role.PARTNER


class AssessmentMeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.AssessmentMeeting
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Situation assessment {n}")
    language = "en"
    starts_at = factory.LazyFunction(
        lambda: timezone.now() + datetime.timedelta(days=7)
    )
    ends_at = factory.LazyAttribute(lambda m: m.starts_at + datetime.timedelta(hours=2))
    time_zone = "America/Bogota"
    location = "Bogotá"
    status = models.AssessmentMeeting.Status.SCHEDULED
    released_to_all = True

    @factory.post_generation
    def released_to(self, create, extracted, **kwargs):
        if create and extracted:
            self.released_to.set(extracted)


class AgendaItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.AgendaItem

    meeting = factory.SubFactory(AssessmentMeetingFactory)
    position = factory.Sequence(lambda n: n)
    title = factory.Sequence(lambda n: f"Agenda item {n}")
    duration_minutes = 20


class SituationAssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.SituationAssessment

    meeting = factory.SubFactory(AssessmentMeetingFactory)
    nation = factory.SubFactory(NationFactory)
    focus_area = factory.SubFactory(FocusAreaFactory)
    primary_concern = "Cocaine"
    language = "en"
    trend = models.SituationAssessment.Trend.INCREASING
    threat_level = models.SituationAssessment.ThreatLevel.HIGH
    summary = "Production rising, higher export levels."


class InitiativeEvaluationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.InitiativeEvaluation

    meeting = factory.SubFactory(AssessmentMeetingFactory)
    initiative = factory.SubFactory(InitiativeFactory)
    rating = models.InitiativeEvaluation.Rating.ON_TRACK
    findings = "Milestones met."


class ReferenceCounterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ReferenceCounter
        django_get_or_create = ("year",)

    year = 2026
    last_number = 0


class RecommendationFactory(factory.django.DjangoModelFactory):
    """Builds through the model directly with a sequence reference.

    Use ``services.recommendation_create`` where the reference numbering matters.
    """

    class Meta:
        model = models.Recommendation
        skip_postgeneration_save = True

    reference = factory.Sequence(lambda n: f"REC-1999-{n + 1:04d}")
    title = factory.Sequence(lambda n: f"Recommendation {n}")
    language = "en"
    description = "Share interdiction data within 24 hours."
    focus_area = factory.SubFactory(FocusAreaFactory)
    owner = factory.SubFactory(UserFactory)
    priority = models.Recommendation.Priority.MEDIUM
    due_date = factory.LazyFunction(
        lambda: timezone.localdate() + datetime.timedelta(days=30)
    )
    status = models.Recommendation.Status.PROPOSED
    released_to_all = True

    @factory.post_generation
    def released_to(self, create, extracted, **kwargs):
        if create and extracted:
            self.released_to.set(extracted)


class RecommendationUpdateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.RecommendationUpdate

    recommendation = factory.SubFactory(RecommendationFactory)
    author = factory.SubFactory(UserFactory)
    from_status = ""
    to_status = models.Recommendation.Status.PROPOSED
    progress = 0
    note = "Raised."


class MeetingSeriesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.MeetingSeries

    title = factory.Sequence(lambda n: f"Quarterly situation assessment {n}")
    frequency = models.MeetingSeries.Frequency.QUARTERLY
    interval = 1
    starts_on = factory.LazyFunction(
        lambda: timezone.localdate() + datetime.timedelta(days=30)
    )
    start_time = datetime.time(9, 0)
    duration_minutes = 120
    time_zone = "America/Bogota"
    count = 4
    created_by = factory.SubFactory(UserFactory)


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Invitation

    meeting = factory.SubFactory(AssessmentMeetingFactory)
    user = factory.SubFactory(UserFactory)


class OutboundEmailFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.OutboundEmail

    key = factory.Sequence(lambda n: f"test:{n}")
    kind = models.OutboundEmail.Kind.MEETING_REMINDER
    recipient = factory.SubFactory(UserFactory)
    to_email = factory.SelfAttribute("recipient.email")
    subject = "Reminder"
    body = "Reminder"
    next_attempt_at = factory.LazyFunction(timezone.now)


class BriefingFactory(factory.django.DjangoModelFactory):
    """A regional briefing asked for and not yet made."""

    class Meta:
        model = models.Briefing

    kind = models.Briefing.Kind.REGIONAL
    requested_by = factory.SubFactory(UserFactory)
    language = "en"
    time_zone = "UTC"
    as_of = factory.LazyFunction(timezone.localdate)
    next_attempt_at = factory.LazyFunction(timezone.now)


class NotificationFactory(factory.django.DjangoModelFactory):
    """A status change told to a recommendation's owner."""

    class Meta:
        model = models.Notification

    recipient = factory.SubFactory(UserFactory)
    kind = models.Notification.Kind.STATUS_CHANGED
    actor = factory.SubFactory(UserFactory)
    recommendation = factory.SubFactory(
        RecommendationFactory, owner=factory.SelfAttribute("..recipient")
    )
    detail = factory.LazyFunction(lambda: {"from": "proposed", "to": "accepted"})


class NotificationPreferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.NotificationPreference

    user = factory.SubFactory(UserFactory)
    kind = models.Notification.Kind.STATUS_CHANGED
    delivery = models.NotificationPreference.Delivery.IMMEDIATE


class FollowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Follow

    user = factory.SubFactory(UserFactory)
    recommendation = factory.SubFactory(RecommendationFactory)


class SavedFilterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.SavedFilter

    user = factory.SubFactory(UserFactory)
    list_name = models.SavedFilter.ListName.RECOMMENDATIONS
    name = factory.Sequence(lambda n: f"Saved filter {n}")
    query = "status=proposed&nation=CO"


# A PDF small enough to build anywhere; readers open it (one empty page).
MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


class DocumentFactory(factory.django.DjangoModelFactory):
    """A document on a recommendation, with one version (``versions=[content,
    …]`` for others, ``versions=[]`` for none)."""

    class Meta:
        model = models.Document
        skip_postgeneration_save = True

    recommendation = factory.SubFactory(RecommendationFactory)
    title = factory.Sequence(lambda n: f"Document {n}")
    kind = models.Document.Kind.EVIDENCE
    uploaded_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def versions(obj, create, extracted, **kwargs):
        if not create:
            return
        contents = [MINIMAL_PDF] if extracted is None else extracted
        for number, content in enumerate(contents, start=1):
            DocumentVersionFactory(document=obj, number=number, content=content)


class DocumentVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.DocumentVersion
        exclude = ("content",)

    document = factory.SubFactory(DocumentFactory, versions=[])
    number = 1
    content = MINIMAL_PDF
    original_name = "evidence.pdf"
    file = factory.LazyAttribute(lambda o: ContentFile(o.content, name=o.original_name))
    size = factory.LazyAttribute(lambda o: len(o.content))
    content_type = "application/pdf"
    sha256 = factory.LazyAttribute(lambda o: hashlib.sha256(o.content).hexdigest())
    uploaded_by = factory.SelfAttribute("document.uploaded_by")


def minutes_form_data(
    meeting, *, minutes="", attendance=None, outcomes=None, version=None
):
    """What the minutes page posts for ``meeting``: the free text, the version it
    was loaded from (the stored one unless given), and one row per invitation
    (``attendance``: {invitation: (attendance, represented by)}) and per agenda
    item (``outcomes``: {item: (decision, discussion, follow-up)}); rows not
    named post what is stored."""
    attendance = {key.pk: value for key, value in (attendance or {}).items()}
    outcomes = {key.pk: value for key, value in (outcomes or {}).items()}
    stored = models.AssessmentMeeting.objects.get(pk=meeting.pk)
    data = {
        "minutes": minutes,
        "version": str(stored.version) if version is None else version,
    }
    invitations = list(
        models.Invitation.objects.filter(meeting=stored).by_attendee_name()
    )
    items = list(stored.agenda_items.order_by("position", "pk"))
    for prefix, rows in (("attendance", invitations), ("outcomes", items)):
        data[f"{prefix}-TOTAL_FORMS"] = str(len(rows))
        data[f"{prefix}-INITIAL_FORMS"] = str(len(rows))
    for index, invitation in enumerate(invitations):
        value = attendance.get(
            invitation.pk, (invitation.attendance, invitation.represented_by)
        )
        data[f"attendance-{index}-id"] = str(invitation.pk)
        data[f"attendance-{index}-attendance"] = value[0]
        data[f"attendance-{index}-represented_by"] = value[1]
    for index, item in enumerate(items):
        value = outcomes.get(item.pk, (item.decision, item.discussion, item.follow_up))
        data[f"outcomes-{index}-id"] = str(item.pk)
        names = ("decision", "discussion", "follow_up")
        for name, text in zip(names, value, strict=True):
            data[f"outcomes-{index}-{name}"] = text
    return data
