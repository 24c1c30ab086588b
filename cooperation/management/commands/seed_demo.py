"""``manage.py seed_demo``: load the demo nations, records and accounts.

Idempotent: every record is looked up by its natural key (nation ISO alpha-2 code,
focus-area slug, initiative/meeting/recommendation title, username) and created only
when missing; existing rows, and the rows that hang off them, are never changed. A
second run therefore writes nothing, not even history rows. Everything runs in one
transaction, so a failure leaves nothing half-written.

The demo records are owned and chaired by the demo accounts, so there is no demo data
without them; with ``DEBUG`` off the command refuses to run unless
``--with-demo-accounts`` says that accounts with a published password are wanted.
"""

import datetime
import zoneinfo
from collections import Counter

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.translation import gettext as _

from cooperation import counts, demo_data, roles, services
from cooperation.models import (
    AgendaItem,
    AssessmentMeeting,
    FocusArea,
    Initiative,
    InitiativeEvaluation,
    MeetingSeries,
    Nation,
    Recommendation,
    SituationAssessment,
    User,
)
from cooperation.services import meetings as meeting_services

DEMO_MAILERS = {"default": {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}}


class Command(BaseCommand):
    help = (
        "Load the demo nations, focus areas, initiatives, meetings, recommendations "
        "and demo accounts. Safe to run again: existing records are left as they are."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--with-demo-accounts",
            action="store_true",
            help=(
                "Create the demo accounts (published password) even though DEBUG is "
                "off. Never use this on a production portal."
            ),
        )
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help=(
                "Set the password of demo accounts that already exist back to the "
                "demo password."
            ),
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["with_demo_accounts"]:
            raise CommandError(
                _(
                    "DEBUG is off, so this looks like a production portal: the demo "
                    "data is owned by demo accounts whose password is published. "
                    "Nothing was written. Run “manage.py seed_demo "
                    "--with-demo-accounts” if you really want them here."
                )
            )
        seeder = DemoSeeder(
            today=timezone.localdate(), reset_passwords=options["reset_passwords"]
        )
        # The demo series' invitations are addressed to example.org accounts: they
        # are recorded as sent (the outbox, to a backend that drops them), never mailed
        # or printed.
        with (
            override_settings(MAILERS=DEMO_MAILERS),
            transaction.atomic(),
        ):
            seeder.run()
        # Bulk inserts send no signals: the cached counts are forgotten here.
        counts.data_changed()
        self.report(seeder, with_flag=options["with_demo_accounts"])

    # ------------------------------------------------------------------- output

    def report(self, seeder, *, with_flag):
        labels = {
            "nations": _("nations"),
            "focus_areas": _("focus areas"),
            "accounts": _("demo accounts"),
            "initiatives": _("initiatives"),
            "meetings": _("meetings"),
            "recommendations": _("recommendations"),
        }
        if seeder.created:
            created = ", ".join(
                f"{label}: {seeder.created[key]}"
                for key, label in labels.items()
                if seeder.created[key]
            )
            self.stdout.write(
                self.style.SUCCESS(
                    _("Demo data loaded. Created %(created)s.") % {"created": created}
                )
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(_("Demo data already present; nothing was changed."))
            )
        if seeder.passwords_reset:
            self.stdout.write(
                _("Passwords set back to the demo password: %(users)s.")
                % {"users": ", ".join(seeder.passwords_reset)}
            )
        kept = [
            spec.username
            for spec in demo_data.ACCOUNTS
            if spec.username not in seeder.new_accounts
            and spec.username not in seeder.passwords_reset
        ]
        if kept:
            self.stdout.write(
                self.style.NOTICE(
                    _(
                        "Existing accounts kept their passwords (%(users)s); "
                        "run with --reset-passwords to set them back."
                    )
                    % {"users": ", ".join(kept)}
                )
            )

        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING(_("Demo accounts")))
        width = max(len(spec.username) for spec in demo_data.ACCOUNTS)
        header = f"  {_('username'):<{width}}  {_('password'):<16}  {_('role')}"
        self.stdout.write(header)
        for spec in demo_data.ACCOUNTS:
            self.stdout.write(
                f"  {spec.username:<{width}}  {demo_data.DEMO_PASSWORD:<16}  "
                f"{spec.role}"
            )
        if not settings.DEBUG and with_flag:
            self.stdout.write(
                self.style.WARNING(
                    _(
                        "DEBUG is off: these accounts have a published password. "
                        "Remove them before the portal holds real records."
                    )
                )
            )


