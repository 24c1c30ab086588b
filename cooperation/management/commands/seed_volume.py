"""``manage.py seed_volume``: realistic volume on top of the demo data, for the benchmark.

    manage.py seed_volume --initiatives 100000 --recommendations 100000 \\
        --updates-per-recommendation 10 --users 2500 --nations 20

Adds users spread over the nations with roles, initiatives with their participations
(exactly one lead), focus areas and releasability, meetings with their agenda,
invitations, situation assessments and evaluations, and recommendations with their
addressed nations, releasability and a timeline of updates. About 80 % of the records
are released to all partners, the rest to one to three nations.

Marker and idempotence: every row it creates is marked (``[volume] <number>`` at the
start of a title, ``volume-<number>`` as a username), and the sizes are totals of marked
rows: a second run with the same sizes adds nothing, a larger size adds only the
difference (and tops the timelines of earlier recommendations up to the asked number of
updates). Record ``n`` is drawn from its own ``random.Random`` seeded with ``--seed`` and
``n``, so the same sizes give the same records whatever sizes were seeded before (dates
are relative to the day it runs, like the demo's).

Reference numbers come from ``ReferenceCounter`` (locked for the run) and the counter is
left at the highest number used, so ``services.recommendation_next_reference`` carries
on after them.

It writes with ``bulk_create`` in batches (many-to-many through rows included) inside
one transaction, so a failure leaves nothing half-written. That bypasses ``save()``,
``full_clean()`` and the services on purpose: the volume rows have no simple-history
rows (history is only written by ``save()``), and the created/updated times are set
explicitly (spread over the past years) rather than by ``auto_now``. The volume users
have an unusable password: nobody can log in as one of them.
"""

import contextlib
import datetime
import random
import time
from collections import Counter

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count
from django.db.models.functions import Length
from django.utils import timezone

from cooperation import counts, demo_data, roles
from cooperation.models import (
    AgendaItem,
    AssessmentMeeting,
    FocusArea,
    Initiative,
    InitiativeEvaluation,
    Invitation,
    Nation,
    Participation,
    Recommendation,
    RecommendationUpdate,
    ReferenceCounter,
    SituationAssessment,
    User,
)
from cooperation.services import ALLOWED_TRANSITIONS
from cooperation.timeline import RAISED

MARK = "[volume]"
USERNAME_PREFIX = "volume-"
RELEASED_TO_ALL_SHARE = 0.8
DAY = datetime.timedelta(days=1)

# Real partners beyond the demo's fourteen, added in this order when --nations asks
# for more: (name, alpha-2, alpha-3, region, time zone, languages).
CENTRAL_AMERICA = Nation.Region.CENTRAL_AMERICA
CARIBBEAN = Nation.Region.CARIBBEAN
EXTRA_NATIONS = (
    ("Panama", "PA", "PAN", CENTRAL_AMERICA, "America/Panama", "es"),
    ("Costa Rica", "CR", "CRI", CENTRAL_AMERICA, "America/Costa_Rica", "es"),
    ("Guatemala", "GT", "GTM", CENTRAL_AMERICA, "America/Guatemala", "es"),
    ("Honduras", "HN", "HND", CENTRAL_AMERICA, "America/Tegucigalpa", "es"),
    ("El Salvador", "SV", "SLV", CENTRAL_AMERICA, "America/El_Salvador", "es"),
    ("Dominican Republic", "DO", "DOM", CARIBBEAN, "America/Santo_Domingo", "es"),
    ("Belize", "BZ", "BLZ", CENTRAL_AMERICA, "America/Belize", "en"),
    ("Jamaica", "JM", "JAM", CARIBBEAN, "America/Jamaica", "en"),
    ("Trinidad and Tobago", "TT", "TTO", CARIBBEAN, "America/Port_of_Spain", "en"),
    ("Nicaragua", "NI", "NIC", CENTRAL_AMERICA, "America/Managua", "es"),
    ("Bahamas", "BS", "BHS", CARIBBEAN, "America/Nassau", "en"),
    ("Barbados", "BB", "BRB", CARIBBEAN, "America/Barbados", "en"),
    ("Haiti", "HT", "HTI", CARIBBEAN, "America/Port-au-Prince", "fr, ht"),
    ("Canada", "CA", "CAN", Nation.Region.NORTH_AMERICA, "America/Toronto", "en, fr"),
    ("Antigua and Barbuda", "AG", "ATG", CARIBBEAN, "America/Antigua", "en"),
    ("Dominica", "DM", "DMA", CARIBBEAN, "America/Dominica", "en"),
    ("Grenada", "GD", "GRD", CARIBBEAN, "America/Grenada", "en"),
    ("Saint Kitts and Nevis", "KN", "KNA", CARIBBEAN, "America/St_Kitts", "en"),
    ("Saint Lucia", "LC", "LCA", CARIBBEAN, "America/St_Lucia", "en"),
    (
        "Saint Vincent and the Grenadines",
        "VC",
        "VCT",
        CARIBBEAN,
        "America/St_Vincent",
        "en",
    ),
)

