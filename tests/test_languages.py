"""Choosing a language: the profile, the navigation bar, else the browser's
Accept-Language; nation names, dates and numbers follow it; so do e-mails."""

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext

from cooperation.models import Nation
from cooperation.services import invitations
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def restore_the_active_language():
    """Requests here activate Spanish or Portuguese for their user (the preferences
    middleware does not deactivate it after the response); give the next test, in
    any file, the language it started with."""
    with translation.override(translation.get_language()):
        yield


def t(language, message):
    with translation.override(language):
        return gettext(message)


def html_lang(response):
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [("es-CO,es;q=0.9", "es"), ("pt-BR,pt;q=0.9,en;q=0.5", "pt-br"), ("de", "en")],
)
def test_login_page_follows_the_browsers_accept_language(client, accept, expected):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE=accept)

    assert response.status_code == 200
    assert html_lang(response) == expected
    assert response.headers["Content-Language"] == expected
    assert t(expected, "Log in") in response.content.decode()


def test_user_without_a_preference_gets_the_browsers_language(client, colombia):
    user = factories.UserFactory(nation=colombia, language="")
    client.force_login(user)

    response = client.get(reverse("cooperation:nation-list"), HTTP_ACCEPT_LANGUAGE="es")

    assert html_lang(response) == "es"
    assert t("es", "Nations") != "Nations"
    assert t("es", "Nations") in response.content.decode()


def test_profile_language_wins_over_the_browsers(client, colombia):
    user = factories.UserFactory(nation=colombia, language="pt-br")
    client.force_login(user)

    response = client.get(reverse("cooperation:dashboard"), HTTP_ACCEPT_LANGUAGE="es")

    assert html_lang(response) == "pt-br"


def test_profile_offers_to_follow_the_browser_and_saves_it(client, colombia):
    user = factories.UserFactory(nation=colombia, language="es")
    client.force_login(user)

    response = client.post(
        reverse("cooperation:profile"),
        # The current address: changing it would ask for the password.
        {"time_zone": "America/Bogota", "language": "", "email": user.email},
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.language == ""
    after = client.get(reverse("cooperation:dashboard"), HTTP_ACCEPT_LANGUAGE="en")
    assert html_lang(after) == "en"


def test_navigation_bar_switch_changes_the_page_language(client, colombia):
    user = factories.UserFactory(nation=colombia, language="en")
    client.force_login(user)
    page = client.get(reverse("cooperation:nation-list")).content.decode()
    # The bar offers every language, each in its own name.
    for label in ("English", "español", "Português Brasileiro"):
        assert label.lower() in page.lower()

    response = client.post(
        reverse("cooperation:language-switch"),
        {"language": "es", "next": reverse("cooperation:nation-list")},
        follow=True,
    )

    assert html_lang(response) == "es"
    user.refresh_from_db()
    assert user.language == "es"


@pytest.mark.parametrize(
    ("language", "us_name", "co_name"),
    [
        ("en", "United States", "Colombia"),
        ("es", "Estados Unidos", "Colombia"),
        ("pt-br", "Estados Unidos", "Colômbia"),
    ],
)
def test_nation_list_and_csv_name_nations_in_the_readers_language(
    client, colombia, united_states, language, us_name, co_name
):
    user = factories.UserFactory(nation=colombia, language=language)
    client.force_login(user)

    page = client.get(reverse("cooperation:nation-list")).content.decode()
    export = client.get(reverse("cooperation:nation-list") + "?format=csv")

    assert us_name in page and co_name in page
    assert us_name in b"".join(export.streaming_content).decode("utf-8-sig")
    with translation.override(language):
        assert str(united_states) == us_name
    # The record keeps its own name, whatever the reader's language.
    assert Nation.objects.get(iso_alpha2="US").name == "United States"


def test_territory_without_cldr_name_falls_back_to_the_records_name():
    nation = Nation(name="Atlantis", iso_alpha2="")
    with translation.override("es"):
        assert str(nation) == "Atlantis"


def test_meeting_dates_are_formatted_for_the_readers_locale(client, colombia):
    starts = timezone.make_aware(datetime.datetime(2027, 3, 9, 15, 0))
    meeting = factories.AssessmentMeetingFactory(
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=2),
        time_zone="UTC",
        released_to_all=True,
    )
    for language, month in (("es", "marzo"), ("pt-br", "Março"), ("en", "March")):
        user = factories.UserFactory(nation=colombia, language=language)
        client.force_login(user)
        page = client.get(meeting.get_absolute_url()).content.decode()
        with translation.override(language):
            expected = date_format(starts, "DATE_FORMAT")
        assert month.lower() in expected.lower()
        assert expected in page, language


