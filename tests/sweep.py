"""Sweep every URL pattern of the project for the access rules of issue 5.

``ROUTES`` classifies each URL pattern: which records fill its arguments and what an
anonymous visitor gets. Every pattern the resolver knows must be classified; a pattern
that is not (a view added without thinking about access) is reported by
``unclassified_patterns``, so nothing is silently skipped.

The sweep functions return lists of violations (strings) instead of asserting, so
``tests/test_url_sweep.py`` can both require them to be empty for the real URLconf
and show that they report a deliberately unguarded view.
"""

import datetime
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from cooperation import roles
from cooperation.models import (
    AgendaItem,
    AssessmentMeeting,
    Briefing,
    Initiative,
    Recommendation,
)
from cooperation.services import invitations as invitation_services
from cooperation.services import meetings as meeting_services
from tests import factories

# ------------------------------------------------------------------ classification

LOGIN = "login"  # anonymous: 302 to settings.LOGIN_URL?next=
ADMIN_LOGIN = "admin-login"  # anonymous: 302 to the admin login (or admin index)
PUBLIC = "public"  # anonymous may open it: login, password reset, health
TOKEN_404 = "token-404"  # the secret-token feed: 404 for a wrong token

# Kinds of record whose releasability decides who may reach them.
RELEASABLE = {"initiative", "meeting", "recommendation"}
CHILDREN = {
    "assessment",
    "evaluation",
    "agendaitem",
    "participation",
    "invitation",
    "update",
    "series",
    "history:initiative",
    "history:meeting",
    "history:recommendation",
    "history:assessment",
    "history:evaluation",
    "history:agendaitem",
    "history:participation",
    "history:invitation",
    "history:update",
    "history:series",
    # Documents follow their parent record; so do their files (versions).
    "document",
    "documentversion",
    "history:document",
}
# Records that answer the one user they belong to only (a PDF briefing asked for):
# another user's answers like a missing one.
OWNED = {"briefing", "notification"}
GOVERNED = RELEASABLE | CHILDREN | OWNED


@dataclass(frozen=True)
class Route:
    """How to build a URL of one pattern, and what it exposes.

    ``params`` maps each URL argument (a name, or the position of an unnamed regex
    group as "0", "1"…) to the kind of record that fills it. A URL with an argument of
    a releasable kind, or a child of one, is an object URL.
    """

    params: dict = field(default_factory=dict)
    anonymous: str = LOGIN
    queries: tuple = ("",)

    @property
    def is_object_url(self):
        return any(kind in GOVERNED for kind in self.params.values())