# Threats the records are about; "cocaine" appears in some, for the search benchmark.
THEMES = (
    ("cocaine trafficking", "Cocaine"),
    ("synthetic drug production", "Synthetic drugs"),
    ("illegal mining", "Illegal mining"),
    ("arms smuggling", "Arms smuggling"),
    ("money laundering", "Money laundering"),
    ("ransomware against public services", "Ransomware"),
    ("hurricane response", "Hurricanes"),
    ("flood response", "Floods"),
    ("maritime interdiction", "Maritime trafficking"),
    ("human trafficking", "Human trafficking"),
    ("illegal logging", "Illegal logging"),
    ("cocaine precursor chemicals", "Cocaine"),
)
PLACES = (
    "Pacific corridor",
    "Caribbean basin",
    "Amazon border region",
    "Andean highlands",
    "tri-border area",
    "Gulf of Mexico",
    "Orinoco basin",
    "southern cone ports",
)
KIND_WORDS = {
    Initiative.Kind.JOINT_TRAINING_EXERCISE: "Joint training exercise",
    Initiative.Kind.JOINT_TASK_FORCE: "Joint task force",
    Initiative.Kind.INTELLIGENCE_SHARING_PLATFORM: "Intelligence-sharing platform",
    Initiative.Kind.TECHNOLOGY_TRANSFER_AGREEMENT: "Technology-transfer agreement",
    Initiative.Kind.REGIONAL_SECURITY_SUMMIT: "Regional security summit",
    Initiative.Kind.TRAINING_PROGRAM: "Training programme",
    Initiative.Kind.CYBERSECURITY_FRAMEWORK: "Cybersecurity framework",
    Initiative.Kind.DISASTER_RESPONSE_PROTOCOL: "Disaster-response protocol",
    Initiative.Kind.IT_UPGRADE: "IT upgrade",
    Initiative.Kind.OTHER: "Cooperation",
}
INITIATIVE_STATUS_WEIGHTS = {
    Initiative.Status.PIPELINE: 20,
    Initiative.Status.IMPLEMENTATION: 45,
    Initiative.Status.COMPLETION: 10,
    Initiative.Status.POST_COMPLETION: 15,
    Initiative.Status.CANCELLED: 5,
    Initiative.Status.SUSPENDED: 5,
}
FIRST_NAMES = (
    "Ana", "Bruno", "Carla", "Diego", "Elena", "Felipe", "Gabriela", "Hugo",
    "Isabel", "Javier", "Karen", "Luis", "María", "Nicolás", "Olivia", "Pablo",
    "Renata", "Santiago", "Tatiana", "Víctor",
)  # fmt: skip
LAST_NAMES = (
    "Álvarez", "Barbosa", "Castro", "Duarte", "Espinoza", "Ferreira", "García",
    "Herrera", "Ibáñez", "Jiménez", "López", "Martínez", "Núñez", "Ortiz",
    "Pereira", "Quintero", "Ramírez", "Silva", "Torres", "Vargas",
)  # fmt: skip
# The role mix of the volume users (groups of cooperation.roles).
ROLE_WEIGHTS = {
    roles.VIEWER: 50,
    roles.EDITOR: 30,
    roles.SCHEDULER: 10,
    roles.COORDINATOR: 10,
}
STATUS_PROGRESS = {
    Recommendation.Status.PROPOSED: (0, 0),
    Recommendation.Status.ACCEPTED: (0, 15),
    Recommendation.Status.IN_PROGRESS: (10, 30),
    Recommendation.Status.IMPLEMENTED: (100, 100),
}
# How likely each move is, among those ALLOWED_TRANSITIONS permits; a final status
# is left only by a coordinator's reopening (rare, and only on long timelines).
MOVE_WEIGHTS = {
    Recommendation.Status.ACCEPTED: 8,
    Recommendation.Status.IN_PROGRESS: 8,
    Recommendation.Status.IMPLEMENTED: 3,
    Recommendation.Status.DEFERRED: 1,
    Recommendation.Status.REJECTED: 1,
}
REOPEN_MOVES = (Recommendation.Status.ACCEPTED, Recommendation.Status.IN_PROGRESS)
UPDATE_NOTES = {
    Recommendation.Status.ACCEPTED: "Accepted by the steering group.",
    Recommendation.Status.IN_PROGRESS: "Work has started; see the progress.",
    Recommendation.Status.IMPLEMENTED: "Implemented and verified by the partners.",
    Recommendation.Status.DEFERRED: "Deferred until the budget cycle allows it.",
    Recommendation.Status.REJECTED: "Rejected: out of the partners' mandate.",
}


