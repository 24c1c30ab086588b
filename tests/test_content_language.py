"""Content in the reader's language (issue 16, part 4).

Reference data (focus areas, roles) named and sorted in the reader's language;
holiday names in scheduling warnings in it; dates as its locale writes them (never
ISO, Portuguese months in lower case); records keep the language they were written
in and say so when it is not the reader's; and a crawl as a Spanish- and a
Portuguese-speaking user finds no English text of the portal's catalogue on any page
reachable from the navigation.
"""

import datetime
import io
import re
import zoneinfo
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import polib
import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.template import Context, Template
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone, translation

from cooperation import demo_data, roles
from cooperation.charts import threat_charts
from cooperation.models import (
    Document,
    FocusArea,
    Initiative,
    Participation,
    Recommendation,
    SituationAssessment,
)
from cooperation.services import assessments as assessment_services
from cooperation.services import initiatives as initiative_services
from cooperation.services import meetings as meeting_services
from cooperation.services.recommendations import recommendation_create
from cooperation.services.scheduling import meeting_check, meeting_checks
from tests import factories

pytestmark = pytest.mark.django_db

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
CATALOGUES = {"es": "es", "pt-br": "pt_BR"}


@pytest.fixture(autouse=True)
def restore_the_active_language():
    """Requests as a Spanish or Portuguese reader leave their language active."""
    with translation.override(translation.get_language()):
        yield


@pytest.fixture
def areas(db):
    """Three focus areas whose order differs in each portal language."""
    return [
        factories.FocusAreaFactory(
            slug="counter-narcotics",
            name="Counter-narcotics",
            name_es="Lucha contra el narcotráfico",
            name_pt_br="Combate ao narcotráfico",
        ),
        factories.FocusAreaFactory(
            slug="cyber-defense",
            name="Cyber defense",
            name_es="Ciberdefensa",
            name_pt_br="Defesa cibernética",
        ),
        factories.FocusAreaFactory(
            slug="intelligence-sharing",
            name="Intelligence sharing",
            name_es="Intercambio de inteligencia",
            name_pt_br="Compartilhamento de inteligência",
        ),
    ]


def reader(language, **kwargs):
    return factories.UserFactory(language=language, **kwargs)


def at(year, month, day, hour, zone):
    return datetime.datetime(year, month, day, hour, tzinfo=zoneinfo.ZoneInfo(zone))


def holiday_messages(warnings):
    return [warning.message for warning in warnings if warning.code == "holiday"]


# ------------------------------------------------------------- reference data


@pytest.mark.parametrize(
    ("language", "names"),
    [
        ("en", ["Counter-narcotics", "Cyber defense", "Intelligence sharing"]),
        (
            "es",
            [
                "Ciberdefensa",
                "Intercambio de inteligencia",
                "Lucha contra el narcotráfico",
            ],
        ),
        (
            "pt-br",
            [
                "Combate ao narcotráfico",
                "Compartilhamento de inteligência",
                "Defesa cibernética",
            ],
        ),
    ],
)
def test_focus_areas_are_named_and_sorted_in_the_readers_language(
    areas, language, names
):
    with translation.override(language):
        shown = [str(area) for area in FocusArea.objects.in_display_order()]

    assert shown == names


def test_a_focus_area_without_a_translation_shows_its_english_name(areas):
    area = areas[0]
    area.name_pt_br = ""
    area.save()

    with translation.override("pt-br"):
        assert area.display_name == "Counter-narcotics"
    with translation.override("es"):
        assert area.display_name == "Lucha contra el narcotráfico"