PORTAL_ROUTES = {
    # django.contrib.auth
    "login": Route(anonymous=PUBLIC),
    "logout": Route(anonymous=PUBLIC),
    "password_change": Route(),
    "password_change_done": Route(),
    "password_reset": Route(anonymous=PUBLIC),
    "password_reset_done": Route(anonymous=PUBLIC),
    "password_reset_confirm": Route(
        {"uidb64": "uidb64", "token": "reset-token"}, anonymous=PUBLIC
    ),
    "password_reset_complete": Route(anonymous=PUBLIC),
    # cooperation
    "cooperation:dashboard": Route(),
    "cooperation:my-work": Route(),
    "cooperation:healthz": Route(anonymous=PUBLIC),
    "cooperation:readyz": Route(anonymous=PUBLIC),
    "cooperation:profile": Route(),
    "cooperation:language-switch": Route(),
    # The one search: the words of the withheld records' titles find none of them
    # (and the counts stay those of a world without them).
    "cooperation:search": Route(
        queries=("", "q=withheld", "q=initiative", "q=meeting", "q=recommendation")
    ),
    "cooperation:saved-filter-save": Route(),
    "cooperation:saved-filter-delete": Route(),
    # The autocomplete searches: signed-in users only; searching the words the
    # withheld records' titles and reference hold must find none of them.
    "cooperation:lookup-users": Route(),
    "cooperation:lookup-initiatives": Route(queries=("", "q=withheld")),
    "cooperation:lookup-meetings": Route(queries=("", "q=withheld")),
    "cooperation:lookup-recommendations": Route(
        queries=("", "q=withheld", "q=REC-2026-0666")
    ),
    "cooperation:nation-list": Route(),
    "cooperation:nation-detail": Route({"code": "nation"}),
    "cooperation:regional-picture": Route(),
    "cooperation:regional-briefing": Route(),
    "cooperation:regional-briefing-pdf": Route(),
    "cooperation:briefing-list": Route(),
    "cooperation:briefing": Route({"pk": "briefing"}),
    "cooperation:briefing-pdf": Route({"pk": "briefing"}),
    "cooperation:briefing-retry": Route({"pk": "briefing"}),
    "cooperation:initiative-list": Route(),
    "cooperation:initiative-create": Route(),
    "cooperation:initiative-detail": Route({"pk": "initiative"}),
    "cooperation:initiative-history": Route({"pk": "initiative"}),
    "cooperation:initiative-edit": Route({"pk": "initiative"}),
    "cooperation:meeting-list": Route(),
    "cooperation:meeting-create": Route(),
    "cooperation:meeting-find-time": Route(queries=("", "find-a-time")),
    "cooperation:meeting-detail": Route({"pk": "meeting"}),
    "cooperation:meeting-ics": Route({"pk": "meeting"}),
    "cooperation:meeting-series-ics": Route({"pk": "meeting"}),
    "cooperation:meeting-rsvp": Route({"pk": "meeting"}),
    "cooperation:calendar": Route(),
    "cooperation:calendar-subscription": Route(),
    "cooperation:calendar-feed": Route({"token": "feed-token"}, anonymous=TOKEN_404),
    "cooperation:meeting-edit": Route({"pk": "meeting"}),
    "cooperation:meeting-cancel": Route({"pk": "meeting"}),
    "cooperation:meeting-minutes": Route({"pk": "meeting"}),
    "cooperation:meeting-minutes-publish": Route({"pk": "meeting"}),
    "cooperation:meeting-history": Route({"pk": "meeting"}),
    "cooperation:meeting-briefing": Route({"pk": "meeting"}),
    "cooperation:meeting-briefing-pdf": Route({"pk": "meeting"}),
    "cooperation:assessment-create": Route({"pk": "meeting"}),
    "cooperation:assessment-edit": Route(
        {"pk": "meeting", "assessment_pk": "assessment"}
    ),
    "cooperation:evaluation-create": Route({"pk": "meeting"}),
    "cooperation:evaluation-edit": Route(
        {"pk": "meeting", "evaluation_pk": "evaluation"}
    ),
    "cooperation:meeting-recommendation-create": Route({"pk": "meeting"}),
    "cooperation:recommendation-list": Route(),
    "cooperation:recommendation-create": Route(),
    "cooperation:recommendation-detail": Route({"reference": "recommendation"}),
    "cooperation:recommendation-history": Route({"reference": "recommendation"}),
    "cooperation:recommendation-edit": Route({"reference": "recommendation"}),
    "cooperation:recommendation-transition": Route({"reference": "recommendation"}),
    "cooperation:meeting-document-add": Route({"pk": "meeting"}),
    "cooperation:recommendation-document-add": Route({"reference": "recommendation"}),
    "cooperation:initiative-document-add": Route({"pk": "initiative"}),
    # A document of a withheld record answers like a missing one, file included.
    "cooperation:document-download": Route(
        {"pk": "document"}, queries=("", "version=1", "version=x")
    ),
    "cooperation:document-replace": Route({"pk": "document"}),
    "cooperation:document-delete": Route({"pk": "document"}),
    "cooperation:recommendation-follow": Route({"reference": "recommendation"}),
    "cooperation:notification-list": Route(queries=("", "page=2", "page=x")),
    "cooperation:notification-read": Route({"pk": "notification"}),
    "cooperation:notification-read-all": Route(),
    "cooperation:notification-preferences": Route(),
    "cooperation:recommendation-progress": Route({"reference": "recommendation"}),
    "cooperation:recommendation-comment": Route({"reference": "recommendation"}),
}

# Autocomplete searches that would list releasable records in a foreign-key field.
AUTOCOMPLETE_QUERIES = (
    "",
    "app_label=cooperation&model_name=invitation&field_name=meeting&term=",
    "app_label=cooperation&model_name=participation&field_name=initiative&term=",
    "app_label=cooperation&model_name=initiativeevaluation&field_name=initiative&term=",
    "app_label=cooperation&model_name=recommendationupdate"
    "&field_name=recommendation&term=",
)

ADMIN_SITE_ROUTES = {
    "admin:index": Route(anonymous=ADMIN_LOGIN),
    "admin:login": Route(anonymous=PUBLIC),
    "admin:logout": Route(anonymous=ADMIN_LOGIN),
    "admin:password_change": Route(anonymous=ADMIN_LOGIN),
    "admin:password_change_done": Route(anonymous=ADMIN_LOGIN),
    "admin:autocomplete": Route(anonymous=ADMIN_LOGIN, queries=AUTOCOMPLETE_QUERIES),
    "admin:jsi18n": Route(anonymous=ADMIN_LOGIN),
    "admin:view_on_site": Route(
        {"content_type_id": "contenttype:initiative", "object_id": "initiative"},
        anonymous=ADMIN_LOGIN,
    ),
    "admin:app_list": Route({"app_label": "app-label"}, anonymous=ADMIN_LOGIN),
    "admin:<unnamed admin/(?P<url>.*)$>": Route(
        {"url": "catch-all"}, anonymous=ADMIN_LOGIN
    ),
    "admin:auth_user_password_change": Route({"id": "user"}, anonymous=ADMIN_LOGIN),
    "admin:otp_totp_totpdevice_config": Route(
        {"pk": "row:otp_totp.totpdevice"}, anonymous=ADMIN_LOGIN
    ),
    "admin:otp_totp_totpdevice_qrcode": Route(
        {"pk": "row:otp_totp.totpdevice"}, anonymous=ADMIN_LOGIN
    ),
}

