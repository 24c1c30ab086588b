"""Every door into a write reaches the same service, with the same effects.

An initiative created or edited, and a recommendation raised with its release, from
the page, from the admin, and by a direct service call outside any request (as a
management command or a task worker makes it): the participations and the lead, the
release, the reference and the timeline come out the same, and every history row the
write leaves names the acting user.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cooperation import services
from cooperation.concurrency import EditConflict, version_token
from cooperation.models import Initiative, Participation, Recommendation
from tests import factories

pytestmark = pytest.mark.django_db

DOORS = ["page", "admin", "service"]
LEAD, PARTNER, FUNDER = (
    Participation.Role.LEAD,
    Participation.Role.PARTNER,
    Participation.Role.FUNDER,
)


@pytest.fixture
def actor(colombia):
    """A coordinator: may use the admin and manage releasability."""
    return factories.UserFactory(
        username="coordinator", nation=colombia, is_staff=True, is_superuser=True
    )


@pytest.fixture
def actor_client(client, actor):
    client.force_login(actor)
    return client


@pytest.fixture
def focus_area(db):
    return factories.FocusAreaFactory(name="Maritime security", slug="maritime")


def admin_url(model, view, *args):
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def assert_saved(response):
    """A redirect; otherwise fail with the errors the page shows."""
    if response.status_code == 302:
        return
    errors = []
    for name in ("form", "formset", "release_form", "adminform"):
        form = response.context.get(name) if response.context else None
        form = getattr(form, "form", form)
        if form is not None:
            errors.append((name, form.errors))
    for inline in (response.context or {}).get("inline_admin_formsets", []):
        errors.append(("inline", inline.formset.errors))
    pytest.fail(f"not saved ({response.status_code}): {errors}")


def history_users(*querysets):
    """The acting users named by the given history rows."""
    return {row.history_user for queryset in querysets for row in queryset}


def participations(initiative):
    return dict(initiative.participations.values_list("nation__iso_alpha2", "role"))


def participation_history(initiative):
    return Participation.history.filter(initiative_id=initiative.pk)


def rows_post(prefix, rows, *, initial=0):
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{index}-{key}"] = value
    return data


INITIATIVE_FIELDS = {
    "title": "Pacific coast patrols",
    "kind": Initiative.Kind.JOINT_TASK_FORCE,
    "summary": "Joint patrols off the Pacific coast.",
    "objectives": "Fewer go-fast boats.",
    "status": Initiative.Status.PIPELINE,
}


# ------------------------------------------------------------ initiative: create


def create_initiative(door, *, actor, client, focus_area, colombia, brazil):
    rows = [(colombia, LEAD, "Ships"), (brazil, PARTNER, "")]
    if door == "service":
        return services.initiative_create(
            initiative=Initiative(owner=actor, **INITIATIVE_FIELDS),
            acting_user=actor,
            focus_areas=[focus_area],
            participations=[services.ParticipationRow(*row) for row in rows],
            released_to=[colombia, brazil],
        )
    fields = {**INITIATIVE_FIELDS, "owner": actor.pk, "focus_areas": [focus_area.pk]}
    posted_rows = [
        {"nation": nation.pk, "role": role, "contribution": contribution}
        for nation, role, contribution in rows
    ]
    if door == "page":
        url = reverse("cooperation:initiative-create")
        data = {
            **fields,
            **rows_post("participations", posted_rows),
            "release-released_to": [colombia.pk, brazil.pk],
        }
    else:
        url = admin_url(Initiative, "add")
        data = {
            **fields,
            **rows_post("participations", posted_rows),
            "released_to": [colombia.pk, brazil.pk],
        }
    response = client.post(url, data)
    assert_saved(response)
    return Initiative.objects.get(title=INITIATIVE_FIELDS["title"])


@pytest.mark.parametrize("door", DOORS)
def test_creating_an_initiative_has_the_same_effects_from_every_door(
    door, actor, actor_client, focus_area, colombia, brazil
):
    assert not Initiative.objects.exists()

    initiative = create_initiative(
        door,
        actor=actor,
        client=actor_client,
        focus_area=focus_area,
        colombia=colombia,
        brazil=brazil,
    )

    initiative = Initiative.objects.get(pk=initiative.pk)
    assert participations(initiative) == {"CO": LEAD, "BR": PARTNER}
    assert initiative.lead_nation == colombia
    assert initiative.participations.get(nation=colombia).contribution == "Ships"
    assert list(initiative.focus_areas.all()) == [focus_area]
    assert not initiative.released_to_all
    assert set(initiative.released_to.all()) == {colombia, brazil}
    assert history_users(
        initiative.history.all(), participation_history(initiative)
    ) == {actor}


# ------------------------------------------------------------ initiative: update


@pytest.fixture
def initiative(colombia, brazil):
    """Written by someone else, before the actor edits it."""
    initiative = factories.InitiativeFactory(
        title="Andean task force", released_to_all=True
    )
    services.initiative_set_participations(
        initiative=initiative,
        rows=[
            services.ParticipationRow(colombia, LEAD),
            services.ParticipationRow(brazil, PARTNER),
        ],
        acting_user=initiative.owner,
    )
    return Initiative.objects.get(pk=initiative.pk)


def update_initiative(door, initiative, *, actor, client, colombia, brazil, us):
    rows = [(brazil, LEAD, "Command"), (us, FUNDER, "Funding")]
    if door == "service":
        initiative.title = "Andean task force II"
        return services.initiative_update(
            initiative=initiative,
            version=version_token(initiative),
            acting_user=actor,
            participations=[services.ParticipationRow(*row) for row in rows],
            released_to_all=False,
            released_to=[brazil, us],
        )
    posted_rows = [
        {"nation": nation.pk, "role": role, "contribution": contribution}
        for nation, role, contribution in rows
    ]
    fields = {
        **INITIATIVE_FIELDS,
        "title": "Andean task force II",
        "summary": initiative.summary,
        "status": initiative.status,
        "owner": initiative.owner_id,
    }
    if door == "page":
        url = reverse("cooperation:initiative-edit", args=[initiative.pk])
        data = {
            **fields,
            "version": version_token(initiative),
            **rows_post("participations", posted_rows),
            "release-released_to": [brazil.pk, us.pk],
        }
    else:
        url = admin_url(Initiative, "change", initiative.pk)
        stored = {p.nation_id: p.pk for p in initiative.participations.all()}
        inline_rows = [
            # Colombia's row removed, Brazil's made the lead, the United States added.
            {"id": stored[colombia.pk], "nation": colombia.pk, "role": LEAD},
            {"id": stored[brazil.pk], **posted_rows[0]},
            posted_rows[1],
        ]
        inline_rows[0]["DELETE"] = "on"
        data = {
            **fields,
            **rows_post(
                "participations",
                [{**row, "initiative": initiative.pk} for row in inline_rows],
                initial=2,
            ),
            "released_to": [brazil.pk, us.pk],
            "loaded_version": version_token(initiative),
        }
    response = client.post(url, data)
    assert_saved(response)
    return Initiative.objects.get(pk=initiative.pk)


@pytest.mark.parametrize("door", DOORS)
def test_editing_an_initiative_has_the_same_effects_from_every_door(
    door, initiative, actor, actor_client, colombia, brazil, united_states
):
    last_initiative_row = initiative.history.latest("history_id").history_id
    last_participation_row = (
        participation_history(initiative).latest("history_id").history_id
    )

    update_initiative(
        door,
        initiative,
        actor=actor,
        client=actor_client,
        colombia=colombia,
        brazil=brazil,
        us=united_states,
    )

    initiative = Initiative.objects.get(pk=initiative.pk)
    assert initiative.title == "Andean task force II"
    assert participations(initiative) == {"BR": LEAD, "US": FUNDER}
    assert initiative.lead_nation == brazil
    assert not initiative.released_to_all
    assert set(initiative.released_to.all()) == {brazil, united_states}
    written = initiative.history.filter(history_id__gt=last_initiative_row)
    written_rows = participation_history(initiative).filter(
        history_id__gt=last_participation_row
    )
    assert written.exists() and written_rows.exists()
    assert history_users(written, written_rows) == {actor}


def test_an_initiative_edited_from_a_stale_version_is_refused_from_a_command(
    initiative, actor, brazil
):
    stale = version_token(initiative)
    initiative.summary = "Edited meanwhile."
    initiative.save()
    copy = Initiative.objects.get(pk=initiative.pk)
    copy.title = "Overwrites the summary?"

    with pytest.raises(EditConflict):
        services.initiative_update(
            initiative=copy, version=stale, acting_user=actor, released_to=[brazil]
        )

    initiative.refresh_from_db()
    assert initiative.title == "Andean task force"
    assert initiative.released_to_all


def test_an_initiative_edit_cannot_change_the_release_without_the_permission(
    initiative, colombian_user
):
    initiative.released_to_all = False  # set on the instance, not through the service

    services.initiative_update(
        initiative=initiative, version=None, acting_user=colombian_user
    )

    initiative.refresh_from_db()
    assert initiative.released_to_all


# ------------------------------------------------- recommendation raised, released


def raise_recommendation(door, *, actor, client, focus_area, colombia, brazil):
    due = timezone.localdate() + datetime.timedelta(days=60)
    fields = {
        "title": "Share radar tracks",
        "description": "Within 24 hours of detection.",
        "focus_area": focus_area,
        "owner": actor,
        "priority": Recommendation.Priority.HIGH,
        "due_date": due,
        "source_note": "Regional summit",
    }
    if door == "service":
        return services.recommendation_create(
            acting_user=actor,
            nations=[colombia],
            released_to=[colombia, brazil],
            **fields,
        )
    data = {
        **fields,
        "focus_area": focus_area.pk,
        "owner": actor.pk,
        "due_date": due.isoformat(),
        "nations": [colombia.pk],
    }
    if door == "page":
        url = reverse("cooperation:recommendation-create")
        data["release-released_to"] = [colombia.pk, brazil.pk]
    else:
        url = admin_url(Recommendation, "add")
        data["released_to"] = [colombia.pk, brazil.pk]
    response = client.post(url, data)
    assert_saved(response)
    return Recommendation.objects.get()


@pytest.mark.parametrize("door", DOORS)
def test_raising_a_recommendation_with_its_release_is_the_same_from_every_door(
    door, actor, actor_client, focus_area, colombia, brazil
):
    assert not Recommendation.objects.exists()

    raised = raise_recommendation(
        door,
        actor=actor,
        client=actor_client,
        focus_area=focus_area,
        colombia=colombia,
        brazil=brazil,
    )

    recommendation = Recommendation.objects.get(pk=raised.pk)
    assert recommendation.reference == f"REC-{timezone.localdate().year}-0001"
    assert recommendation.status == Recommendation.Status.PROPOSED
    assert recommendation.progress == 0
    assert list(recommendation.nations.all()) == [colombia]
    assert not recommendation.released_to_all
    assert set(recommendation.released_to.all()) == {colombia, brazil}
    (update,) = recommendation.updates.all()
    assert (update.author, update.from_status, update.to_status) == (
        actor,
        "",
        Recommendation.Status.PROPOSED,
    )
    assert history_users(recommendation.history.all(), update.history.all()) == {actor}