@pytest.mark.parametrize(
    ("language", "shown", "hidden"),
    [
        ("es", "Ciberdefensa", "Cyber defense"),
        ("pt-br", "Defesa cibernética", "Cyber defense"),
        ("en", "Cyber defense", "Ciberdefensa"),
    ],
)
def test_initiative_pages_name_focus_areas_in_the_readers_language(
    client, areas, language, shown, hidden
):
    initiative = factories.InitiativeFactory(title="Shield")
    initiative.focus_areas.set(areas[1:2])
    client.force_login(reader(language))

    listing = client.get(reverse("cooperation:initiative-list")).content.decode()
    detail = client.get(initiative.get_absolute_url()).content.decode()

    assert f"<td>{shown}</td>" in listing
    assert f">{shown}</dd>" in detail
    assert hidden not in listing
    assert hidden not in detail


def test_the_focus_area_filter_offers_the_names_in_the_readers_order(client, areas):
    client.force_login(reader("es"))

    page = client.get(reverse("cooperation:recommendation-list")).content.decode()

    positions = [
        page.index(f">{name}</option>")
        for name in (
            "Ciberdefensa",
            "Intercambio de inteligencia",
            "Lucha contra el narcotráfico",
        )
    ]
    assert positions == sorted(positions)
    assert ">Cyber defense</option>" not in page


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "Scheduler"), ("es", "Planificador"), ("pt-br", "Planejador")],
)
def test_the_profile_names_the_users_roles_in_their_language(
    client, language, expected
):
    roles.sync_roles()
    user = reader(language)
    user.groups.add(Group.objects.get(name=roles.SCHEDULER))
    client.force_login(user)

    page = client.get(reverse("cooperation:profile")).content.decode()

    assert f">{expected}</span>" in page
    if language != "en":
        assert ">Scheduler</span>" not in page


def test_every_role_has_a_label_and_other_groups_keep_their_name():
    assert set(roles.LABELS) == set(roles.ALL)
    with translation.override("es"):
        assert roles.role_label(roles.VIEWER) == "Lector"
        assert roles.role_label("Auditors") == "Auditors"


def test_the_blank_choice_of_a_select_is_translated(client, areas):
    client.force_login(reader("es", is_superuser=True, username="editor-es"))

    page = client.get(reverse("cooperation:recommendation-create")).content.decode()

    assert "- Seleccione una opción -" in page
    assert "- Select an option -" not in page


def test_the_admin_speaks_spanish_where_django_leaves_it_english(
    admin_client, superuser, areas
):
    superuser.language = "es"
    superuser.save()

    page = admin_client.get(
        reverse("admin:cooperation_focusarea_changelist")
    ).content.decode()

    assert ">Ejecutar</button>" in page  # the actions' button, "Run" in Django 6.1
    assert ">Run</button>" not in page
    # The focus areas' names in each language, editable there.
    assert "Ciberdefensa" in page and "Defesa cibernética" in page


def test_the_users_roles_are_named_in_the_readers_language_in_the_admin(
    admin_client, superuser
):
    roles.sync_roles()
    superuser.language = "pt-br"
    superuser.save()

    page = admin_client.get(
        reverse("admin:cooperation_user_change", args=[superuser.pk])
    ).content.decode()

    assert ">Coordenador</option>" in page
    assert ">Coordinator</option>" not in page


# ------------------------------------------------------------ holiday names


def test_a_colombian_holiday_is_named_in_the_readers_language(colombia):
    starts_at = at(2026, 7, 20, 10, "America/Bogota")

    def warning_in(language):
        with translation.override(language):
            (message,) = holiday_messages(
                meeting_check(
                    starts_at=starts_at,
                    ends_at=starts_at + datetime.timedelta(hours=1),
                    nations=[colombia],
                )
            )
        return message

    assert warning_in("en") == (
        "July 20, 2026 is a public holiday in Colombia: Independence Day."
    )
    assert "Día de la Independencia" in warning_in("es")
    assert "20 de julio de 2026" in warning_in("es")
    assert "20 de julho de 2026" in warning_in("pt-br")
    assert "Independence Day" not in warning_in("es")