# Each model registered in the admin, and the kind of record its object id names.
# A model registered later must be added here: its pages are otherwise unclassified.
ADMIN_MODELS = {
    "auth.group": "group",
    "cooperation.nation": "nation-pk",
    "cooperation.focusarea": "focusarea",
    "cooperation.user": "user",
    "cooperation.initiative": "initiative",
    "cooperation.participation": "participation",
    "cooperation.assessmentmeeting": "meeting",
    "cooperation.agendaitem": "agendaitem",
    "cooperation.meetingseries": "series",
    "cooperation.invitation": "invitation",
    "cooperation.outboundemail": "outboundemail",
    "cooperation.situationassessment": "assessment",
    "cooperation.initiativeevaluation": "evaluation",
    "cooperation.referencecounter": "referencecounter",
    "cooperation.recommendation": "recommendation-pk",
    "cooperation.recommendationupdate": "update",
    "cooperation.document": "document",
    "cooperation.documentversion": "documentversion",
    # The admin's briefings are for administrators, by the row (no owner's rule).
    "cooperation.briefing": "row:cooperation.briefing",
    # What users are told and follow: rows of their own, no owner's rule here.
    "cooperation.notification": "row:cooperation.notification",
    "cooperation.notificationpreference": "row:cooperation.notificationpreference",
    "cooperation.follow": "row:cooperation.follow",
    "cooperation.savedfilter": "row:cooperation.savedfilter",
    # Security records (django-axes, django-otp): no releasability of their own.
    "axes.accessattempt": "row:axes.accessattempt",
    "axes.accesslog": "row:axes.accesslog",
    "axes.accessfailurelog": "row:axes.accessfailurelog",
    "otp_totp.totpdevice": "row:otp_totp.totpdevice",
    "otp_static.staticdevice": "row:otp_static.staticdevice",
    # The database task backend's results (django-tasks-db).
    "django_tasks_database.dbtaskresult": "row:django_tasks_database.dbtaskresult",
}


def _admin_model_routes():
    routes = {}
    for label, kind in ADMIN_MODELS.items():
        app_label, model_name = label.split(".")
        prefix = f"admin:{app_label}_{model_name}"
        on_object = {"object_id": kind}
        routes[f"{prefix}_changelist"] = Route(anonymous=ADMIN_LOGIN)
        routes[f"{prefix}_add"] = Route(anonymous=ADMIN_LOGIN)
        for view in ("history", "delete", "change"):
            routes[f"{prefix}_{view}"] = Route(on_object, anonymous=ADMIN_LOGIN)
        # The bare object URL, which redirects to its change page.
        bare = f"admin/{app_label}/{model_name}/<path:object_id>/"
        routes[f"admin:<unnamed {bare}>"] = Route(on_object, anonymous=ADMIN_LOGIN)
        base_kind = kind.removesuffix("-pk")
        routes[f"{prefix}_simple_history"] = Route(
            {"0": kind, "1": f"history:{base_kind}"}, anonymous=ADMIN_LOGIN
        )
    return routes


ROUTES = {**PORTAL_ROUTES, **ADMIN_SITE_ROUTES, **_admin_model_routes()}


# ------------------------------------------------------------------- enumeration


@dataclass(frozen=True)
class Pattern:
    key: str  # the namespaced URL name, or "<unnamed route>" when it has none
    route: str  # the full route, prefixes included
    callback: object


def all_patterns(urlconf=None):
    """Every URL pattern of the URLconf, recursively, static and media excluded."""
    found = []

    def walk(resolver, prefix, namespace):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                inner = namespace
                if entry.namespace:
                    inner = (
                        f"{namespace}:{entry.namespace}"
                        if namespace
                        else (entry.namespace)
                    )
                walk(entry, prefix + str(entry.pattern), inner)
                continue
            assert isinstance(entry, URLPattern)
            route = prefix + str(entry.pattern)
            if _is_static(route):
                continue
            name = entry.name or f"<unnamed {route}>"
            key = f"{namespace}:{name}" if namespace else name
            found.append(Pattern(key, route, entry.callback))

    walk(get_resolver(urlconf), "", "")
    return found


def _is_static(route):
    prefixes = [settings.STATIC_URL or "", getattr(settings, "MEDIA_URL", "") or ""]
    prefixes = [prefix.lstrip("/") for prefix in prefixes]
    return any(prefix and route.startswith(prefix) for prefix in prefixes)