def test_form_errors_are_in_the_users_language(client, colombia):
    user = factories.UserFactory(nation=colombia, language="es")
    client.force_login(user)

    response = client.post(
        reverse("cooperation:profile"),
        {"time_zone": "America/Bogota", "language": "es", "email": "not-an-address"},
    )

    assert response.status_code == 400
    expected = t("es", "Enter a valid email address.")
    assert expected != "Enter a valid email address."
    assert response.context["form"].errors["email"] == [expected]


@pytest.mark.parametrize(
    ("stored", "nation_languages", "expected"),
    [
        ("es", "pt", "es"),
        ("", "pt", "pt-br"),
        ("", "es, qu, ay", "es"),
        ("", "nl", "en"),
    ],
)
def test_mail_language_is_the_preference_else_the_nations_else_english(
    db, stored, nation_languages, expected
):
    nation = factories.NationFactory(
        name="Brazil", iso_alpha2="BR", iso_alpha3="BRA", official_languages="pt"
    )
    nation.official_languages = nation_languages
    user = factories.UserFactory(nation=nation, language=stored)

    assert user.mail_language == expected


def test_invitation_without_a_preference_is_in_the_nations_language(
    db, brazil, django_capture_on_commit_callbacks
):
    user = factories.UserFactory(nation=brazil, language="", email="b@example.org")
    meeting = factories.AssessmentMeetingFactory(released_to_all=True)
    factories.InvitationFactory(meeting=meeting, user=user)

    # Rendered when queued; sent by the delivery task on commit.
    with django_capture_on_commit_callbacks(execute=True):
        invitations.meeting_notify(meeting=meeting, kind="request", acting_user=None)

    (message,) = [m for m in mail.outbox if m.to == ["b@example.org"]]
    assert message.extra_headers["Content-Language"] == "pt-br"
    with translation.override("pt-br"):
        subject = gettext("Invitation: %(title)s") % {"title": meeting.title}
    assert subject != f"Invitation: {meeting.title}"
    assert message.subject == subject


def test_admin_labels_of_our_models_are_translated(client):
    admin = factories.UserFactory(
        username="root-es", is_staff=True, is_superuser=True, language="es"
    )
    client.force_login(admin)

    page = client.get(reverse("admin:index")).content.decode()

    for label in ("Recommendations", "Initiatives", "Nations"):
        translated = t("es", label.lower()).capitalize()
        assert translated.lower() != label.lower()
        assert translated in page


def test_nation_search_matches_the_name_the_reader_sees(
    client, colombia, united_states
):
    user = factories.UserFactory(nation=colombia, language="es")
    client.force_login(user)

    response = client.get(reverse("cooperation:nation-list"), {"q": "estados"})

    assert [nation.iso_alpha2 for nation in response.context["page_obj"]] == ["US"]


def test_nations_are_listed_in_the_order_of_the_names_the_reader_sees(
    client, colombia, united_states
):
    mexico = factories.NationFactory(name="Mexico", iso_alpha2="MX", iso_alpha3="MEX")
    uruguay = factories.NationFactory(name="Uruguay", iso_alpha2="UY", iso_alpha3="URY")
    recommendation = factories.RecommendationFactory()
    recommendation.nations.set([colombia, united_states, mexico, uruguay])
    user = factories.UserFactory(nation=colombia, language="es", is_superuser=True)
    client.force_login(user)

    listed = client.get(reverse("cooperation:nation-list")).context["page_obj"]
    matrix = client.get(reverse("cooperation:dashboard")).context[
        "recommendation_matrix"
    ]

    # Spanish: Colombia, Estados Unidos, México, Uruguay; English would put US last.
    assert [n.iso_alpha2 for n in listed] == ["CO", "US", "MX", "UY"]
    assert [nation.iso_alpha2 for nation, _cells, _total in matrix] == [
        "CO",
        "US",
        "MX",
        "UY",
    ]


def test_initiatives_sort_by_the_lead_nation_name_the_reader_sees(
    client, colombia, united_states
):
    mexico = factories.NationFactory(name="Mexico", iso_alpha2="MX", iso_alpha3="MEX")
    for title, lead in (("Led by US", united_states), ("Led by MX", mexico)):
        factories.ParticipationFactory(
            initiative=factories.InitiativeFactory(title=title),
            nation=lead,
            role="lead",
        )
    url = reverse("cooperation:initiative-list") + "?sort=lead"

    for language, expected in (
        ("en", ["Led by MX", "Led by US"]),  # Mexico, United States
        ("es", ["Led by US", "Led by MX"]),  # Estados Unidos, México
    ):
        client.force_login(factories.UserFactory(nation=colombia, language=language))
        listed = client.get(url).context["page_obj"]
        assert [initiative.title for initiative in listed] == expected, language