def test_a_brazilian_holiday_is_named_in_portuguese_for_a_portuguese_reader(brazil):
    starts_at = at(2026, 9, 7, 10, "America/Sao_Paulo")

    with translation.override("pt-br"):
        (message,) = holiday_messages(
            meeting_check(
                starts_at=starts_at,
                ends_at=starts_at + datetime.timedelta(hours=1),
                nations=[brazil],
            )
        )

    assert "Independência do Brasil" in message
    assert "7 de setembro de 2026" in message  # a lower-case month


def test_a_united_states_holiday_is_named_in_spanish_and_portuguese(united_states):
    # Thanksgiving, a Thursday.
    starts_at = at(2026, 11, 26, 10, "America/New_York")

    def warning_in(language):
        with translation.override(language):
            return holiday_messages(
                meeting_check(
                    starts_at=starts_at,
                    ends_at=starts_at + datetime.timedelta(hours=1),
                    nations=[united_states],
                )
            )

    assert warning_in("en") == [
        "Nov. 26, 2026 is a public holiday in United States: Thanksgiving Day."
    ]
    (spanish,) = warning_in("es")
    (portuguese,) = warning_in("pt-br")
    assert spanish.endswith("Día de Acción de Gracias.")
    assert portuguese.endswith("Dia de Ação de Graças.")


# ------------------------------------------------------------------- dates


@pytest.mark.parametrize("language", ["en", "es", "pt-br"])
def test_scheduling_warnings_show_no_iso_dates(colombia, language):
    # Two occurrences of a series on Colombian holidays, the second a Saturday.
    times = [
        (at(2026, 7, 20, 10, "America/Bogota"), at(2026, 7, 20, 11, "America/Bogota")),
        (at(2026, 8, 15, 10, "America/Bogota"), at(2026, 8, 15, 11, "America/Bogota")),
    ]
    with translation.override(language):
        checks = meeting_checks(times=times, nations=[colombia])

    messages = [warning.message for warnings in checks for warning in warnings]
    assert messages
    assert {warning.code for warnings in checks for warning in warnings} >= {"holiday"}
    assert [m for m in messages if ISO_DATE.search(m)] == []


@pytest.mark.parametrize("language", ["es", "pt-br"])
def test_history_shows_changed_dates_in_the_readers_locale(client, language):
    initiative = factories.InitiativeFactory(planned_start=datetime.date(2026, 1, 1))
    initiative.planned_start = datetime.date(2026, 3, 5)
    initiative.save()
    client.force_login(reader(language))

    page = client.get(
        reverse("cooperation:initiative-history", args=[initiative.pk])
    ).content.decode()

    assert "2026-03-05" not in visible_text(page)
    assert "2026-01-01" not in visible_text(page)
    assert {"es": "5 de marzo de 2026", "pt-br": "5 de março de 2026"}[language] in (
        page
    )


@pytest.mark.parametrize("language", ["en", "es", "pt-br"])
def test_chart_axes_show_no_iso_dates(colombia, areas, language):
    assessments = []
    for month in (1, 4, 7):
        meeting = factories.AssessmentMeetingFactory(
            starts_at=at(2026, month, 10, 10, "UTC"),
            ends_at=at(2026, month, 10, 12, "UTC"),
        )
        assessments.append(
            factories.SituationAssessmentFactory(
                meeting=meeting, nation=colombia, focus_area=areas[0]
            )
        )

    with translation.override(language):
        (chart,) = threat_charts(assessments)

    labels = [label for _x, label in chart.columns]
    assert labels
    assert [label for label in labels if ISO_DATE.search(label)] == []
    assert [p.date for p in chart.points if ISO_DATE.search(p.date)] == []


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ('{{ d|date:"F" }}', "março"),
        ('{{ d|date:"E" }}', "março"),
        ('{{ d|date:"DATE_FORMAT" }}', "5 de março de 2026"),
        ('{{ d|date:"YEAR_MONTH_FORMAT" }}', "março de 2026"),
        ('{{ d|date:"l" }}', "quinta-feira"),
        ("{% load portal_display %}{{ d|long_date }}", "5 de março de 2026"),
    ],
)
def test_portuguese_months_and_days_are_lower_case(template, expected):
    with translation.override("pt-br"):
        rendered = Template(template).render(Context({"d": datetime.date(2026, 3, 5)}))

    assert rendered == expected