def unclassified_patterns(routes=ROUTES, urlconf=None):
    return [
        f"{p.key} ({p.route!r}) is not classified: add it to tests/sweep.py ROUTES "
        "with the records that fill its arguments and what anonymous visitors get"
        for p in all_patterns(urlconf)
        if p.key not in routes
    ]


# ------------------------------------------------------------------- the world

MISSING_PK = 987654321
MISSING_UUID = "00000000-0000-4000-8000-000000000000"
WITHHELD_PREFIX = "WITHHELD-from-Brazil"


@dataclass
class World:
    colombia: object
    brazil: object
    colombian: object
    brazilian: object
    superuser: object
    visible: dict
    withheld: dict = field(default_factory=dict)
    # Visible parents whose child (or a record the URL names) is withheld.
    crossed: dict = field(default_factory=dict)
    withheld_texts: list = field(default_factory=list)
    # Visible records that later point at withheld ones (a review item).
    extra: dict = field(default_factory=dict)


def build_world():
    """Nations, users and records released to all partners (Brazil sees them)."""
    colombia = factories.NationFactory(
        name="Colombia", iso_alpha2="CO", iso_alpha3="COL", time_zone="America/Bogota"
    )
    brazil = factories.NationFactory(
        name="Brazil",
        iso_alpha2="BR",
        iso_alpha3="BRA",
        time_zone="America/Sao_Paulo",
        official_languages="pt",
    )
    colombian = factories.UserFactory(username="col-sweep", nation=colombia)
    colombian.groups.add(Group.objects.get(name=roles.EDITOR))
    # Every role short of Coordinator, so permission checks never mask
    # releasability; staff, so the admin is swept too.
    brazilian = factories.UserFactory(
        username="bra-sweep", nation=brazil, is_staff=True
    )
    brazilian.groups.add(
        Group.objects.get(name=roles.EDITOR), Group.objects.get(name=roles.SCHEDULER)
    )
    superuser = factories.UserFactory(
        username="root-sweep", is_staff=True, is_superuser=True
    )
    for staff in (brazilian, superuser):
        TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    focus = factories.FocusAreaFactory(name="Cocaine", slug="cocaine")
    series = factories.MeetingSeriesFactory(title="Open series", created_by=colombian)
    initiative = factories.InitiativeFactory(title="Open initiative", owner=colombian)
    # The visible meeting is the series' third occurrence; the second will be
    # withheld (``add_withheld``), so counts and numbers must skip it.
    factories.AssessmentMeetingFactory(
        title="Open first occurrence",
        chair=colombian,
        series=series,
        occurrence_number=1,
        starts_at=timezone.now() - datetime.timedelta(days=30),
    )
    meeting = factories.AssessmentMeetingFactory(
        title="Open meeting", chair=colombian, series=series, occurrence_number=3
    )
    meeting.nations.set([colombia, brazil])
    # Each occurrence is an instance of the series' recurring invitation.
    AssessmentMeeting.objects.filter(series=series).update(recurrence_id=F("starts_at"))
    # A review item carried over onto the visible meeting; ``add_withheld`` makes
    # it review a withheld recommendation.
    review_item = factories.AgendaItemFactory(
        meeting=meeting,
        title=meeting_services.review_title(),
        kind=AgendaItem.Kind.REVIEW,
        position=9,
    )
    recommendation = factories.RecommendationFactory(
        reference="REC-2026-0001",
        title="Open recommendation",
        focus_area=focus,
        owner=colombian,
        source_meeting=meeting,
    )
    recommendation.nations.set([brazil])
    visible = {
        "initiative": initiative,
        "meeting": meeting,
        "recommendation": recommendation,
        "series": series,
        "participation": factories.ParticipationFactory(
            initiative=initiative, nation=brazil
        ),
        "assessment": factories.SituationAssessmentFactory(
            meeting=meeting, nation=brazil, focus_area=focus
        ),
        "evaluation": factories.InitiativeEvaluationFactory(
            meeting=meeting, initiative=initiative
        ),
        "agendaitem": factories.AgendaItemFactory(meeting=meeting, title="Open item"),
        "invitation": factories.InvitationFactory(meeting=meeting, user=brazilian),
        "update": factories.RecommendationUpdateFactory(
            recommendation=recommendation, author=colombian
        ),
        "focusarea": focus,
        "user": colombian,
        "group": Group.objects.get(name=roles.VIEWER),
        "outboundemail": factories.OutboundEmailFactory(recipient=brazilian),
        # The Brazilian's own PDF briefing of the open meeting, made.
        "briefing": factories.BriefingFactory(
            kind=Briefing.Kind.MEETING,
            requested_by=brazilian,
            meeting=meeting,
            as_of=None,
            status=Briefing.Status.READY,
            title=meeting.title,
            pdf=b"%PDF-1.7 Open meeting",
            pages=1,
            finished_at=timezone.now(),
        ),
        "referencecounter": factories.ReferenceCounterFactory(year=2026),
        "document": factories.DocumentFactory(
            recommendation=recommendation, title="Open evidence", uploaded_by=colombian
        ),
        # The Brazilian's own notification about the open recommendation.
        "notification": factories.NotificationFactory(
            recipient=brazilian, actor=colombian, recommendation=recommendation
        ),
    }
    visible["documentversion"] = visible["document"].versions.get()
    visible["nation"] = brazil
    return World(
        colombia,
        brazil,
        colombian,
        brazilian,
        superuser,
        visible,
        extra={"review_item": review_item},
    )


