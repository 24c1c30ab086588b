"""Choosers that do not grow (issue 11): the lookup endpoints and the autocomplete
widgets of the forms and list filters.

A chooser over users, initiatives, meetings or recommendations renders only its chosen
option(s); the browser searches ``lookups/<kind>/`` for the rest. The endpoints answer
only what is released to the user, at most 20 rows, with one query; the forms still
refuse a forged or withheld id.
"""

import copy
import datetime
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cooperation.forms.recommendations import RecommendationForm
from cooperation.models import (
    AgendaItem,
    AssessmentMeeting,
    Initiative,
    InitiativeEvaluation,
    Participation,
    Recommendation,
    User,
)
from cooperation.views.lookups import MAX_RESULTS
from cooperation.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from tests import factories, sweep

pytestmark = pytest.mark.django_db

KINDS = ["users", "initiatives", "meetings", "recommendations"]
RELEASABLE_KINDS = ["initiatives", "meetings", "recommendations"]
EDIT_PERMISSIONS = [
    "add_initiative",
    "change_initiative",
    "add_assessmentmeeting",
    "change_assessmentmeeting",
    "add_initiativeevaluation",
    "change_initiativeevaluation",
    "add_recommendation",
    "change_recommendation",
]
# Fixed lists that do not grow with the data: the time-zone database.
FIXED_SELECTS = {"time_zone"}
MANY = 300


def lookup_url(kind):
    return reverse(f"cooperation:lookup-{kind}")