# ------------------------------------------------- the language of a record


def test_a_record_raised_in_spanish_is_written_in_spanish(colombian_user, areas):
    def raise_one(title, **kwargs):
        return recommendation_create(
            acting_user=colombian_user,
            title=title,
            description="Compartir datos.",
            focus_area=areas[0],
            owner=colombian_user,
            **kwargs,
        )

    with translation.override("es"):
        spanish = raise_one("Compartir datos de interdicción")
    with translation.override("en"):
        english = raise_one("Share interdiction data")

    assert spanish.language == "es"
    assert english.language == "en"
    assert Recommendation.objects.get(pk=spanish.pk).language == "es"


def test_the_form_offers_written_in_with_the_readers_language(client, areas):
    client.force_login(
        reader("pt-br", is_superuser=True, is_staff=True, username="editor-pt")
    )

    page = client.get(reverse("cooperation:recommendation-create")).content.decode()

    assert 'name="language"' in page
    assert re.search(r'<option value="pt-br"[^>]*selected', page)


def test_the_language_tag_shows_only_when_the_record_is_in_another_language(client):
    initiative = factories.InitiativeFactory(title="Escudo andino", language="es")
    url = initiative.get_absolute_url()

    client.force_login(reader("en", username="english-reader"))
    for_english = client.get(url).content.decode()
    listing = client.get(reverse("cooperation:initiative-list")).content.decode()
    client.force_login(reader("es", username="spanish-reader"))
    for_spanish = client.get(url).content.decode()

    assert 'title="Written in Spanish"' in for_english
    assert 'lang="es">ES</span>' in for_english
    assert 'title="Written in Spanish"' in listing
    assert "written-in" not in for_spanish
    # The title keeps its language for everyone.
    for page in (for_english, for_spanish):
        assert '<span lang="es">Escudo andino</span>' in page
    assert 'lang="es">Escudo andino</a>' in listing


def test_the_language_tag_is_titled_in_the_readers_language(client):
    recommendation = factories.RecommendationFactory(language="en")
    client.force_login(reader("pt-br"))

    page = client.get(recommendation.get_absolute_url()).content.decode()

    assert 'title="Escrito em inglês"' in page
    assert 'lang="en">EN</span>' in page
    assert f'<span lang="en">{recommendation.title}</span>' in page


@pytest.mark.parametrize("language", ["es", "pt-br", "en"])
def test_records_created_through_their_services_keep_the_authors_language(
    superuser, colombia, areas, language
):
    """Each creating service records the language its author works in, on a record
    built before the author's language was known (``language`` blank)."""
    starts_at = at(2026, 9, 15, 10, "America/Bogota")
    with translation.override(language):
        plan = meeting_services.meeting_plan(
            details=meeting_services.MeetingDetails(
                title="Revisión fronteriza",
                starts_at=starts_at,
                ends_at=starts_at + datetime.timedelta(hours=2),
                time_zone="America/Bogota",
            ),
            acting_user=superuser,
        )
        (meeting,) = meeting_services.meeting_create(
            plan=plan, acting_user=superuser, released_to_all=True
        )
        assessment = assessment_services.assessment_save(
            assessment=SituationAssessment(
                meeting=meeting,
                nation=colombia,
                focus_area=areas[0],
                primary_concern="Cocaína",
                trend=SituationAssessment.Trend.STABLE,
                threat_level=SituationAssessment.ThreatLevel.HIGH,
                summary="Producción estable.",
                language="",
            ),
            acting_user=superuser,
        )
        initiative = initiative_services.initiative_create(
            initiative=Initiative(
                title="Patrullas del Pacífico",
                kind=Initiative.Kind.JOINT_TASK_FORCE,
                summary="Patrullas conjuntas.",
                owner=superuser,
                language="",
            ),
            acting_user=superuser,
            participations=[
                initiative_services.ParticipationRow(colombia, Participation.Role.LEAD)
            ],
            released_to_all=True,
        )
        recommendation = recommendation_create(
            acting_user=superuser,
            title="Compartir datos de radar",
            description="En 24 horas.",
            focus_area=areas[0],
            owner=superuser,
        )

    for record in (meeting, assessment, initiative, recommendation):
        assert type(record).objects.get(pk=record.pk).language == language, record