def add_withheld(world):
    """Records released to Colombia only, each touching Brazil in some way: Brazil
    takes part, is addressed, assessed or invited, so a page that forgets
    ``visible_to`` shows or counts them."""
    c, b, col = world.colombia, world.brazil, world.colombian
    title = WITHHELD_PREFIX
    series = factories.MeetingSeriesFactory(title=f"{title} series", created_by=col)
    initiative = factories.InitiativeFactory(
        title=f"{title} initiative", owner=col, released_to_all=False, released_to=[c]
    )
    meeting = factories.AssessmentMeetingFactory(
        title=f"{title} meeting",
        chair=col,
        series=series,
        occurrence_number=1,
        starts_at=timezone.now() + datetime.timedelta(days=2),
        released_to_all=False,
        released_to=[c],
    )
    meeting.nations.set([c, b])
    recommendation = factories.RecommendationFactory(
        reference="REC-2026-0666",
        title=f"{title} recommendation",
        focus_area=world.visible["focusarea"],
        owner=col,
        status=Recommendation.Status.IN_PROGRESS,
        due_date=timezone.localdate() - datetime.timedelta(days=3),
        source_meeting=world.visible["meeting"],
        initiative=world.visible["initiative"],
        released_to_all=False,
        released_to=[c],
    )
    recommendation.nations.set([b, c])
    # The visible series' second occurrence, between the visible first and third
    # (and an instance of its recurring invitation: the series' .ics must not
    # tell of it).
    start = timezone.now() - datetime.timedelta(days=3)
    factories.AssessmentMeetingFactory(
        title=f"{title} occurrence",
        chair=col,
        series=world.visible["series"],
        occurrence_number=2,
        starts_at=start,
        recurrence_id=start,
        released_to_all=False,
        released_to=[c],
    )
    # The visible meeting's review item now reviews the withheld recommendation,
    # as carry-over does: its reference must reach no Brazilian page, .ics or feed.
    world.extra["review_item"].recommendation = recommendation
    world.extra["review_item"].save()
    world.withheld = {
        "initiative": initiative,
        "meeting": meeting,
        "recommendation": recommendation,
        "series": series,
        "participation": factories.ParticipationFactory(
            initiative=initiative, nation=b
        ),
        "assessment": factories.SituationAssessmentFactory(
            meeting=meeting,
            nation=b,
            focus_area=world.visible["focusarea"],
            primary_concern=f"{title} concern",
        ),
        "evaluation": factories.InitiativeEvaluationFactory(
            meeting=meeting,
            initiative=world.visible["initiative"],
            findings=f"{title} findings",
        ),
        "agendaitem": factories.AgendaItemFactory(
            meeting=meeting, title=f"{title} item"
        ),
        "invitation": factories.InvitationFactory(
            meeting=meeting, user=world.brazilian
        ),
        "update": factories.RecommendationUpdateFactory(
            recommendation=recommendation, author=col, note=f"{title} note"
        ),
        # Another user's PDF briefing (of the withheld meeting): the Brazilian's
        # own briefing pages answer it as a missing one.
        "briefing": factories.BriefingFactory(
            kind=Briefing.Kind.MEETING,
            requested_by=col,
            meeting=meeting,
            as_of=None,
            status=Briefing.Status.READY,
            title=meeting.title,
            pdf=f"%PDF-1.7 {title}".encode(),
            pages=1,
            finished_at=timezone.now(),
        ),
        # The Brazilian's own notification about the withheld recommendation (told
        # before it was withheld): neither listed, counted nor opened.
        "notification": factories.NotificationFactory(
            recipient=world.brazilian, actor=col, recommendation=recommendation
        ),
    }
    # Visible parents with a withheld child: an evaluation of the withheld
    # initiative recorded at the visible meeting, and the withheld meeting's
    # assessment asked for under the visible meeting.
    # A document on the withheld recommendation and one on the withheld meeting:
    # their pages and files answer like missing ones, no list names them.
    world.withheld["document"] = factories.DocumentFactory(
        recommendation=recommendation, title=f"{title} evidence", uploaded_by=col
    )
    world.withheld["documentversion"] = world.withheld["document"].versions.get()
    factories.DocumentFactory(
        recommendation=None,
        meeting=meeting,
        title=f"{title} read-ahead",
        uploaded_by=col,
    )
    world.crossed = {
        "evaluation": factories.InitiativeEvaluationFactory(
            meeting=world.visible["meeting"],
            initiative=initiative,
            findings=f"{title} crossed findings",
        ),
        "assessment": world.withheld["assessment"],
    }
    world.withheld_texts = [
        title,
        initiative.title,
        meeting.title,
        recommendation.title,
        recommendation.reference,
    ]
    return world


