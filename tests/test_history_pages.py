"""Each record's page links to its audit trail: who changed which field, and when."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cooperation import services
from tests import factories

pytestmark = pytest.mark.django_db


def test_initiative_history_shows_who_changed_which_field_from_what_to_what(
    client, colombian_user, colombia, brazil
):
    initiative = factories.InitiativeFactory(
        title="Border task force", status="pipeline"
    )
    initiative._history_user = colombian_user
    initiative.status = "implementation"
    initiative.title = "Andean border task force"
    initiative.save()
    client.force_login(colombian_user)

    detail = client.get(initiative.get_absolute_url())
    history_url = reverse("cooperation:initiative-history", args=[initiative.pk])
    assert history_url.encode() in detail.content
    response = client.get(history_url)

    assert response.status_code == 200
    latest = response.context["entries"][0]
    assert latest.author == colombian_user
    changes = {c.label: (c.old, c.new) for c in latest.changes}
    assert changes["status"] == ("Pipeline/identification", "Implementation")
    assert changes["title"] == ("Border task force", "Andean border task force")
    assert response.context["entries"][-1].kind == "+"


def test_releasability_changes_appear_in_the_history(
    client, superuser, colombia, brazil
):
    recommendation = factories.RecommendationFactory(
        released_to_all=False, released_to=[colombia]
    )
    services.record_release(
        record=recommendation, acting_user=superuser, released_to=[colombia, brazil]
    )
    client.force_login(superuser)
    response = client.get(
        reverse("cooperation:recommendation-history", args=[recommendation.reference])
    )
    changes = [
        (c.label, c.old, c.new)
        for entry in response.context["entries"]
        for c in entry.changes
        if c.label == "released to"
    ]
    assert ("released to", "Colombia", "Brazil, Colombia") in changes


def test_history_of_a_record_not_released_answers_404(client, brazilian_user, colombia):
    initiative = factories.InitiativeFactory(
        released_to_all=False, released_to=[colombia]
    )
    meeting = factories.AssessmentMeetingFactory(
        released_to_all=False, released_to=[colombia]
    )
    recommendation = factories.RecommendationFactory(
        released_to_all=False, released_to=[colombia]
    )
    client.force_login(brazilian_user)
    for url in (
        reverse("cooperation:initiative-history", args=[initiative.pk]),
        reverse("cooperation:meeting-history", args=[meeting.pk]),
        reverse("cooperation:recommendation-history", args=[recommendation.reference]),
    ):
        assert client.get(url).status_code == 404, url


def test_history_does_not_name_a_linked_record_not_released_to_the_reader(
    client, brazilian_user, colombia
):
    secret = factories.AssessmentMeetingFactory(
        title="Secret planning session", released_to_all=False, released_to=[colombia]
    )
    recommendation = factories.RecommendationFactory()
    recommendation.source_meeting = secret
    recommendation.save()
    client.force_login(brazilian_user)
    response = client.get(
        reverse("cooperation:recommendation-history", args=[recommendation.reference])
    )
    assert response.status_code == 200
    assert b"Secret planning session" not in response.content
    assert b"not released to you" in response.content


def _history_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_history_page_runs_the_same_queries_for_5_and_50_versions(
    client, superuser, colombia, brazil
):
    recommendation = factories.RecommendationFactory(released_to=[colombia])
    url = reverse("cooperation:recommendation-history", args=[recommendation.reference])
    client.force_login(superuser)

    def change(times):
        for index in range(times):
            recommendation.title = f"Version {index}"
            recommendation.owner = factories.UserFactory()
            recommendation.save()
            recommendation.released_to.set([colombia] if index % 2 else [brazil])

    change(5)
    few = _history_queries(client, url)
    change(45)
    many = _history_queries(client, url)
    assert few == many
    assert many <= 12