@pytest.fixture
def spanish_editor(colombia):
    """A coordinator who works in Spanish (the portal's language is the one of
    their profile)."""
    return reader(
        "es", username="editor-es", nation=colombia, is_staff=True, is_superuser=True
    )


def test_a_recommendation_raised_on_the_page_in_spanish_is_written_in_spanish(
    client, spanish_editor, colombia, areas
):
    client.force_login(spanish_editor)
    assert not Recommendation.objects.exists()

    response = client.post(
        reverse("cooperation:recommendation-create"),
        {
            # No "Written in": the author's language.
            "title": "Compartir trazas de radar",
            "description": "Dentro de las 24 horas.",
            "source_note": "Cumbre regional",
            "focus_area": areas[0].pk,
            "owner": spanish_editor.pk,
            "priority": Recommendation.Priority.HIGH,
            "due_date": f"{timezone.localdate() + datetime.timedelta(days=60)}",
            "nations": [colombia.pk],
            "release-released_to_all": "on",
        },
    )

    assert response.status_code == 302, response.context["form"].errors
    assert response["Content-Language"] == "es"
    assert Recommendation.objects.get().language == "es"


def test_the_calendar_marks_a_meeting_title_with_its_language(client):
    starts_at = at(2026, 9, 15, 14, "UTC")
    spanish = factories.AssessmentMeetingFactory(
        title="Revisión fronteriza",
        language="es",
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=2),
        time_zone="UTC",
    )
    factories.AssessmentMeetingFactory(
        title="Harbour review",
        language="en",
        starts_at=starts_at + datetime.timedelta(days=1),
        ends_at=starts_at + datetime.timedelta(days=1, hours=2),
        time_zone="UTC",
    )
    url = reverse("cooperation:calendar") + "?month=2026-09"

    client.force_login(reader("en", username="english-reader"))
    for_english = client.get(url).content.decode()
    client.force_login(reader("es", username="spanish-reader"))
    for_spanish = client.get(url).content.decode()

    link = f'<a href="{spanish.get_absolute_url()}" lang="es">Revisión fronteriza</a>'
    badge = '<span aria-hidden="true" lang="es">ES</span>'
    assert link + '<span class="badge' in for_english
    assert badge in for_english
    assert for_english.count('title="Written in Spanish"') == 1
    assert 'lang="en">Harbour review</a>' in for_english
    # The Spanish reader sees the title marked the same, without the badge, and
    # the English meeting's.
    assert link in for_spanish
    assert badge not in for_spanish
    assert 'lang="en">Harbour review</a><span class="badge' in for_spanish
    assert 'title="Escrito en inglés"' in for_spanish


@pytest.fixture
def spanish_records(colombia, areas):
    """One record of each kind written in Spanish that mentions "interdicción",
    and a document (whose title keeps no language) of the meeting."""
    meeting = factories.AssessmentMeetingFactory(
        title="Revisión de interdicción", language="es"
    )
    records = {
        "initiative": factories.InitiativeFactory(
            title="Fuerza de interdicción marítima", language="es"
        ),
        "meeting": meeting,
        "assessment": factories.SituationAssessmentFactory(
            meeting=meeting,
            nation=colombia,
            focus_area=areas[0],
            primary_concern="Interdicción en el mar",
            summary="Más interdicción en el mar.",
            language="es",
        ),
        "recommendation": factories.RecommendationFactory(
            reference="REC-2026-0007",
            title="Datos de interdicción",
            description="Compartir en 24 horas.",
            language="es",
        ),
    }
    Document.objects.create(
        meeting=meeting,
        title="Interdicción 2026",
        uploaded_by=factories.UserFactory(username="uploader"),
    )
    return records