# ------------------------------------------------------------------ URL building


def _value(world, records, kind):
    """The URL argument for ``kind``; ``records`` is None for a missing record."""
    missing = records is None
    if kind == "nation":
        return "ZZ" if missing else records.get("nation", world.brazil).iso_alpha2
    if kind == "nation-pk":
        return str(MISSING_PK) if missing else str(world.brazil.pk)
    if kind == "briefing" and missing:
        return MISSING_UUID
    if kind in {"recommendation"}:
        return "REC-0000-9999" if missing else records["recommendation"].reference
    if kind == "recommendation-pk":
        return str(MISSING_PK) if missing else str(records["recommendation"].pk)
    if kind.startswith("history:"):
        base = kind.removeprefix("history:")
        if missing:
            return str(MISSING_PK)
        record = _record(world, records, base)
        return str(record.history.order_by("history_id").first().history_id)
    if kind.startswith("contenttype:"):
        model = {"initiative": Initiative, "meeting": AssessmentMeeting}[
            kind.removeprefix("contenttype:")
        ]
        return str(ContentType.objects.get_for_model(model).pk)
    if kind.startswith("row:"):
        model = apps.get_model(kind.removeprefix("row:"))
        row = None if missing else model._default_manager.order_by("pk").first()
        return str(row.pk if row else MISSING_PK)
    if kind == "uidb64":
        return urlsafe_base64_encode(force_bytes(world.brazilian.pk))
    if kind == "reset-token":
        return "set-password"
    if kind == "feed-token":
        return "not-a-valid-token"
    if kind == "app-label":
        return "cooperation"
    if kind == "catch-all":
        return "no-such-page/"
    if missing:
        return str(MISSING_PK)
    return str(_record(world, records, kind).pk)


def _record(world, records, kind):
    kind = kind.removesuffix("-pk")
    if kind in records:
        return records[kind]
    if kind == "nation":
        return world.brazil
    return world.visible[kind]


_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)|\((?!\?)[^)]*\)")
_CONVERTER = re.compile(r"<(?:\w+:)?(?P<name>\w+)>")


def fill(route, values):
    """The concrete path of ``route`` with its arguments taken from ``values``."""
    position = iter(range(100))

    def group(match):
        name = match["name"] or str(next(position))
        return values[name]

    path = _GROUP.sub(group, route.replace("^", "").replace("$", ""))
    path = _CONVERTER.sub(lambda m: values[m["name"]], path)
    return "/" + path


def build_url(world, pattern, spec, variant, query=""):
    """The URL of ``pattern`` for a variant: "visible", "withheld", "crossed" (a
    visible parent with a withheld child) or "missing"; None when the variant does
    not apply (a crossed URL with no crossed argument)."""
    if variant == "crossed":
        if not any(kind in world.crossed for kind in spec.params.values()):
            return None
        records = {**world.visible, **world.crossed}
    else:
        records = {"visible": world.visible, "withheld": world.withheld}.get(variant)
    values = {name: _value(world, records, kind) for name, kind in spec.params.items()}
    path = fill(pattern.route, values)
    match = resolve(path)
    assert match.func == pattern.callback, f"{path} resolves elsewhere than {pattern}"
    return path + (f"?{query}" if query else "")


def _query(world, query):
    if query == "find-a-time":
        today = timezone.localdate()
        return (
            f"nations={world.colombia.pk}&nations={world.brazil.pk}"
            f"&attendees={world.colombian.pk}&attendees={world.brazilian.pk}"
            f"&duration=60&first_day={today.isoformat()}"
            f"&last_day={(today + datetime.timedelta(days=6)).isoformat()}"
            "&time_zone=America/Bogota"
        )
    return query


def patterns_with_routes(routes=ROUTES, urlconf=None):
    return [(p, routes[p.key]) for p in all_patterns(urlconf) if p.key in routes]


def client_for(user, **kwargs):
    """A client signed in as ``user``; staff have passed the admin's second factor,
    so the admin's own rules are what the sweep meets, not the OTP login."""
    client = Client(**kwargs)
    if user is not None:
        client.force_login(user)
        device = TOTPDevice.objects.filter(user=user).first()
        if device is not None:
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
    return client


# ------------------------------------------------------------------ 1. anonymous