def stores_progress():
    """Whether recommendations keep their latest progress on the row."""
    return any(f.name == "progress" for f in Recommendation._meta.concrete_fields)


def record_rng(seed, kind, number):
    """The random source of record ``number`` of ``kind``: the same for any size."""
    return random.Random(f"{seed}:{kind}:{number}")  # noqa: S311 - not security


def weighted(rng, weights):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def marked(number, text):
    return f"{MARK} {number:06d} {text}"[:200]


@contextlib.contextmanager
def explicit_timestamps(*models):
    """Let bulk_create store the given created/updated times instead of ``now``."""
    fields = [
        field
        for model in models
        for field in model._meta.concrete_fields
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    ]
    saved = [(field, field.auto_now, field.auto_now_add) for field in fields]
    for field in fields:
        field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in saved:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


def through_rows(model, field_name, pairs):
    """Rows of the many-to-many table of ``model.field_name`` for (source, target)
    primary-key pairs."""
    field = model._meta.get_field(field_name)
    through = field.remote_field.through
    source = field.m2m_field_name()
    target = field.m2m_reverse_field_name()
    return [through(**{f"{source}_id": a, f"{target}_id": b}) for a, b in pairs]


def timeline(rng, count, start, now):
    """``count`` updates of one recommendation: (from, to, progress, time, note).

    The first raises it; each later one is a move ALLOWED_TRANSITIONS permits. Drawn
    step by step from ``rng``, so a longer timeline begins with the shorter one.
    """
    steps = []
    status, progress, moment = "", 0, start
    for index in range(count):
        if index == 0:
            target = Recommendation.Status.PROPOSED
            note = (
                ""  # the system entry "raised": a code, shown in the reader's language
            )
        else:
            allowed = ALLOWED_TRANSITIONS[status] or set(REOPEN_MOVES)
            moves = sorted(allowed)
            target = rng.choices(moves, weights=[MOVE_WEIGHTS[m] for m in moves])[0]
            note = UPDATE_NOTES[target]
            moment += datetime.timedelta(
                days=rng.randint(3, 60), hours=rng.randint(0, 9)
            )
        low, step = STATUS_PROGRESS.get(target, (progress, 0))
        if target == Recommendation.Status.IN_PROGRESS:
            progress = min(95, max(progress, low) + rng.randint(0, step))
        elif target == Recommendation.Status.IMPLEMENTED:
            progress = 100
        elif target in (Recommendation.Status.PROPOSED, Recommendation.Status.ACCEPTED):
            progress = max(progress, low + rng.randint(0, step))
        author = rng.random()  # which user writes it
        steps.append((status, target, progress, min(moment, now), note, author))
        status = target
    return steps


class Command(BaseCommand):
    help = (
        "Add benchmark volume on top of the demo data: users, initiatives, meetings, "
        "recommendations and their updates. Sizes are totals: running the same sizes "
        "again adds nothing, larger sizes add the difference."
    )

    def add_arguments(self, parser):
        parser.add_argument("--initiatives", type=int, default=0)
        parser.add_argument("--recommendations", type=int, default=0)
        parser.add_argument("--updates-per-recommendation", type=int, default=3)
        parser.add_argument("--users", type=int, default=100)
        parser.add_argument(
            "--nations",
            type=int,
            default=len(demo_data.NATIONS),
            help=(
                "How many nations the volume is spread over: the demo's first, then "
                f"real Central American and Caribbean partners (at most "
                f"{len(demo_data.NATIONS) + len(EXTRA_NATIONS)})."
            ),
        )
        parser.add_argument(
            "--meetings",
            type=int,
            default=None,
            help="Meetings with assessments (default: one per 50 initiatives).",
        )
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument(
            "--with-demo-accounts",
            action="store_true",
            help="Passed to seed_demo when the demo data is missing and DEBUG is off.",
        )

    def handle(self, *args, **options):
        sizes = {
            "initiatives": options["initiatives"],
            "recommendations": options["recommendations"],
            "updates_per_recommendation": options["updates_per_recommendation"],
            "users": options["users"],
            "nations": options["nations"],
            "meetings": options["meetings"]
            if options["meetings"] is not None
            else options["initiatives"] // 50,
        }
        if any(value < 0 for value in sizes.values()):
            raise CommandError("Sizes cannot be negative.")
        if sizes["recommendations"] and sizes["updates_per_recommendation"] < 1:
            raise CommandError("A recommendation has at least one update.")
        available = len(demo_data.NATIONS) + len(EXTRA_NATIONS)
        if not 1 <= sizes["nations"] <= available:
            raise CommandError(f"--nations must be between 1 and {available}.")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be positive.")

        started = time.monotonic()
        if not self.demo_present():
            self.stdout.write("Demo data missing: running seed_demo first.")
            call_command(
                "seed_demo",
                with_demo_accounts=options["with_demo_accounts"],
                stdout=self.stdout,
                stderr=self.stderr,
            )
        seeder = VolumeSeeder(
            seed=options["seed"],
            batch_size=options["batch_size"],
            log=lambda message: self.stdout.write(message),
            **sizes,
        )
        with transaction.atomic():
            seeder.run()
        # Bulk inserts send no signals: the cached counts are forgotten here.
        counts.data_changed()
        elapsed = time.monotonic() - started
        total = sum(seeder.created.values())
        self.stdout.write(
            self.style.SUCCESS(f"Created {total} rows in {elapsed:.1f} s.")
        )
        for label, count in seeder.created.items():
            self.stdout.write(f"  {label:<28} {count:>9}")

    @staticmethod
    def demo_present():
        codes = {spec.iso_alpha2 for spec in demo_data.NATIONS}
        usernames = {spec.username for spec in demo_data.ACCOUNTS}
        return (
            Nation.objects.filter(iso_alpha2__in=codes).count() == len(codes)
            and User.objects.filter(username__in=usernames).count() == len(usernames)
            and FocusArea.objects.exists()
        )