class DemoSeeder:
    """Creates whatever part of ``demo_data`` is missing, in dependency order."""

    def __init__(self, *, today: datetime.date, reset_passwords: bool = False):
        self.today = today
        self.reset_passwords = reset_passwords
        self.created = Counter()
        self.new_accounts: list[str] = []
        self.passwords_reset: list[str] = []
        self.nations: dict[str, Nation] = {}
        self.focus_areas: dict[str, FocusArea] = {}
        self.users: dict[str, User] = {}
        self.initiatives: dict[str, Initiative] = {}
        self.meetings: dict[str, AssessmentMeeting] = {}

    def run(self):
        self.seed_nations()
        self.seed_focus_areas()
        self.seed_accounts()
        self.seed_initiatives()
        self.seed_meetings()
        self.seed_series()
        self.seed_recommendations()

    # ----------------------------------------------------------------- helpers

    def day(self, offset: int | None) -> datetime.date | None:
        if offset is None:
            return None
        return self.today + datetime.timedelta(days=offset)

    @staticmethod
    def save_new(obj):
        obj.full_clean()
        obj.save()
        return obj

    @property
    def coordinator(self) -> User:
        """The demo's coordinator: records initiatives and manages releasability."""
        return self.users[demo_data.COORDINATOR]

    def nation_list(self, codes):
        return [self.nations[code] for code in codes]

    # ------------------------------------------------------------ reference data

    def seed_nations(self):
        for spec in demo_data.NATIONS:
            nation = Nation.objects.filter(iso_alpha2=spec.iso_alpha2).first()
            if nation is None:
                nation = self.save_new(
                    Nation(
                        name=spec.name,
                        iso_alpha2=spec.iso_alpha2,
                        iso_alpha3=spec.iso_alpha3,
                        region=spec.region,
                        time_zone=spec.time_zone,
                        official_languages=spec.official_languages,
                        liaison_name=spec.liaison_name,
                        liaison_email=spec.liaison_email,
                        liaison_phone=spec.liaison_phone,
                    )
                )
                self.created["nations"] += 1
            self.nations[spec.iso_alpha2] = nation

    def seed_focus_areas(self):
        for spec in demo_data.FOCUS_AREAS:
            focus_area = FocusArea.objects.filter(slug=spec.slug).first()
            translations = {
                "name_es": spec.name_es,
                "description_es": spec.description_es,
                "name_pt_br": spec.name_pt_br,
                "description_pt_br": spec.description_pt_br,
            }
            if focus_area is None:
                focus_area = self.save_new(
                    FocusArea(
                        slug=spec.slug,
                        name=spec.name,
                        description=spec.description,
                        **translations,
                    )
                )
                self.created["focus_areas"] += 1
            else:
                # A database seeded before the translations: fill the blank ones.
                missing = {
                    field: value
                    for field, value in translations.items()
                    if value and not getattr(focus_area, field)
                }
                if missing:
                    for field, value in missing.items():
                        setattr(focus_area, field, value)
                    focus_area.save(update_fields=list(missing))
            self.focus_areas[spec.slug] = focus_area

    # ------------------------------------------------------------------ accounts

    def seed_accounts(self):
        for spec in demo_data.ACCOUNTS:
            user = User.objects.filter(username=spec.username).first()
            if user is None:
                user = User(
                    username=spec.username,
                    first_name=spec.first_name,
                    last_name=spec.last_name,
                    email=spec.email,
                    nation=self.nations[spec.nation] if spec.nation else None,
                    time_zone=spec.time_zone,
                    language=spec.language,
                    is_staff=spec.is_staff,
                    is_superuser=spec.is_superuser,
                )
                user.set_password(demo_data.DEMO_PASSWORD)
                self.save_new(user)
                user.groups.set(self.groups(spec.roles))
                self.created["accounts"] += 1
                self.new_accounts.append(spec.username)
            elif self.reset_passwords:
                user.set_password(demo_data.DEMO_PASSWORD)
                user.save(update_fields=["password"])
                self.passwords_reset.append(spec.username)
            self.users[spec.username] = user

    @staticmethod
    def groups(names):
        """The role groups, brought up to date first (``roles.sync_roles``)."""
        roles.sync_roles()
        found = list(Group.objects.filter(name__in=names))
        missing = set(names) - {group.name for group in found}
        if missing:
            raise CommandError(
                _("Unknown roles: %(names)s. Run “manage.py migrate” first.")
                % {"names": ", ".join(sorted(missing))}
            )
        return found

    # --------------------------------------------------------------- initiatives

    def seed_initiatives(self):
        for spec in demo_data.INITIATIVES:
            initiative = (
                Initiative.objects.filter(title=spec.title).order_by("pk").first()
            )
            if initiative is None:
                # Recorded by the coordinator, who manages releasability.
                initiative = services.initiative_create(
                    initiative=Initiative(
                        title=spec.title,
                        kind=spec.kind,
                        summary=spec.summary,
                        objectives=spec.objectives,
                        status=spec.status,
                        planned_start=self.day(spec.planned_start),
                        planned_end=self.day(spec.planned_end),
                        actual_start=self.day(spec.actual_start),
                        actual_end=self.day(spec.actual_end),
                        owner=self.users[spec.owner],
                    ),
                    acting_user=self.coordinator,
                    focus_areas=[self.focus_areas[slug] for slug in spec.focus_areas],
                    participations=[
                        services.ParticipationRow(
                            nation=self.nations[row.nation],
                            role=row.role,
                            contribution=row.contribution,
                        )
                        for row in spec.participations
                    ],
                    released_to_all=spec.released_to_all,
                    released_to=self.nation_list(spec.released_to),
                )
                self.created["initiatives"] += 1
            self.initiatives[spec.title] = initiative

    # ------------------------------------------------------------------ meetings

    def meeting_times(self, spec):
        """Start and end as aware datetimes in the meeting's own time zone."""
        zone = zoneinfo.ZoneInfo(spec.time_zone)
        starts_at = datetime.datetime.combine(spec.on(self.today), spec.start, zone)
        return starts_at, starts_at + spec.duration

    def seed_meetings(self):
        for spec in demo_data.MEETINGS:
            meeting = (
                AssessmentMeeting.objects.filter(title=spec.title)
                .order_by("pk")
                .first()
            )
            if meeting is None:
                meeting = self.create_meeting(spec)
                self.created["meetings"] += 1
            self.meetings[spec.title] = meeting

    def seed_series(self):
        """The recurring series, scheduled through the meeting services as every
        door schedules one (one invitation per attendee for all its occurrences),
        unless it is there."""
        spec = demo_data.SERIES
        if MeetingSeries.objects.filter(title=spec.title).exists():
            return
        zone = zoneinfo.ZoneInfo(spec.time_zone)
        starts_at = datetime.datetime.combine(
            demo_data.last_thursday_of_next_month(self.today), spec.start, zone
        )
        details = meeting_services.MeetingDetails(
            title=spec.title,
            starts_at=starts_at,
            ends_at=starts_at + spec.duration,
            time_zone=spec.time_zone,
            online_url=spec.online_url,
            chair=self.users[spec.chair],
            nations=tuple(self.nation_list(spec.nations)),
            attendees=tuple(self.users[name] for name in spec.attendees),
        )
        repeat = meeting_services.Repeat(
            frequency=MeetingSeries.Frequency.MONTHLY,
            count=spec.count,
            week_of_month=MeetingSeries.WeekOfMonth.LAST,
            weekday=3,  # Thursday
        )
        plan = meeting_services.meeting_plan(
            details=details, acting_user=self.coordinator, repeat=repeat
        )
        meetings = meeting_services.meeting_create(
            plan=plan, acting_user=self.coordinator, released_to_all=True
        )
        self.created["meetings"] += len(meetings)

    def create_meeting(self, spec):
        starts_at, ends_at = self.meeting_times(spec)
        meeting = self.save_new(
            AssessmentMeeting(
                title=spec.title,
                starts_at=starts_at,
                ends_at=ends_at,
                time_zone=spec.time_zone,
                location=spec.location,
                online_url=spec.online_url,
                chair=self.users[spec.chair],
                status=spec.status,
                minutes=spec.minutes,
                briefing_summary=spec.briefing_summary,
                released_to_all=spec.released_to_all,
            )
        )
        meeting.released_to.set(self.nation_list(spec.released_to))
        meeting.nations.set(self.nation_list(spec.nations))
        meeting.attendees.set([self.users[name] for name in spec.attendees])
        for position, item in enumerate(spec.agenda, start=1):
            self.save_new(
                AgendaItem(
                    meeting=meeting,
                    position=position,
                    title=item.title,
                    duration_minutes=item.duration_minutes,
                    presenter=self.users[item.presenter] if item.presenter else None,
                    notes=item.notes,
                    decision=item.decision,
                    discussion=item.discussion,
                    follow_up=item.follow_up,
                )
            )
        for name, attendance, represented_by in spec.attendance:
            invitation = meeting.invitations.get(user=self.users[name])
            invitation.attendance = attendance
            invitation.represented_by = represented_by
            invitation.save(update_fields=["attendance", "represented_by"])
        for item in spec.assessments:
            self.save_new(
                SituationAssessment(
                    meeting=meeting,
                    nation=self.nations[item.nation],
                    focus_area=self.focus_areas[item.focus_area],
                    primary_concern=item.primary_concern,
                    trend=item.trend,
                    threat_level=item.threat_level,
                    summary=item.summary,
                    is_primary=item.is_primary,
                    production_trend=item.production_trend,
                    trafficking_trend=item.trafficking_trend,
                    consumption_trend=item.consumption_trend,
                    emerging_shift=item.emerging_shift,
                    key_drivers=item.key_drivers,
                    sources=item.sources,
                    confidence=item.confidence,
                    language=item.language,
                )
            )
        for item in spec.evaluations:
            self.save_new(
                InitiativeEvaluation(
                    meeting=meeting,
                    initiative=self.initiatives[item.initiative],
                    rating=item.rating,
                    findings=item.findings,
                )
            )
        return meeting

    # ----------------------------------------------------------- recommendations

    def seed_recommendations(self):
        for spec in demo_data.RECOMMENDATIONS:
            if Recommendation.objects.filter(title=spec.title).exists():
                continue
            author = self.users[spec.author]
            release = {
                "released_to_all": spec.released_to_all,
                "released_to": self.nation_list(spec.released_to),
            }
            recommendation = services.recommendation_create(
                acting_user=author,
                title=spec.title,
                description=spec.description,
                focus_area=self.focus_areas[spec.focus_area],
                owner=self.users[spec.owner],
                priority=spec.priority,
                due_date=self.day(spec.due_date),
                source_meeting=(
                    self.meetings[spec.source_meeting] if spec.source_meeting else None
                ),
                source_note=spec.source_note,
                initiative=self.initiatives[spec.initiative]
                if spec.initiative
                else None,
                nations=self.nation_list(spec.nations),
                note=spec.note,
                **release,
            )
            if not services.releasability_can_manage(user=author):
                # A nation's editor raised it (released to their nation only); the
                # coordinator then releases it as the demo has it.
                services.record_release(
                    record=recommendation, acting_user=self.coordinator, **release
                )
            for step in spec.steps:
                services.recommendation_transition(
                    recommendation=recommendation,
                    acting_user=self.users[step.author],
                    to_status=step.to_status,
                    note=step.note,
                    progress=step.progress,
                )
            self.created["recommendations"] += 1