def anonymous_violations(world, routes=ROUTES, urlconf=None):
    login_url = resolve_url(settings.LOGIN_URL)
    admin_login = reverse("admin:login")
    admin_index = reverse("admin:index")
    violations = []
    for pattern, spec in patterns_with_routes(routes, urlconf):
        variant = "visible" if spec.anonymous != TOKEN_404 else "missing"
        for query in spec.queries:
            url = build_url(world, pattern, spec, variant, _query(world, query))
            for method in ("get", "post"):
                response = getattr(Client(), method)(url)
                status, where = response.status_code, response.get("Location", "")
                problem = None
                if spec.anonymous == LOGIN:
                    if status != 302 or not where.startswith(f"{login_url}?next="):
                        problem = "not redirected to the login page"
                elif spec.anonymous == ADMIN_LOGIN:
                    if status != 302 or not (
                        where.startswith(f"{admin_login}?next=")
                        or where.startswith(f"{login_url}?next=")
                        or where == admin_index
                    ):
                        problem = "not redirected to a login page"
                elif spec.anonymous == TOKEN_404:
                    expected = 404 if method == "get" else 405
                    if status != expected:
                        problem = f"a wrong token must answer {expected}"
                elif status >= 500:
                    problem = "public page fails"
                if problem:
                    violations.append(
                        f"anonymous {method.upper()} {url}: {status} {where} {problem}"
                    )
    return violations


# -------------------------------------------------------------- 2. releasability


def _body(response):
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def _leaked_texts(world, response, url=""):
    """Withheld titles and references in the response; the URL asked for is left
    out, since a 404 page may repeat the address the user typed."""
    text = _body(response)
    if url:
        text = text.replace(url.split("?")[0], "")
    return [needle for needle in world.withheld_texts if needle in text]


def releasability_violations(world, routes=ROUTES, urlconf=None):
    """Each object URL of a withheld record answers the Brazilian user exactly as the
    same URL for a record that does not exist (404 on the portal's own pages)."""
    violations = []
    client = client_for(world.brazilian)
    for pattern, spec in patterns_with_routes(routes, urlconf):
        if not spec.is_object_url:
            continue
        missing = build_url(world, pattern, spec, "missing")
        for variant in ("withheld", "crossed"):
            url = build_url(world, pattern, spec, variant)
            if url is None:
                continue
            for method in ("get", "post"):
                expected = getattr(client, method)(missing).status_code
                response = getattr(client, method)(url)
                status = response.status_code
                admin_page = pattern.key.startswith("admin:")
                # 405: the method is refused before any record is read.
                if status != expected or (not admin_page and status not in {404, 405}):
                    violations.append(
                        f"{method.upper()} {url} ({variant}) answered {status}; a "
                        f"missing record answers {expected} ({missing})"
                    )
                leaked = _leaked_texts(world, response, url)
                if leaked:
                    violations.append(
                        f"{method.upper()} {url} ({variant}) shows {leaked}"
                    )
    return violations


# --------------------------------------------------- 3. lists, counts, exports


def page_urls(world, routes=ROUTES, urlconf=None):
    """Every page the Brazilian user can GET with records released to them: lists
    (and their CSV exports), dashboard, calendar, nation pages, find-a-time, forms,
    visible records' pages and the admin."""
    urls = []
    for pattern, spec in patterns_with_routes(routes, urlconf):
        if spec.anonymous in {PUBLIC, TOKEN_404}:
            continue
        for query in spec.queries:
            url = build_url(world, pattern, spec, "visible", _query(world, query))
            urls.append(url)
            if pattern.key.endswith("-list"):
                urls.append(url + ("&" if "?" in url else "?") + "format=csv")
        if pattern.key == "cooperation:nation-detail":
            urls.append(reverse(pattern.key, args=[world.colombia.iso_alpha2]))
    return urls


def withheld_text_violations(world, urls):
    violations = []
    client = client_for(world.brazilian)
    for url in urls:
        response = client.get(url)
        if response.status_code >= 500:
            violations.append(f"GET {url} failed with {response.status_code}")
        leaked = _leaked_texts(world, response, url)
        if leaked:
            violations.append(f"GET {url} shows withheld {leaked}")
    return violations


_VOLATILE = [
    re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"'),
    re.compile(r'nonce="[^"]*"'),
    re.compile(r'filename="[^"]*"'),
    re.compile(r"DTSTAMP:\S+"),
    # When a briefing was prepared: its header and its page marks, to the minute.
    re.compile(r"Prepared [^(<\"]*"),
]


def snapshot(world, urls):
    """What the Brazilian user gets from each URL, tokens and nonces blanked."""
    client = client_for(world.brazilian)
    pages = {}
    for url in urls:
        response = client.get(url)
        text = _body(response)
        for pattern in _VOLATILE:
            text = pattern.sub("", text)
        pages[url] = (response.status_code, text)
    return pages