def results(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()["results"]


def texts(response):
    return [row["text"] for row in results(response)]


class Selects(HTMLParser):
    """The options of every <select> of a page: {name: [(value, label, selected)]}."""

    def __init__(self, html):
        super().__init__()
        self.selects = {}
        self.attrs = {}
        self._select = None
        self._option = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "select":
            self._select = attrs.get("name")
            self.selects.setdefault(self._select, [])
            self.attrs[self._select] = attrs
        elif tag == "option":
            self._option = [attrs.get("value"), "", "selected" in attrs]
            self.selects.setdefault(self._select, []).append(self._option)

    def handle_data(self, data):
        if self._option is not None:
            self._option[1] += data

    def handle_endtag(self, tag):
        if tag == "option":
            self._option = None
        elif tag == "select":
            self._select = None

    def chosen(self, name):
        return [
            (value, label) for value, label, selected in self.selects[name] if selected
        ]

    def growing_options(self):
        """Options outside the fixed lists (what would grow with the data)."""
        return sum(
            len(options)
            for name, options in self.selects.items()
            if name not in FIXED_SELECTS
        )


def grant(user, *codenames):
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def world(db):
    return sweep.add_withheld(sweep.build_world())


@pytest.fixture
def editor(colombian_user):
    colombian_user.first_name, colombian_user.last_name = "Camila", "Restrepo"
    colombian_user.save()
    return grant(colombian_user, *EDIT_PERMISSIONS)


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def grow(count, nation):
    """``count`` more users, initiatives and meetings, all a chooser could offer."""
    owner = factories.UserFactory(nation=nation)
    User.objects.bulk_create(
        User(
            username=f"bulk-{index:04d}",
            first_name=f"Bulk{index:04d}",
            last_name="Person",
            nation=nation,
        )
        for index in range(count)
    )
    Initiative.objects.bulk_create(
        factories.InitiativeFactory.build_batch(count, owner=owner)
    )
    AssessmentMeeting.objects.bulk_create(
        factories.AssessmentMeetingFactory.build_batch(count)
    )


# ------------------------------------------------------------------ the endpoints


@pytest.mark.parametrize("kind", RELEASABLE_KINDS)
def test_lookup_never_offers_a_record_withheld_from_the_user(client, world, kind):
    withheld = world.withheld[kind.removesuffix("s")]
    client.force_login(world.brazilian)
    for query in ("", "withheld", "WITHHELD-from-Brazil", str(withheld)):
        offered = results(client.get(lookup_url(kind), {"q": query}))
        assert withheld.pk not in [row["id"] for row in offered], query
        assert not any("WITHHELD" in row["text"] for row in offered), query
    assert texts(client.get(lookup_url(kind), {"q": "open"}))  # the visible ones

    # The Colombian user, to whom it is released, finds it.
    client.force_login(world.colombian)
    offered = results(client.get(lookup_url(kind), {"q": "withheld"}))
    assert withheld.pk in [row["id"] for row in offered]


def test_recommendation_lookup_matches_the_reference_or_the_title(client, world):
    client.force_login(world.colombian)
    assert texts(client.get(lookup_url("recommendations"), {"q": "2026-0666"})) == [
        "REC-2026-0666 WITHHELD-from-Brazil recommendation"
    ]
    assert texts(client.get(lookup_url("recommendations"), {"q": "open recomm"})) == [
        "REC-2026-0001 Open recommendation"
    ]


def test_user_lookup_finds_active_people_by_each_word_of_name_or_username(
    client, colombia, brazil
):
    ana = factories.UserFactory(
        username="arestrepo", first_name="Ana", last_name="Restrepo", nation=colombia
    )
    factories.UserFactory(
        username="asilva", first_name="Ana", last_name="Silva", nation=brazil
    )
    factories.UserFactory(
        username="gone", first_name="Ana", last_name="Rest", is_active=False
    )
    nobody = factories.UserFactory(username="solo", first_name="", last_name="")
    client.force_login(nobody)

    assert texts(client.get(lookup_url("users"), {"q": "ana"})) == [
        "Ana Restrepo (Colombia)",
        "Ana Silva (Brazil)",
    ]
    assert results(client.get(lookup_url("users"), {"q": "  ana   REST "})) == [
        {"id": ana.pk, "text": "Ana Restrepo (Colombia)"}
    ]
    assert texts(client.get(lookup_url("users"), {"q": "arestrepo"})) == [
        "Ana Restrepo (Colombia)"
    ]
    # A person without a nation is named alone; an inactive one is never offered.
    assert texts(client.get(lookup_url("users"), {"q": "solo"})) == ["solo"]
    assert texts(client.get(lookup_url("users"), {"q": "gone"})) == []


@pytest.mark.parametrize("kind", KINDS)
def test_lookup_answers_at_most_20_rows_in_a_stable_order(client, colombia, kind):
    reader = factories.UserFactory(nation=colombia)
    for index in range(MAX_RESULTS + 5):
        name = f"Match {index:02d}"
        if kind == "users":
            factories.UserFactory(first_name="Match", last_name=f"{index:02d}")
        elif kind == "initiatives":
            factories.InitiativeFactory(title=name)
        elif kind == "meetings":
            factories.AssessmentMeetingFactory(
                title=name,
                starts_at=timezone.now() + datetime.timedelta(days=index),
            )
        else:
            factories.RecommendationFactory(
                reference=f"REC-2026-{index:04d}", title=name
            )
    client.force_login(reader)

    found = texts(client.get(lookup_url(kind), {"q": "match"}))

    assert len(found) == MAX_RESULTS
    expected = {
        "users": [f"Match {i:02d}" for i in range(MAX_RESULTS)],
        "initiatives": [f"Match {i:02d}" for i in range(MAX_RESULTS)],
        # The latest meetings and recommendations first.
        "meetings": [f"Match {i:02d}" for i in range(24, 4, -1)],
        "recommendations": [
            f"REC-2026-{i:04d} Match {i:02d}" for i in range(24, 4, -1)
        ],
    }[kind]
    assert found == expected


# Session, user, then the search; releasable kinds also read the user's
# permissions (two queries) to know whether they see all records.
LOOKUP_QUERIES = {"users": 3, "initiatives": 5, "meetings": 5, "recommendations": 5}


@pytest.mark.parametrize("kind", KINDS)
def test_lookup_runs_the_same_few_queries_whatever_the_table_holds(
    client, world, kind, django_assert_num_queries
):
    client.force_login(world.brazilian)
    with django_assert_num_queries(LOOKUP_QUERIES[kind]):
        results(client.get(lookup_url(kind), {"q": "o"}))
    cache.clear()  # the permissions are read again, as on the first request
    grow(MANY, world.brazil)
    focus_area = factories.FocusAreaFactory()
    Recommendation.objects.bulk_create(
        factories.RecommendationFactory.build_batch(
            MANY, owner=world.brazilian, focus_area=focus_area
        )
    )
    with django_assert_num_queries(LOOKUP_QUERIES[kind]):
        assert len(results(client.get(lookup_url(kind), {"q": ""}))) == MAX_RESULTS


@pytest.mark.parametrize("kind", KINDS)
def test_lookup_refuses_a_term_no_person_types(client, colombian_user, kind):
    client.force_login(colombian_user)
    response = client.get(lookup_url(kind), {"q": "x" * 101})
    assert response.status_code == 400
    assert response.json()["results"] == []
    assert client.get(lookup_url(kind), {"q": "nul\x00byte"}).status_code == 400
    assert client.get(lookup_url(kind), {"q": "x" * 100}).status_code == 200


@pytest.mark.parametrize("kind", KINDS)
def test_lookup_needs_a_signed_in_user_and_answers_get_only(
    client, colombian_user, kind
):
    response = client.get(lookup_url(kind), {"q": "a"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))

    client.force_login(colombian_user)
    assert client.post(lookup_url(kind), {"q": "a"}).status_code == 405
    assert client.get(lookup_url(kind)).status_code == 200  # no term: the first 20


def test_lookup_answers_are_never_cached_by_the_browser(client, colombian_user):
    client.force_login(colombian_user)
    response = client.get(lookup_url("initiatives"), {"q": "a"})
    assert "no-store" in response["Cache-Control"]


# ---------------------------------------------------------------- the widgets


def test_widget_renders_only_the_chosen_option_with_its_search_attributes(
    editor, colombia
):
    initiative = factories.InitiativeFactory(title="Radar sharing")
    factories.InitiativeFactory.create_batch(5)
    form = RecommendationForm(
        initial={"initiative": initiative.pk, "owner": editor.pk}, user=editor
    )

    page = Selects(str(form["initiative"]) + str(form["owner"]))

    empty = str(form.fields["initiative"].empty_label)
    assert page.selects["initiative"] == [
        ["", empty, False],
        [str(initiative.pk), "Radar sharing", True],
    ]
    assert page.selects["owner"] == [
        ["", empty, False],
        [str(editor.pk), "Camila Restrepo (Colombia)", True],
    ]
    attrs = page.attrs["initiative"]
    assert attrs["data-autocomplete-url"] == lookup_url("initiatives")
    assert attrs["data-placeholder"] == "Type to search"
    assert attrs["data-no-results"] == "Nothing matches."
    assert page.attrs["owner"]["data-autocomplete-url"] == lookup_url("users")


def test_widget_never_labels_a_posted_id_its_field_would_refuse(editor, brazil):
    secret = factories.InitiativeFactory(
        title="Brazilian eyes only", released_to_all=False, released_to=[brazil]
    )
    form = RecommendationForm(
        {"initiative": str(secret.pk), "owner": "not-a-number"}, user=editor
    )

    assert "initiative" in form.errors and "owner" in form.errors
    html = str(form["initiative"]) + str(form["owner"])
    assert "Brazilian eyes only" not in html
    assert Selects(html).chosen("initiative") == []


def test_widget_copies_do_not_share_the_labels_they_learned():
    widget = AutocompleteSelect("cooperation:lookup-initiatives")
    first, second = copy.deepcopy(widget), copy.deepcopy(widget)
    first.remember([(1, "One")])
    assert second.known_labels == {} and widget.known_labels == {}
    assert isinstance(
        copy.deepcopy(AutocompleteSelectMultiple("cooperation:lookup-users")),
        AutocompleteSelectMultiple,
    )


# ------------------------------------------- pages stay bounded as the tables grow


def _page(client, url, params=None):
    cache.clear()  # as cold as the first request: permissions and counts read
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200, url
    return Selects(response.content.decode()), len(queries)


@pytest.fixture
def records(editor, colombia):
    """One of each record the editor's forms are opened on."""
    meeting = factories.AssessmentMeetingFactory(title="Andean review", chair=editor)
    attendee = factories.UserFactory(
        first_name="Rafael", last_name="Oliveira", nation=colombia
    )
    meeting.attendees.set([editor, attendee])
    for position in range(3):
        AgendaItem.objects.create(
            meeting=meeting,
            position=position + 1,
            title=f"Item {position}",
            presenter=attendee,
        )
    initiative = factories.InitiativeFactory(title="Radar sharing", owner=attendee)
    recommendation = factories.RecommendationFactory(
        owner=attendee,
        initiative=initiative,
        source_meeting=meeting,
    )
    evaluation = factories.InitiativeEvaluationFactory(
        meeting=meeting, initiative=initiative
    )
    return {
        "meeting": meeting,
        "attendee": attendee,
        "initiative": initiative,
        "recommendation": recommendation,
        "evaluation": evaluation,
    }


def _pages(records):
    meeting, initiative = records["meeting"], records["initiative"]
    recommendation, evaluation = records["recommendation"], records["evaluation"]
    return {
        "initiative-create": (reverse("cooperation:initiative-create"), None),
        "initiative-edit": (
            reverse("cooperation:initiative-edit", args=[initiative.pk]),
            None,
        ),
        "meeting-create": (reverse("cooperation:meeting-create"), None),
        "meeting-edit": (reverse("cooperation:meeting-edit", args=[meeting.pk]), None),
        "evaluation-create": (
            reverse("cooperation:evaluation-create", args=[meeting.pk]),
            None,
        ),
        "evaluation-edit": (
            reverse("cooperation:evaluation-edit", args=[meeting.pk, evaluation.pk]),
            None,
        ),
        "recommendation-create": (reverse("cooperation:recommendation-create"), None),
        "meeting-recommendation-create": (
            reverse("cooperation:meeting-recommendation-create", args=[meeting.pk]),
            None,
        ),
        "recommendation-edit": (
            reverse("cooperation:recommendation-edit", args=[recommendation.reference]),
            None,
        ),
        "find-a-time": (
            reverse("cooperation:meeting-find-time"),
            {"attendees": [str(records["attendee"].pk)]},
        ),
        "recommendation-list": (reverse("cooperation:recommendation-list"), None),
        "recommendation-list-filtered": (
            reverse("cooperation:recommendation-list"),
            {"initiative": initiative.pk, "source_meeting": meeting.pk},
        ),
    }


PAGES = [
    "initiative-create",
    "initiative-edit",
    "meeting-create",
    "meeting-edit",
    "evaluation-create",
    "evaluation-edit",
    "recommendation-create",
    "meeting-recommendation-create",
    "recommendation-edit",
    "find-a-time",
    "recommendation-list",
    "recommendation-list-filtered",
]


@pytest.mark.parametrize("name", PAGES)
def test_form_page_renders_the_same_few_options_and_queries_with_300_more_rows(
    editor_client, records, colombia, name
):
    url, params = _pages(records)[name]
    few, few_queries = _page(editor_client, url, params)

    grow(MANY, colombia)
    many, many_queries = _page(editor_client, url, params)

    assert many.growing_options() == few.growing_options() < 60
    assert {n: len(o) for n, o in many.selects.items()} == {
        n: len(o) for n, o in few.selects.items()
    }
    assert many_queries == few_queries


def test_edit_pages_show_the_chosen_people_and_records(editor_client, editor, records):
    attendee, initiative = records["attendee"], records["initiative"]
    pages = _pages(records)
    person = (str(attendee.pk), "Rafael Oliveira (Colombia)")
    me = (str(editor.pk), "Camila Restrepo (Colombia)")

    page, _ = _page(editor_client, pages["initiative-edit"][0])
    assert page.chosen("owner") == [person]

    page, _ = _page(editor_client, pages["meeting-edit"][0])
    assert page.chosen("chair") == [me]
    assert sorted(page.chosen("attendees")) == sorted([me, person])
    for index in range(3):
        assert page.chosen(f"agenda-{index}-presenter") == [person]
    assert [value for value, _ in page.chosen("agenda-3-presenter")] == [""]
    assert page.attrs["attendees"]["data-autocomplete-url"] == lookup_url("users")
    assert "multiple" in page.attrs["attendees"]

    page, _ = _page(editor_client, pages["recommendation-edit"][0])
    assert page.chosen("owner") == [person]
    assert page.chosen("initiative") == [(str(initiative.pk), "Radar sharing")]

    page, _ = _page(editor_client, pages["evaluation-edit"][0])
    assert page.chosen("initiative") == [(str(initiative.pk), "Radar sharing")]

    page, _ = _page(editor_client, *pages["recommendation-list-filtered"])
    assert page.chosen("initiative") == [(str(initiative.pk), "Radar sharing")]
    assert page.chosen("source_meeting") == [
        (str(records["meeting"].pk), "Andean review")
    ]
    assert page.chosen("focus_area") == [("", "Any")]

    page, _ = _page(editor_client, *pages["find-a-time"])
    assert page.chosen("attendees") == [person]

    page, _ = _page(editor_client, pages["recommendation-create"][0])
    assert page.chosen("owner") == [me]  # you, unless you choose
    assert [value for value, label in page.chosen("source_meeting")] == [""]


# ------------------------------------------------- posting a chosen or forged id


def _recommendation_data(focus_area, **overrides):
    return {
        "title": "Share radar tracks",
        "description": "Within 24 hours of detection.",
        "focus_area": focus_area.pk,
        "priority": "3",
        "due_date": (timezone.localdate() + datetime.timedelta(days=60)).isoformat(),
        "source_note": "Regional summit",
        **overrides,
    }


def test_recommendation_saves_the_chosen_owner_initiative_and_meeting(
    editor_client, records
):
    focus_area = factories.FocusAreaFactory()
    meeting, initiative = records["meeting"], records["initiative"]
    meeting.starts_at = timezone.now() - datetime.timedelta(days=1)
    meeting.ends_at = meeting.starts_at + datetime.timedelta(hours=1)
    meeting.save()
    before = Recommendation.objects.count()

    response = editor_client.post(
        reverse("cooperation:recommendation-create"),
        _recommendation_data(
            focus_area,
            owner=records["attendee"].pk,
            initiative=initiative.pk,
            source_meeting=meeting.pk,
        ),
    )

    assert response.status_code == 302, response.context["form"].errors
    assert Recommendation.objects.count() == before + 1
    saved = Recommendation.objects.latest("pk")
    assert (saved.owner, saved.initiative, saved.source_meeting) == (
        records["attendee"],
        initiative,
        meeting,
    )


@pytest.mark.parametrize(
    ("field", "withheld_kind"),
    [("initiative", "initiative"), ("source_meeting", "meeting"), ("owner", "user")],
)
def test_recommendation_refuses_a_forged_withheld_or_inactive_id(
    editor_client, editor, brazil, field, withheld_kind
):
    focus_area = factories.FocusAreaFactory()
    forged = {
        "initiative": lambda: factories.InitiativeFactory(
            title="Brazilian eyes only", released_to_all=False, released_to=[brazil]
        ),
        "meeting": lambda: factories.AssessmentMeetingFactory(
            title="Brazilian eyes only", released_to_all=False, released_to=[brazil]
        ),
        "user": lambda: factories.UserFactory(
            first_name="Brazilian", last_name="eyes only", is_active=False
        ),
    }[withheld_kind]()
    data = _recommendation_data(focus_area, owner=editor.pk)
    data[field] = forged.pk
    before = Recommendation.objects.count()

    response = editor_client.post(reverse("cooperation:recommendation-create"), data)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "Select a valid choice" in errors[field][0]
    assert Recommendation.objects.count() == before
    assert "Brazilian eyes only" not in response.content.decode()


def test_evaluation_saves_a_chosen_initiative_and_refuses_a_withheld_one(
    editor_client, brazil
):
    meeting = factories.AssessmentMeetingFactory()
    initiative = factories.InitiativeFactory(title="Riverine patrols")
    secret = factories.InitiativeFactory(
        title="Brazilian eyes only", released_to_all=False, released_to=[brazil]
    )
    url = reverse("cooperation:evaluation-create", args=[meeting.pk])

    response = editor_client.post(
        url, {"initiative": str(secret.pk), "rating": "on_track", "findings": "Fine."}
    )
    assert "initiative" in response.context["form"].errors
    assert "Brazilian eyes only" not in response.content.decode()
    assert not InitiativeEvaluation.objects.exists()

    response = editor_client.post(
        url,
        {"initiative": str(initiative.pk), "rating": "on_track", "findings": "Fine."},
    )
    assert response.status_code == 302
    assert InitiativeEvaluation.objects.get().initiative == initiative


def test_meeting_saves_the_chosen_chair_attendees_and_presenter(
    editor_client, editor, colombia
):
    attendee = factories.UserFactory(nation=colombia)
    retired = factories.UserFactory(nation=colombia, is_active=False)
    data = {
        "title": "Andean situation assessment",
        "status": "scheduled",
        "time_zone": "America/Bogota",
        "starts_at": "2026-07-15T09:00",
        "ends_at": "2026-07-15T11:00",
        "location": "Bogotá",
        "online_url": "",
        "chair": str(editor.pk),
        "attendees": [str(editor.pk), str(attendee.pk)],
        "agenda-TOTAL_FORMS": "1",
        "agenda-INITIAL_FORMS": "0",
        "agenda-MIN_NUM_FORMS": "0",
        "agenda-MAX_NUM_FORMS": "100",
        "agenda-0-title": "Opening",
        "agenda-0-presenter": str(attendee.pk),
        "agenda-0-duration_minutes": "15",
        "agenda-0-ORDER": "1",
    }
    url = reverse("cooperation:meeting-create")

    refused = editor_client.post(
        url, {**data, "attendees": [str(attendee.pk), str(retired.pk)]}
    )
    assert "attendees" in refused.context["form"].errors
    assert not AssessmentMeeting.objects.exists()
    # The valid choice is shown again, the refused one is not.
    assert Selects(refused.content.decode()).chosen("attendees") == [
        (str(attendee.pk), f"{attendee} (Colombia)")
    ]

    response = editor_client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    meeting = AssessmentMeeting.objects.get()
    assert meeting.chair == editor
    assert set(meeting.attendees.all()) == {editor, attendee}
    assert meeting.agenda_items.get().presenter == attendee


def test_initiative_saves_the_chosen_owner_and_refuses_an_inactive_one(
    editor_client, editor, colombia
):
    owner = factories.UserFactory(nation=colombia)
    retired = factories.UserFactory(nation=colombia, is_active=False)
    initiative = factories.InitiativeFactory(owner=editor)
    factories.ParticipationFactory(
        initiative=initiative, nation=colombia, role=Participation.Role.LEAD
    )
    url = reverse("cooperation:initiative-edit", args=[initiative.pk])
    page = editor_client.get(url)
    data = {
        key: value
        for key, value in _rendered(page.content.decode()).items()
        if not key.startswith("release-")
    }

    refused = editor_client.post(url, {**data, "owner": str(retired.pk)})
    assert "owner" in refused.context["form"].errors

    response = editor_client.post(url, {**data, "owner": str(owner.pk)})
    assert response.status_code == 302, (
        response.context["form"].errors,
        response.context["formset"].errors,
        response.context["formset"].non_form_errors(),
    )
    initiative.refresh_from_db()
    assert initiative.owner == owner


class _Fields(HTMLParser):
    """The values a browser posts for a page's form, as rendered (the forms in
    ``<main>``: not the navigation bar's language and search forms)."""

    def __init__(self, html):
        super().__init__()
        self.data = {}
        self._select = None
        self._textarea = None
        self._in_main = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "main":
            self._in_main = True
        if not self._in_main:
            return
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button"):
            if attrs.get("type") in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.data.setdefault(name, []).append(attrs.get("value", "on"))
            else:
                self.data[name] = attrs.get("value", "")
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.data.setdefault(self._select, []).append(attrs.get("value", ""))
        elif tag == "textarea":
            self._textarea = name
            self.data[name] = ""

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "main":
            self._in_main = False
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _rendered(html):
    return _Fields(html).data


def test_find_a_time_checks_the_chosen_attendees_without_listing_everyone(
    editor_client, colombia
):
    person = factories.UserFactory(nation=colombia)
    retired = factories.UserFactory(nation=colombia, is_active=False)
    url = reverse("cooperation:meeting-find-time")

    response = editor_client.get(url, {"attendees": [str(retired.pk)]})
    assert "attendees" in response.context["form"].errors

    response = editor_client.get(url, {"attendees": [str(person.pk)]})
    assert "attendees" not in response.context["form"].errors
    assert list(response.context["form"].cleaned_data["attendees"]) == [person]