def test_search_results_mark_each_title_with_its_records_language(
    client, spanish_records
):
    client.force_login(reader("en", username="english-reader"))

    response = client.get(reverse("cooperation:search"), {"q": "interdiccion"})
    page = response.content.decode()

    assert response.status_code == 200
    badge = '<span aria-hidden="true" lang="es">ES</span>'
    for title in (
        "Fuerza de <mark>interdicción</mark> marítima",
        "Revisión de <mark>interdicción</mark>",
        "<mark>Interdicción</mark> en el mar",
        "Datos de <mark>interdicción</mark>",
    ):
        assert f'<span lang="es">{title}</span></a><span class="badge' in page, title
    assert page.count(badge) == 4  # not on the document, whose title has none
    # What the portal's catalogue names stays out of the record's language.
    assert 'Counter-narcotics: <span lang="es">' in page
    assert 'REC-2026-0007 <span lang="es">' in page
    # The snippet and the title of another record, each in its language.
    assert '<div class="small text-body-secondary search-snippet" lang="es">' in page
    assert "<mark>Interdicción</mark> 2026</a>" in page
    assert '<span lang="es">Revisión de interdicción</span>' in page


def test_search_results_show_no_badge_in_the_readers_own_language(
    client, spanish_records
):
    client.force_login(reader("es", username="spanish-reader"))

    page = client.get(
        reverse("cooperation:search"), {"q": "interdiccion"}
    ).content.decode()

    assert '<span lang="es">Datos de <mark>interdicción</mark></span>' in page
    assert "written-in" not in page


# ------------------------------------------------------------------ the crawl


class _Text(HTMLParser):
    """The text a reader sees or hears on a page: text nodes outside scripts and
    styles, and the attributes read aloud, leaving out what is marked as written in
    another language (``lang``) than ``page_language``."""

    SKIP = {"script", "style", "template"}
    VOID = {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "source", "track", "wbr",
    }  # fmt: skip
    READ = ("title", "aria-label", "placeholder", "alt")

    def __init__(self, page_language):
        super().__init__()
        self.page_language = page_language.lower()
        self.stack = []  # (tag, skipped)
        self.texts = []

    def _skipped(self):
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        lang = (attrs.get("lang") or "").lower()
        skipped = (
            self._skipped()
            or tag in self.SKIP
            or (tag != "html" and lang and lang != self.page_language)
        )
        if not skipped:
            self.texts.extend(
                attrs[name].strip() for name in self.READ if attrs.get(name)
            )
        if tag not in self.VOID:
            self.stack.append((tag, skipped))

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data):
        if not self._skipped() and data.strip():
            self.texts.append(" ".join(data.split()))


def visible_texts(html, page_language="en"):
    parser = _Text(page_language)
    parser.feed(html)
    return parser.texts


def visible_text(html):
    return "\n".join(visible_texts(html))