def changed_pages(before, after):
    return [
        f"GET {url} changed when records withheld from Brazil were added "
        f"({before[url][0]} -> {after[url][0]})"
        for url in before
        if before[url] != after[url]
    ]


def feed_violations(world):
    token = invitation_services.calendar_token_create(
        user=world.brazilian, acting_user=world.brazilian
    )
    url = reverse("cooperation:calendar-feed", args=[token])
    response = Client().get(url)
    violations = []
    if response.status_code != 200:
        violations.append(f"feed {url} answered {response.status_code}")
    if world.visible["meeting"].title not in response.content.decode():
        violations.append("feed leaves out a meeting released to the user")
    leaked = _leaked_texts(world, response)
    if leaked:
        violations.append(f"feed shows withheld {leaked}")
    return violations


def feed_snapshot(token):
    """The calendar feed as its (anonymous) reader gets it, stamps blanked."""
    response = Client().get(reverse("cooperation:calendar-feed", args=[token]))
    text = _body(response)
    for pattern in _VOLATILE:
        text = pattern.sub("", text)
    return response.status_code, text


class _FormFields(HTMLParser):
    """The named fields of a page's forms with the values the page fills in."""

    def __init__(self):
        super().__init__()
        self.fields = []
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and name != "csrfmiddlewaretoken":
            kind = attrs.get("type", "text")
            if kind in {"checkbox", "radio"} and "checked" not in attrs:
                return
            if kind not in {"submit", "button", "file"}:
                self.fields.append((name, attrs.get("value") or "", kind))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.fields.append((self._select, attrs.get("value") or "", "select"))
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields.append((name, "", "textarea"))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            name, value, kind = self.fields[-1]
            self.fields[-1] = (name, value + data, kind)


# The navigation bar's language switch, on every page.
NAVIGATION_FIELDS = {"language", "next"}
# A date before anything in the world, so every "not before …" rule speaks.
EARLY_DATE = "1900-01-02"


def form_error_payload(html):
    """The page's own form values, with every date moved to ``EARLY_DATE``."""
    parser = _FormFields()
    parser.feed(html)
    payload = {}
    for name, value, kind in parser.fields:
        if name in NAVIGATION_FIELDS:
            continue
        if kind == "date" or re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            value = EARLY_DATE
        payload.setdefault(name, []).append(value)
    return payload


def form_urls(world, routes=ROUTES, urlconf=None):
    """The portal's create and edit pages of records visible to the Brazilian."""
    return [
        build_url(world, pattern, spec, "visible")
        for pattern, spec in patterns_with_routes(routes, urlconf)
        if pattern.key.startswith("cooperation:")
        and pattern.key.endswith(("-create", "-edit"))
    ]


def form_error_snapshot(world, urls, payloads=None):
    """What the Brazilian user gets back when posting each form with early dates:
    the error messages must not change with records they may not see. Pass the
    ``payloads`` of a first snapshot to post exactly the same data again."""
    payloads = dict(payloads or {})
    pages = {}
    for url in urls:
        # A fresh client each time: no message of one post shows on the next.
        client = client_for(world.brazilian)
        if url not in payloads:
            payloads[url] = form_error_payload(_body(client.get(url)))
        # A form that is valid after all saves: undo it, so the world stays the
        # same for the next snapshot.
        with transaction.atomic():
            response = client.post(url, payloads[url])
            transaction.set_rollback(True)
        text = _body(response)
        for pattern in _VOLATILE:
            text = pattern.sub("", text)
        pages[url] = (response.status_code, text)
    return pages, payloads


# ------------------------------------------------------------------------ 4. CSRF


def csrf_violations(world, routes=ROUTES, urlconf=None):
    """Every URL that accepts POST refuses one without a CSRF token."""
    violations = []
    for pattern, spec in patterns_with_routes(routes, urlconf):
        users = [world.superuser]
        if spec.anonymous in {PUBLIC, TOKEN_404}:
            users.append(None)
        for query in spec.queries:
            for variant in ("visible", "missing") if spec.params else ("visible",):
                url = build_url(world, pattern, spec, variant, _query(world, query))
                for user in users:
                    client = client_for(user, enforce_csrf_checks=True)
                    response = client.post(url)
                    status = response.status_code
                    if status == 405:
                        continue  # does not accept POST at all
                    refused = status == 403 and "403_csrf.html" in [
                        template.name for template in response.templates
                    ]
                    if not refused:
                        who = user.username if user else "anonymous"
                        violations.append(
                            f"POST {url} without a CSRF token as {who} answered "
                            f"{status}, not a CSRF refusal"
                        )
    return violations


def admin_models_unclassified():
    labels = {model._meta.label_lower for model in admin.site._registry}
    return sorted(labels - set(ADMIN_MODELS))