class VolumeSeeder:
    def __init__(
        self,
        *,
        seed,
        batch_size,
        initiatives,
        recommendations,
        updates_per_recommendation,
        users,
        nations,
        meetings,
        log=print,
    ):
        self.seed = seed
        self.batch_size = batch_size
        self.sizes = {
            "initiatives": initiatives,
            "recommendations": recommendations,
            "updates": updates_per_recommendation,
            "users": users,
            "nations": nations,
            "meetings": meetings,
        }
        self.log = log
        self.created = Counter()
        self.now = timezone.now()

    # ------------------------------------------------------------------ helpers

    def bulk(self, model, objects, label=None):
        if objects:
            model.objects.bulk_create(objects, batch_size=self.batch_size)
            self.created[label or model._meta.verbose_name_plural] += len(objects)
        return objects

    def bulk_through(self, model, field_name, pairs, label):
        rows = through_rows(model, field_name, pairs)
        field = model._meta.get_field(field_name)
        if rows:
            field.remote_field.through.objects.bulk_create(
                rows, batch_size=self.batch_size
            )
            self.created[label] += len(rows)

    def chunks(self, start, stop):
        for first in range(start, stop, self.batch_size):
            yield range(first, min(first + self.batch_size, stop))

    def release(self, rng, always=()):
        """(released to all, nations) for one record: most go to all partners."""
        if rng.random() < RELEASED_TO_ALL_SHARE:
            return True, []
        count = rng.randint(1, 3)
        chosen = list(dict.fromkeys([*always, *rng.sample(self.nations, count)]))
        return False, [nation.pk for nation in chosen[:count]]

    def timed(self, step):
        started = time.monotonic()
        step()
        self.log(
            f"  {step.__name__.removeprefix('seed_'):<16} {time.monotonic() - started:6.1f} s"
        )

    # --------------------------------------------------------------------- run

    def run(self):
        self.focus_areas = list(FocusArea.objects.order_by("slug"))
        self.groups = {
            group.name: group.pk
            for group in Group.objects.filter(name__in=ROLE_WEIGHTS.keys())
        }
        if len(self.groups) != len(ROLE_WEIGHTS):
            raise CommandError("The role groups are missing: run migrate first.")
        self.timed(self.seed_nations)
        self.timed(self.seed_users)
        self.timed(self.seed_initiatives)
        self.timed(self.seed_meetings)
        self.timed(self.seed_recommendations)

    # ----------------------------------------------------------------- nations

    def seed_nations(self):
        demo = {n.iso_alpha2: n for n in Nation.objects.all()}
        wanted = [spec.iso_alpha2 for spec in demo_data.NATIONS]
        for name, alpha2, alpha3, region, zone, languages in EXTRA_NATIONS:
            if len(wanted) >= self.sizes["nations"]:
                break
            wanted.append(alpha2)
            if alpha2 not in demo:
                nation = Nation(
                    name=name,
                    iso_alpha2=alpha2,
                    iso_alpha3=alpha3,
                    region=region,
                    time_zone=zone,
                    official_languages=languages,
                    liaison_email=f"liaison.{alpha2.lower()}@example.org",
                )
                nation.full_clean()
                nation.save()
                demo[alpha2] = nation
                self.created["nations"] += 1
        self.nations = [demo[code] for code in wanted[: self.sizes["nations"]]]

    # ------------------------------------------------------------------- users

    def seed_users(self):
        existing = User.objects.filter(username__startswith=USERNAME_PREFIX).count()
        languages = {"es": "es", "pt": "pt-br", "en": "en"}
        for numbers in self.chunks(existing, self.sizes["users"]):
            users, roles_of = [], []
            for number in numbers:
                rng = record_rng(self.seed, "user", number)
                nation = rng.choice(self.nations)
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                language = next(
                    (
                        languages[code]
                        for code in nation.language_codes
                        if code in languages
                    ),
                    "en",
                )
                username = f"{USERNAME_PREFIX}{number + 1:05d}"
                users.append(
                    User(
                        username=username,
                        first_name=first,
                        last_name=last,
                        email=f"{username}@example.org",
                        nation=nation,
                        time_zone=nation.time_zone,
                        language=language,
                        password=make_password(None),
                        date_joined=self.now - rng.randint(30, 1500) * DAY,
                    )
                )
                roles_of.append(weighted(rng, ROLE_WEIGHTS))
            self.bulk(User, users, "users")
            self.bulk_through(
                User,
                "groups",
                [(u.pk, self.groups[r]) for u, r in zip(users, roles_of, strict=True)],
                "user roles",
            )
        self.users = list(
            User.objects.filter(username__startswith=USERNAME_PREFIX)
            .order_by("username")
            .values_list("pk", "nation_id")
        ) or list(
            User.objects.filter(
                username__in=[demo_data.COORDINATOR, demo_data.COLOMBIA]
            ).values_list("pk", "nation_id")
        )
        self.user_ids = [pk for pk, _nation in self.users]

    # ------------------------------------------------------------- initiatives

    def seed_initiatives(self):
        existing = Initiative.objects.filter(title__startswith=MARK).count()
        kinds = list(Initiative.Kind)
        for numbers in self.chunks(existing, self.sizes["initiatives"]):
            initiatives, extras = [], []
            for number in numbers:
                rng = record_rng(self.seed, "initiative", number)
                kind = rng.choice(kinds)
                theme, _concern = rng.choice(THEMES)
                place = rng.choice(PLACES)
                taking_part = rng.sample(
                    self.nations, min(len(self.nations), rng.randint(2, 6))
                )
                lead = taking_part[0]
                status = weighted(rng, INITIATIVE_STATUS_WEIGHTS)
                created = self.now - rng.randint(10, 1800) * DAY
                start = created.date() + rng.randint(0, 120) * DAY
                end = start + rng.randint(90, 1100) * DAY
                actual_start = actual_end = None
                if status != Initiative.Status.PIPELINE:
                    actual_start = start + rng.randint(0, 30) * DAY
                if status in (
                    Initiative.Status.COMPLETION,
                    Initiative.Status.POST_COMPLETION,
                ):
                    actual_end = actual_start + rng.randint(60, 900) * DAY
                released_to_all, released_to = self.release(rng, always=[lead])
                initiatives.append(
                    Initiative(
                        title=marked(
                            number + 1,
                            f"{KIND_WORDS[kind]} on {theme}, {place} ({lead.name})",
                        ),
                        kind=kind,
                        summary=(
                            f"{KIND_WORDS[kind]} led by {lead.name} with "
                            f"{len(taking_part) - 1} partner nations against {theme} "
                            f"in the {place}. It pools liaison officers, shares "
                            "situation reports weekly and reviews results at each "
                            "assessment meeting."
                        ),
                        objectives=(
                            f"Reduce {theme} in the {place}; train "
                            f"{rng.randint(20, 400)} officers; agree common "
                            "procedures by the end of the first year."
                        ),
                        status=status,
                        planned_start=start,
                        planned_end=end,
                        actual_start=actual_start,
                        actual_end=actual_end,
                        owner_id=rng.choice(self.user_ids),
                        released_to_all=released_to_all,
                        # The lead participation's nation, created below.
                        lead_nation_id=taking_part[0].pk,
                        created_at=created,
                        updated_at=created + rng.randint(0, 300) * DAY,
                    )
                )
                extras.append(
                    (
                        taking_part,
                        rng.sample(self.focus_areas, rng.randint(1, 3)),
                        released_to,
                        [
                            rng.choice(
                                [
                                    Participation.Role.PARTNER,
                                    Participation.Role.PARTNER,
                                    Participation.Role.OBSERVER,
                                    Participation.Role.FUNDER,
                                ]
                            )
                            for _nation in taking_part[1:]
                        ],
                    )
                )
            with explicit_timestamps(Initiative):
                self.bulk(Initiative, initiatives, "initiatives")
            participations, focus, releases = [], [], []
            for initiative, (taking_part, areas, released_to, other_roles) in zip(
                initiatives, extras, strict=True
            ):
                participations.append(
                    Participation(
                        initiative_id=initiative.pk,
                        nation_id=taking_part[0].pk,
                        role=Participation.Role.LEAD,
                        contribution="Leads and chairs the steering group.",
                    )
                )
                participations.extend(
                    Participation(
                        initiative_id=initiative.pk, nation_id=nation.pk, role=role
                    )
                    for nation, role in zip(taking_part[1:], other_roles, strict=True)
                )
                focus.extend((initiative.pk, area.pk) for area in areas)
                releases.extend((initiative.pk, pk) for pk in released_to)
            self.bulk(Participation, participations, "participations")
            self.bulk_through(
                Initiative, "focus_areas", focus, "initiative focus areas"
            )
            self.bulk_through(
                Initiative, "released_to", releases, "initiative releases"
            )
        self.initiative_ids = list(
            Initiative.objects.filter(title__startswith=MARK)
            .order_by("pk")
            .values_list("pk", flat=True)
        )

    # ---------------------------------------------------------------- meetings

    def seed_meetings(self):
        existing = AssessmentMeeting.objects.filter(title__startswith=MARK).count()
        users_by_nation = {}
        for pk, nation_id in self.users:
            users_by_nation.setdefault(nation_id, []).append(pk)
        for numbers in self.chunks(existing, self.sizes["meetings"]):
            meetings, extras = [], []
            for number in numbers:
                rng = record_rng(self.seed, "meeting", number)
                nations = rng.sample(
                    self.nations, min(len(self.nations), rng.randint(2, 5))
                )
                host = nations[0]
                day = self.now.date() + rng.randint(-1100, 180) * DAY
                starts_at = datetime.datetime.combine(
                    day, datetime.time(rng.randint(12, 18)), datetime.UTC
                )
                ends_at = starts_at + datetime.timedelta(hours=rng.choice([1, 2, 3]))
                past = ends_at < self.now
                if past:
                    status = rng.choices(
                        [
                            AssessmentMeeting.Status.HELD,
                            AssessmentMeeting.Status.CANCELLED,
                        ],
                        weights=[9, 1],
                    )[0]
                else:
                    status = rng.choices(
                        [
                            AssessmentMeeting.Status.SCHEDULED,
                            AssessmentMeeting.Status.DRAFT,
                        ],
                        weights=[4, 1],
                    )[0]
                chair = rng.choice(self.user_ids)
                published = (
                    status == AssessmentMeeting.Status.HELD and rng.random() < 0.7
                )
                released_to_all, released_to = self.release(rng, always=[host])
                theme, concern = rng.choice(THEMES)
                created = starts_at - rng.randint(10, 90) * DAY
                meetings.append(
                    AssessmentMeeting(
                        title=marked(
                            number + 1,
                            f"Situation assessment: {theme} ({host.name})",
                        ),
                        starts_at=starts_at,
                        ends_at=ends_at,
                        time_zone=host.time_zone,
                        location=f"{host.name}, ministry of defence",
                        online_url=f"https://meet.example.org/volume-{number + 1}"
                        if rng.random() < 0.5
                        else "",
                        chair_id=chair,
                        status=status,
                        minutes=(
                            f"The partners reviewed {theme} and agreed next steps."
                            if status == AssessmentMeeting.Status.HELD
                            else ""
                        ),
                        minutes_status=AssessmentMeeting.MinutesStatus.PUBLISHED
                        if published
                        else AssessmentMeeting.MinutesStatus.DRAFT,
                        minutes_published_at=ends_at + 2 * DAY if published else None,
                        minutes_published_by_id=chair if published else None,
                        released_to_all=released_to_all,
                        created_at=created,
                        updated_at=min(self.now, ends_at + 3 * DAY)
                        if past
                        else created,
                    )
                )
                invited = list(
                    dict.fromkeys(
                        rng.choice(users_by_nation.get(n.pk) or self.user_ids)
                        for n in nations
                        for _ in range(2)
                    )
                )
                evaluated = (
                    rng.sample(
                        self.initiative_ids,
                        min(len(self.initiative_ids), rng.randint(0, 3)),
                    )
                    if past
                    else []
                )
                extras.append(
                    (nations, released_to, invited, evaluated, concern, past, rng)
                )
            with explicit_timestamps(AssessmentMeeting):
                self.bulk(AssessmentMeeting, meetings, "meetings")
            self.meeting_children(meetings, extras)
        self.past_meeting_ids = list(
            AssessmentMeeting.objects.filter(
                title__startswith=MARK, starts_at__lt=self.now
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )

    def meeting_children(self, meetings, extras):
        nation_rows, releases, invitations = [], [], []
        agenda, assessments, evaluations = [], [], []
        responses = list(Invitation.Response)
        for meeting, (
            nations,
            released_to,
            invited,
            evaluated,
            concern,
            past,
            rng,
        ) in zip(meetings, extras, strict=True):
            nation_rows.extend((meeting.pk, n.pk) for n in nations)
            releases.extend((meeting.pk, pk) for pk in released_to)
            for user_id in invited:
                response = (
                    rng.choice(responses) if past else Invitation.Response.NEEDS_ACTION
                )
                invitations.append(
                    Invitation(
                        meeting_id=meeting.pk,
                        user_id=user_id,
                        response=response,
                        responded_at=None
                        if response == Invitation.Response.NEEDS_ACTION
                        else meeting.starts_at - rng.randint(1, 9) * DAY,
                        sent_sequence=0,
                    )
                )
            for position, title in enumerate(
                (
                    "Threat picture by nation",
                    "Initiatives under review",
                    "Recommendations",
                ),
                start=1,
            ):
                agenda.append(
                    AgendaItem(
                        meeting_id=meeting.pk,
                        position=position,
                        title=title,
                        duration_minutes=rng.choice([15, 30, 45]),
                        presenter_id=rng.choice(invited) if invited else None,
                        covered=past,
                    )
                )
            for nation in nations:
                assessments.append(
                    SituationAssessment(
                        meeting_id=meeting.pk,
                        nation_id=nation.pk,
                        focus_area_id=rng.choice(self.focus_areas).pk,
                        primary_concern=concern,
                        trend=rng.choice(list(SituationAssessment.Trend)),
                        threat_level=rng.randint(1, 4),
                        summary=(
                            f"{nation.name} reports {concern.lower()} activity; "
                            "seizures and arrests are detailed in the annex."
                        ),
                        is_draft=not past,
                        created_at=meeting.starts_at,
                        updated_at=meeting.starts_at,
                    )
                )
            evaluations.extend(
                InitiativeEvaluation(
                    meeting_id=meeting.pk,
                    initiative_id=initiative_id,
                    rating=rng.choice(list(InitiativeEvaluation.Rating)),
                    findings="Milestones reviewed against the plan.",
                    created_at=meeting.starts_at,
                    updated_at=meeting.starts_at,
                )
                for initiative_id in evaluated
            )
        self.bulk_through(AssessmentMeeting, "nations", nation_rows, "meeting nations")
        self.bulk_through(
            AssessmentMeeting, "released_to", releases, "meeting releases"
        )
        self.bulk(Invitation, invitations, "invitations")
        self.bulk(AgendaItem, agenda, "agenda items")
        with explicit_timestamps(SituationAssessment, InitiativeEvaluation):
            self.bulk(SituationAssessment, assessments, "situation assessments")
            self.bulk(InitiativeEvaluation, evaluations, "initiative evaluations")

    # --------------------------------------------------------- recommendations

    def recommendation_fields(self, number):
        """Everything about recommendation ``number`` that its random source fixes."""
        rng = record_rng(self.seed, "recommendation", number)
        theme, _concern = rng.choice(THEMES)
        created = self.now - datetime.timedelta(
            days=rng.randint(0, 4 * 365), hours=rng.randint(0, 23)
        )
        return rng, theme, created

    def recommendation_timeline(self, number, created, count):
        """The first ``count`` updates of recommendation ``number``; from a random
        source of their own, so that a longer timeline starts with the shorter one
        and the recommendation's other fields do not depend on its length."""
        rng = record_rng(self.seed, "timeline", number)
        return timeline(rng, count, created, self.now)

    def seed_recommendations(self):
        wanted = self.sizes["recommendations"]
        updates = self.sizes["updates"]
        self.top_up_timelines(updates)
        existing = Recommendation.objects.filter(title__startswith=MARK).count()
        if existing >= wanted:
            return
        counters = self.lock_counters()
        has_progress = stores_progress()
        for numbers in self.chunks(existing, wanted):
            recommendations, extras = [], []
            for number in numbers:
                rng, theme, created = self.recommendation_fields(number)
                steps = self.recommendation_timeline(number, created, updates)
                year = created.year
                counters[year] += 1
                released_to_all, released_to = self.release(rng)
                meeting_id = None
                if self.past_meeting_ids and rng.random() < 0.3:
                    meeting_id = rng.choice(self.past_meeting_ids)
                initiative_id = None
                if self.initiative_ids and rng.random() < 0.6:
                    initiative_id = rng.choice(self.initiative_ids)
                addressed = rng.sample(
                    self.nations, min(len(self.nations), rng.randint(1, 3))
                )
                fields = {}
                if has_progress:
                    fields["progress"] = steps[-1][2]
                recommendations.append(
                    Recommendation(
                        reference=f"REC-{year}-{counters[year]:04d}",
                        title=marked(
                            number + 1,
                            f"Strengthen the response to {theme} "
                            f"({', '.join(n.iso_alpha2 for n in addressed)})",
                        ),
                        description=(
                            f"The partners recommend pooling resources against "
                            f"{theme}: shared alerts, joint patrols and a common "
                            "reporting format, reviewed at each meeting."
                        ),
                        source_meeting_id=meeting_id,
                        source_note=""
                        if meeting_id
                        else f"Regional security summit {created.year}",
                        focus_area_id=rng.choice(self.focus_areas).pk,
                        initiative_id=initiative_id,
                        owner_id=rng.choice(self.user_ids),
                        priority=rng.choices([1, 2, 3, 4], weights=[2, 4, 3, 1])[0],
                        due_date=created.date() + rng.randint(30, 540) * DAY,
                        status=steps[-1][1],
                        released_to_all=released_to_all,
                        created_at=created,
                        updated_at=steps[-1][3],
                        **fields,
                    )
                )
                extras.append((addressed, released_to, steps))
            with explicit_timestamps(Recommendation):
                self.bulk(Recommendation, recommendations, "recommendations")
            addressed_rows, releases, update_rows = [], [], []
            for recommendation, (addressed, released_to, steps) in zip(
                recommendations, extras, strict=True
            ):
                addressed_rows.extend((recommendation.pk, n.pk) for n in addressed)
                releases.extend((recommendation.pk, pk) for pk in released_to)
                update_rows.extend(self.update_objects(recommendation.pk, steps))
            self.bulk_through(
                Recommendation, "nations", addressed_rows, "recommendation nations"
            )
            self.bulk_through(
                Recommendation, "released_to", releases, "recommendation releases"
            )
            self.bulk(RecommendationUpdate, update_rows, "recommendation updates")
        for year, last_number in counters.items():
            ReferenceCounter.objects.filter(year=year).update(last_number=last_number)

    def update_objects(self, recommendation_id, steps):
        return [
            RecommendationUpdate(
                recommendation_id=recommendation_id,
                author_id=self.user_ids[int(author * len(self.user_ids))],
                created_at=moment,
                from_status=from_status,
                to_status=to_status,
                progress=progress,
                note=note,
                code="" if from_status else RAISED,
            )
            for from_status, to_status, progress, moment, note, author in steps
        ]

    def lock_counters(self):
        """Each year's last reference number, the counters locked for the run."""
        # Recommendations are created up to four years back (recommendation_fields).
        years = range(self.now.year - 4, self.now.year + 1)
        ReferenceCounter.objects.bulk_create(
            [ReferenceCounter(year=year, last_number=0) for year in years],
            ignore_conflicts=True,
        )
        counters = {
            counter.year: counter.last_number
            for counter in ReferenceCounter.objects.select_for_update().filter(
                year__in=years
            )
        }
        # A reference above its counter (written around the service) is never reused.
        for year in years:
            highest = (
                Recommendation.objects.filter(reference__startswith=f"REC-{year}-")
                .order_by(Length("reference").desc(), "-reference")
                .values_list("reference", flat=True)
                .first()
            )
            if highest:
                counters[year] = max(counters[year], int(highest.rsplit("-", 1)[1]))
        return counters

    def top_up_timelines(self, updates):
        """Give earlier volume recommendations the asked number of updates: their
        timeline carries on as a fresh seed of that length would have drawn it."""
        short = (
            Recommendation.objects.filter(title__startswith=MARK)
            .annotate(n=Count("updates"))
            .filter(n__lt=updates)
            .values_list("pk", "title", "n")
        )
        has_progress = stores_progress()
        fields = ["status", "updated_at", *(["progress"] if has_progress else [])]
        changed, update_rows = [], []
        for pk, title, count in short.iterator(chunk_size=2000):
            number = int(title.split()[1]) - 1
            _rng, _theme, created = self.recommendation_fields(number)
            steps = self.recommendation_timeline(number, created, updates)
            update_rows.extend(self.update_objects(pk, steps[count:]))
            _from, status, progress, moment, _note, _author = steps[-1]
            extra = {"progress": progress} if has_progress else {}
            changed.append(
                Recommendation(pk=pk, status=status, updated_at=moment, **extra)
            )
            if len(update_rows) >= self.batch_size:
                self.bulk(RecommendationUpdate, update_rows, "recommendation updates")
                update_rows = []
        self.bulk(RecommendationUpdate, update_rows, "recommendation updates")
        if changed:
            with explicit_timestamps(Recommendation):
                Recommendation.objects.bulk_update(
                    changed, fields, batch_size=self.batch_size
                )