def english_texts(language):
    """What would betray an untranslated page in ``language``: the English msgids
    of the portal's catalogue the catalogue translates otherwise (never one that
    is also a translation of another entry), and the English names of the focus
    areas and roles."""
    path = Path(settings.BASE_DIR) / "locale" / CATALOGUES[language] / "LC_MESSAGES"
    catalogue = polib.pofile(str(path / "django.po"))
    translated = set()
    english = set()
    for entry in catalogue.translated_entries():
        if entry.msgid_plural:
            forms = list(entry.msgstr_plural.values())
            pairs = [(entry.msgid, forms[0]), (entry.msgid_plural, forms[-1])]
        else:
            pairs = [(entry.msgid, entry.msgstr)]
        for msgid, msgstr in pairs:
            translated.add(msgstr.strip())
            if msgstr.strip() != msgid.strip() and "%" not in msgid:
                english.add(msgid.strip())
    english -= translated
    for spec in demo_data.FOCUS_AREAS:
        if getattr(spec, "name_" + language.replace("-", "_")) != spec.name:
            english.add(spec.name)
    with translation.override(language):
        english.update(name for name in roles.ALL if roles.role_label(name) != name)
    return english


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.in_nav = 0
        self.nav_links = []
        self.links = []

    def handle_starttag(self, tag, attrs):
        if tag == "nav":
            self.in_nav += 1
        href = dict(attrs).get("href") if tag == "a" else None
        if href and href.startswith("/") and not href.startswith("//"):
            self.links.append(href)
            if self.in_nav:
                self.nav_links.append(href)

    def handle_endtag(self, tag):
        if tag == "nav" and self.in_nav:
            self.in_nav -= 1


def _links(html):
    parser = _Links()
    parser.feed(html)
    return parser


def _url_name(url):
    try:
        return resolve(urlsplit(url).path).url_name
    except Resolver404:
        return None


def pages_to_read(client):
    """Every page the navigation links to (the admin, Django's own, left out) and
    the first detail page each of them links to, of each kind."""
    start = client.get("/", follow=True)
    navigation = ["/"] + [
        url
        for url in _links(start.content.decode()).nav_links
        if not url.startswith("/admin/") and not url.startswith("/accounts/logout")
    ]
    pages = {}
    for url in navigation:
        response = client.get(url)
        if response.status_code != 200 or "html" not in response["Content-Type"]:
            continue
        pages[url] = response.content.decode()
    details = {}
    for html in list(pages.values()):
        for url in _links(html).links:
            name = _url_name(url)
            if name and name.endswith("-detail") and name not in details:
                details[name] = url
    for url in details.values():
        response = client.get(url)
        if response.status_code == 200:
            pages[url] = response.content.decode()
    return pages


def untranslated(pages, language):
    english = english_texts(language)
    return {
        url: sorted({text for text in visible_texts(html, language) if text in english})
        for url, html in pages.items()
        if any(text in english for text in visible_texts(html, language))
    }


def test_the_crawl_finds_english_text_where_there_is_some():
    """The check below can fail: an English text node of the catalogue is caught,
    the same text marked as written in English is not."""
    english = english_texts("es")
    assert "Initiatives" in english and "Counter-narcotics" in english
    html = (
        '<html lang="es"><body><nav><a href="/">Initiatives</a></nav>'
        '<p lang="en">Counter-narcotics</p><p>Iniciativas</p></body></html>'
    )

    assert untranslated({"/": html}, "es") == {"/": ["Initiatives"]}


@pytest.fixture
def demo(db):
    call_command("seed_demo", "--with-demo-accounts", stdout=io.StringIO())


@pytest.mark.parametrize(
    ("username", "language"),
    [(demo_data.COLOMBIA, "es"), (demo_data.BRAZIL, "pt-br")],
)
def test_no_english_text_on_any_page_for_a_spanish_or_portuguese_reader(
    client, demo, username, language
):
    assert client.login(username=username, password="demo-pass-2026")

    pages = pages_to_read(client)

    names = {_url_name(url) for url in pages}
    assert {
        "dashboard",
        "initiative-list",
        "meeting-list",
        "recommendation-list",
        "nation-list",
        "profile",
        "initiative-detail",
        "meeting-detail",
        "recommendation-detail",
        "nation-detail",
    } <= names, names
    for html in pages.values():
        assert f'<html lang="{language}"' in html
    assert untranslated(pages, language) == {}
