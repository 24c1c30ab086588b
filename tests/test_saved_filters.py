"""Saved list filters: the service, the save form on the lists, the navigation
bar's menu and deletion."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cooperation.models import SavedFilter
from cooperation.services import saved_filters as services
from tests import factories

pytestmark = pytest.mark.django_db

SAVE = reverse("cooperation:saved-filter-save")
DELETE = reverse("cooperation:saved-filter-delete")
RECOMMENDATIONS = reverse("cooperation:recommendation-list")


# ------------------------------------------------------------------ the service


def test_saving_keeps_only_the_lists_own_parameters(colombian_user):
    saved = services.saved_filter_save(
        user=colombian_user,
        list_name="recommendations",
        name="  Overdue   in Colombia ",
        query="status=accepted&status=in_progress&nation=CO&page=3&format=csv"
        "&evil=1&sort=-due_date&q=",
    )

    assert saved.name == "Overdue in Colombia"
    assert saved.query == "status=accepted&status=in_progress&nation=CO&sort=-due_date"
    assert services.saved_filter_url(saved) == f"{RECOMMENDATIONS}?{saved.query}"


def test_saving_the_same_name_again_replaces_its_filters(colombian_user):
    first = services.saved_filter_save(
        user=colombian_user, list_name="meetings", name="Mine", query="mine=on"
    )

    second = services.saved_filter_save(
        user=colombian_user, list_name="meetings", name="Mine", query="when=upcoming"
    )

    assert second.pk == first.pk
    assert SavedFilter.objects.get(pk=first.pk).query == "when=upcoming"
    # Another list, or another user, keeps its own filter of the same name.
    services.saved_filter_save(
        user=colombian_user, list_name="initiatives", name="Mine", query="mine=on"
    )
    other = factories.UserFactory()
    services.saved_filter_save(
        user=other, list_name="meetings", name="Mine", query="mine=on"
    )
    assert SavedFilter.objects.count() == 3


@pytest.mark.parametrize(
    ("list_name", "name", "query", "message"),
    [
        ("nations", "A", "region=x", "Filters cannot be saved for that list."),
        ("meetings", "   ", "mine=on", "Give the saved filter a name."),
        ("meetings", "x" * 81, "mine=on", "The name is too long"),
        ("meetings", "A", "page=2&sort=title", "There are no filters to save"),
        ("meetings", "A", "q=" + "x" * 2_100, "These filters are too long"),
    ],
)
def test_saving_refuses_what_it_cannot_keep(
    colombian_user, list_name, name, query, message
):
    with pytest.raises(ValidationError) as error:
        services.saved_filter_save(
            user=colombian_user, list_name=list_name, name=name, query=query
        )

    assert message in error.value.messages[0]
    assert not SavedFilter.objects.exists()


def test_a_user_has_a_bounded_number_of_saved_filters(colombian_user):
    factories.SavedFilterFactory.create_batch(
        services.MAX_PER_USER, user=colombian_user
    )

    with pytest.raises(ValidationError):
        services.saved_filter_save(
            user=colombian_user, list_name="meetings", name="One more", query="mine=on"
        )
    # Replacing one of them is still allowed.
    existing = SavedFilter.objects.filter(user=colombian_user).first()
    services.saved_filter_save(
        user=colombian_user,
        list_name=existing.list_name,
        name=existing.name,
        query="mine=on",
    )


def test_deleting_touches_only_ones_own_filter(colombian_user, brazilian_user):
    mine = factories.SavedFilterFactory(user=colombian_user)
    theirs = factories.SavedFilterFactory(user=brazilian_user)

    assert (
        services.saved_filter_delete(user=colombian_user, saved_filter_id=theirs.pk)
        is False
    )
    assert (
        services.saved_filter_delete(user=colombian_user, saved_filter_id=mine.pk)
        is True
    )

    assert list(SavedFilter.objects.all()) == [theirs]


# ------------------------------------------------------------------ the pages


def test_a_filtered_list_offers_to_save_its_filters(client, colombian_user):
    client.force_login(colombian_user)

    unfiltered = client.get(RECOMMENDATIONS).content.decode()
    filtered = client.get(RECOMMENDATIONS, {"status": "proposed", "page": "1"})
    body = filtered.content.decode()

    assert "Save these filters" not in unfiltered
    assert "Save these filters" in body
    assert 'name="query" value="status=proposed"' in body
    assert 'name="list_name" value="recommendations"' in body


def test_the_nation_list_offers_no_save(client, colombian_user):
    client.force_login(colombian_user)

    body = client.get(reverse("cooperation:nation-list"), {"q": "co"}).content.decode()

    assert "Save these filters" not in body


def test_saving_from_a_list_redirects_to_it_and_lists_it_in_the_menu(
    client, colombian_user
):
    client.force_login(colombian_user)

    response = client.post(
        SAVE,
        {
            "list_name": "recommendations",
            "name": "Proposed <b>ones</b>",
            "query": "status=proposed&page=4",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == f"{RECOMMENDATIONS}?status=proposed"
    body = client.get(response["Location"]).content.decode()
    assert "Proposed &lt;b&gt;ones&lt;/b&gt;" in body
    assert f'href="{RECOMMENDATIONS}?status=proposed"' in body


def test_saving_bad_input_answers_400_with_the_reason(client, colombian_user):
    client.force_login(colombian_user)

    response = client.post(
        SAVE, {"list_name": "recommendations", "name": "", "query": "status=proposed"}
    )

    assert response.status_code == 400
    body = response.content.decode()
    assert "Give the saved filter a name." in body
    assert f"{RECOMMENDATIONS}?status=proposed" in body
    assert not SavedFilter.objects.exists()


def test_saving_is_post_only(client, colombian_user):
    client.force_login(colombian_user)

    assert client.get(SAVE).status_code == 405
    assert client.get(DELETE).status_code == 405


def test_the_menu_shows_only_ones_own_saved_filters(
    client, colombian_user, brazilian_user
):
    factories.SavedFilterFactory(user=colombian_user, name="Colombian view")
    factories.SavedFilterFactory(user=brazilian_user, name="Brazilian view")
    client.force_login(brazilian_user)

    body = client.get(reverse("cooperation:dashboard")).content.decode()

    assert "Brazilian view" in body
    assert "Colombian view" not in body


def test_deleting_from_the_menu_returns_to_the_page(client, colombian_user):
    saved = factories.SavedFilterFactory(user=colombian_user)
    client.force_login(colombian_user)

    response = client.post(DELETE, {"saved_filter": saved.pk, "next": "/meetings/"})

    assert response.status_code == 302
    assert response["Location"] == "/meetings/"
    assert not SavedFilter.objects.exists()


def test_deleting_another_users_filter_answers_404(
    client, colombian_user, brazilian_user
):
    theirs = factories.SavedFilterFactory(user=brazilian_user)
    client.force_login(colombian_user)

    assert client.post(DELETE, {"saved_filter": theirs.pk}).status_code == 404
    assert client.post(DELETE, {"saved_filter": "x"}).status_code == 404
    assert SavedFilter.objects.filter(pk=theirs.pk).exists()


def test_deleting_never_redirects_off_site(client, colombian_user):
    saved = factories.SavedFilterFactory(user=colombian_user)
    client.force_login(colombian_user)

    response = client.post(
        DELETE, {"saved_filter": saved.pk, "next": "https://evil.example/"}
    )

    assert response["Location"] == reverse("cooperation:dashboard")


def test_the_menu_reads_the_saved_filters_in_one_query(client, colombian_user):
    client.force_login(colombian_user)
    factories.SavedFilterFactory.create_batch(2, user=colombian_user)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("cooperation:profile"))
    factories.SavedFilterFactory.create_batch(20, user=colombian_user)
    with CaptureQueriesContext(connection) as many:
        body = client.get(reverse("cooperation:profile")).content.decode()

    assert len(many) == len(few)
    assert sum("cooperation_savedfilter" in q["sql"] for q in many) == 1
    assert body.count('class="d-flex align-items-center saved-filter"') == 22
