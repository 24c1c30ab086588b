"""Account safety: changing the e-mail address asks for the password and tells the old
address; an address belongs to one account (in any case); deactivating an account or
the admin's "End all sessions" ends its sessions at once."""

import datetime
import logging

import pytest
from django.contrib.admin import helpers
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from django.forms import MultiWidget, modelform_factory
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from cooperation import counts
from cooperation.models import OutboundEmail, User, UserSession
from cooperation.services import accounts
from tests import factories

pytestmark = pytest.mark.django_db

PROFILE = reverse("cooperation:profile")
USER_ADD = reverse("admin:cooperation_user_add")
USER_CHANGELIST = reverse("admin:cooperation_user_changelist")
HOUR = datetime.timedelta(hours=1)


def user_change_url(user):
    return reverse("admin:cooperation_user_change", args=[user.pk])


class FailingBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server down")


MAIL_SERVER_DOWN = override_settings(
    MAILERS={"default": {"BACKEND": f"{__name__}.FailingBackend"}}
)


@pytest.fixture
def officer(colombia):
    return factories.UserFactory(
        username="officer",
        email="officer@example.org",
        first_name="Olga",
        time_zone="America/Bogota",
        language="en",
        nation=colombia,
    )


def profile_data(user, **changes):
    data = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "time_zone": user.time_zone,
        "language": user.language,
    }
    return {**data, **changes}


def login_through_the_form(user):
    """A second browser signed in as ``user`` through the real login page."""
    browser = Client()
    response = browser.post(
        reverse("login"),
        {"username": user.username, "password": factories.PASSWORD},
    )
    assert response.status_code == 302
    return browser


def session_key_of(browser):
    return browser.cookies["sessionid"].value


def is_signed_out(browser):
    response = browser.get(reverse("cooperation:dashboard"))
    return response.status_code == 302 and response.url.startswith(reverse("login"))


def admin_form_data(response):
    """What the admin change form in ``response`` posts when nothing is changed."""
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        widget = form.fields[name].widget
        if value is None or value is False:
            continue
        if isinstance(widget, MultiWidget):  # date_joined: a date and a time
            parts = widget.decompress(value)
            for suffix, part in zip(widget.widgets_names, parts, strict=True):
                data[name + suffix] = part.isoformat()
        elif value is True:
            data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = [str(item) for item in value]
        else:
            data[name] = str(value)
    return data


# ------------------------------------------------------------ changing the address


def test_the_profile_offers_a_current_password_field(client, officer):
    client.force_login(officer)

    page = client.get(PROFILE).text

    assert 'type="password" name="current_password"' in page


def test_changing_the_email_without_the_password_is_refused(client, officer):
    client.force_login(officer)

    response = client.post(PROFILE, profile_data(officer, email="new@example.org"))

    assert response.status_code == 400
    assert response.context["form"].errors["current_password"] == [
        "Enter your current password to change your e-mail address."
    ]
    officer.refresh_from_db()
    assert officer.email == "officer@example.org"
    assert mail.outbox == []


def test_changing_the_email_with_a_wrong_password_is_refused_with_a_field_error(
    client, officer, django_capture_on_commit_callbacks
):
    client.force_login(officer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            PROFILE,
            profile_data(
                officer,
                email="new@example.org",
                first_name="Changed",
                current_password="not-my-password-at-all",
            ),
        )

    assert response.status_code == 400
    assert response.context["form"].errors["current_password"] == [
        "Your current password was entered incorrectly."
    ]
    officer.refresh_from_db()
    assert (officer.email, officer.first_name) == ("officer@example.org", "Olga")
    assert mail.outbox == []


def test_changing_the_email_with_the_password_saves_it_and_tells_the_old_address(
    client, officer, django_capture_on_commit_callbacks
):
    client.force_login(officer)
    assert officer.email == "officer@example.org"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            PROFILE,
            profile_data(
                officer,
                email="Olga.New@EXAMPLE.ORG",
                current_password=factories.PASSWORD,
            ),
        )

    assert response.status_code == 302
    officer.refresh_from_db()
    assert officer.email == "Olga.New@example.org"  # the domain normalised
    assert len(mail.outbox) == 1
    notice = mail.outbox[0]
    assert notice.to == ["officer@example.org"]
    assert "Olga.New@example.org" in notice.body
    assert "America/Bogota" in notice.body  # the time, in the user's own zone
    assert "administrator" in notice.body
    assert notice.extra_headers["Content-Language"] == "en"


def test_name_time_zone_and_language_edits_need_no_password(
    client, officer, django_capture_on_commit_callbacks
):
    client.force_login(officer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            PROFILE,
            profile_data(
                officer,
                first_name="Olga María",
                time_zone="America/Lima",
                language="en",
                # The same address, only in another case: not a change of address.
                email="OFFICER@example.org",
            ),
        )

    assert response.status_code == 302
    officer.refresh_from_db()
    assert (officer.first_name, officer.time_zone, officer.language) == (
        "Olga María",
        "America/Lima",
        "en",
    )
    assert officer.email.lower() == "officer@example.org"
    assert mail.outbox == []


def test_the_profile_refuses_an_address_another_account_uses_in_other_case(
    client, officer, django_capture_on_commit_callbacks
):
    factories.UserFactory(username="other", email="taken@example.org")
    client.force_login(officer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            PROFILE,
            profile_data(
                officer,
                email="TAKEN@Example.org",
                current_password=factories.PASSWORD,
            ),
        )

    assert response.status_code == 400
    assert response.context["form"].errors["email"] == [
        "Another account already uses this e-mail address."
    ]
    officer.refresh_from_db()
    assert officer.email == "officer@example.org"
    assert mail.outbox == []


@MAIL_SERVER_DOWN
def test_a_failing_mail_server_does_not_break_the_email_change(
    client, officer, django_capture_on_commit_callbacks, caplog
):
    client.force_login(officer)

    with (
        caplog.at_level(logging.WARNING, logger="cooperation.outbox"),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        response = client.post(
            PROFILE,
            profile_data(
                officer, email="new@example.org", current_password=factories.PASSWORD
            ),
        )

    # The notice's delivery was enqueued on commit (the others forget the cached
    # counts), attempted, and failed: it waits for a retry.
    notices = [c for c in callbacks if c is not counts.data_changed]
    assert len(notices) == 1
    assert response.status_code == 302
    officer.refresh_from_db()
    assert officer.email == "new@example.org"
    notice = OutboundEmail.objects.get(kind=OutboundEmail.Kind.EMAIL_CHANGED)
    assert notice.to_email == "officer@example.org"
    assert notice.status == OutboundEmail.Status.PENDING
    assert notice.attempts == 1
    assert "mail server down" in notice.last_error
    assert any(
        "E-mail not sent, will retry" in record.getMessage()
        for record in caplog.records
    )


def test_user_change_email_queries(officer, django_assert_num_queries):
    # The service's savepoint and the check's own around the uniqueness check of the
    # address, the update and its history row; the notice's key looked up and the
    # notice recorded in the outbox.
    with django_assert_num_queries(9):
        changed = accounts.user_change_email(
            user=officer, new_email="moved@example.org", acting_user=officer
        )

    assert changed is True
    assert officer.history.latest().history_user == officer


def test_user_update_profile_saves_the_profile_and_the_address_as_one_write(
    officer, superuser
):
    # As a command would (no request): history names who did it.
    saved = accounts.user_update_profile(
        user=officer,
        acting_user=superuser,
        first_name="Olga",
        last_name="Ortiz",
        time_zone="America/Lima",
        language="es",
        email="olga.ortiz@example.org",
    )

    officer.refresh_from_db()
    assert (officer.last_name, officer.time_zone, officer.language) == (
        "Ortiz",
        "America/Lima",
        "es",
    )
    assert officer.email == saved.email == "olga.ortiz@example.org"
    assert {row.history_user for row in officer.history.all()[:2]} == {superuser}
    notice = OutboundEmail.objects.get(kind=OutboundEmail.Kind.EMAIL_CHANGED)
    assert notice.to_email == "officer@example.org"


def test_user_update_profile_saves_nothing_when_the_address_is_taken(officer):
    factories.UserFactory(email="taken@example.org")

    with pytest.raises(ValidationError), transaction.atomic():
        accounts.user_update_profile(
            user=officer,
            acting_user=officer,
            first_name="Changed",
            last_name="",
            time_zone="America/Bogota",
            language="en",
            email="TAKEN@example.org",
        )

    officer.refresh_from_db()
    assert (officer.first_name, officer.email) == ("Olga", "officer@example.org")


# ------------------------------------------------------------ one address, one user


def test_the_database_refuses_the_same_address_in_other_case(officer):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="copycat", email="OFFICER@Example.ORG")

    assert not User.objects.filter(username="copycat").exists()


def test_full_clean_reports_the_address_on_the_email_field(officer):
    copycat = User(username="copycat", email="Officer@example.org", password="x")

    with pytest.raises(ValidationError) as excinfo:
        copycat.full_clean()

    assert excinfo.value.message_dict == {
        "email": ["Another account already uses this e-mail address."]
    }


def test_several_accounts_may_have_no_address(db):
    factories.UserFactory(username="one", email="")
    factories.UserFactory(username="two", email="")

    assert User.objects.filter(email="").count() == 2


def test_the_admin_add_form_asks_for_the_address_and_normalises_it(admin_client):
    response = admin_client.post(
        USER_ADD,
        {
            "username": "newcomer",
            "email": "New.Comer@EXAMPLE.org",
            "usable_password": "false",
            "time_zone": "UTC",
            "language": "",
        },
    )

    assert response.status_code == 302
    assert User.objects.get(username="newcomer").email == "New.Comer@example.org"


def test_the_admin_add_form_refuses_an_address_another_account_uses(
    admin_client, officer
):
    response = admin_client.post(
        USER_ADD,
        {
            "username": "newcomer",
            "email": "Officer@EXAMPLE.org",
            "usable_password": "false",
            "time_zone": "UTC",
            "language": "",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"] == [
        "Another account already uses this e-mail address."
    ]
    assert not User.objects.filter(username="newcomer").exists()


def test_the_admin_change_form_refuses_an_address_another_account_uses(
    admin_client, officer
):
    other = factories.UserFactory(username="other", email="other@example.org")
    data = admin_form_data(admin_client.get(user_change_url(other)))
    data["email"] = "OFFICER@example.org"

    response = admin_client.post(user_change_url(other), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"] == [
        "Another account already uses this e-mail address."
    ]
    other.refresh_from_db()
    assert other.email == "other@example.org"


# ----------------------------------------------------------------------- sessions


def test_logging_in_records_the_session_the_browser_holds(officer):
    browser = login_through_the_form(officer)

    recorded = UserSession.objects.get(user=officer)
    assert recorded.session_key == session_key_of(browser)
    assert Session.objects.filter(session_key=recorded.session_key).exists()


def test_logging_out_forgets_the_session(officer):
    browser = login_through_the_form(officer)
    assert UserSession.objects.filter(user=officer).count() == 1

    browser.post(reverse("logout"))

    assert not UserSession.objects.filter(user=officer).exists()


def test_deactivating_in_the_admin_ends_the_users_sessions(
    admin_client, officer, caplog
):
    browser = login_through_the_form(officer)
    key = session_key_of(browser)
    assert not is_signed_out(browser)
    data = admin_form_data(admin_client.get(user_change_url(officer)))
    del data["is_active"]

    with caplog.at_level(logging.INFO, logger="cooperation.auth"):
        response = admin_client.post(user_change_url(officer), data)

    assert response.status_code == 302
    officer.refresh_from_db()
    assert officer.is_active is False
    assert not Session.objects.filter(session_key=key).exists()
    assert not UserSession.objects.filter(user=officer).exists()
    assert is_signed_out(browser)
    # Ended once, in the administrator's name (the post_save net does not repeat it).
    ended = [r.getMessage() for r in caplog.records if "Sessions ended" in r.message]
    assert ended == ["Sessions ended: username='officer' count=1 by='root'"]
    assert admin_client.get(USER_CHANGELIST).status_code == 200


def test_deactivating_by_saving_the_user_ends_its_sessions(officer):
    browser = Client()
    browser.force_login(officer)
    key = session_key_of(browser)
    assert Session.objects.filter(session_key=key).exists()

    officer.is_active = False
    officer.save()

    assert not Session.objects.filter(session_key=key).exists()
    assert not UserSession.objects.filter(user=officer).exists()
    assert is_signed_out(browser)


def test_saving_an_active_user_keeps_its_sessions(officer):
    browser = Client()
    browser.force_login(officer)

    officer.first_name = "Renamed"
    officer.save()

    assert Session.objects.filter(session_key=session_key_of(browser)).exists()
    assert not is_signed_out(browser)


def test_the_admin_action_ends_the_sessions_of_the_selected_users_only(
    admin_client, officer
):
    other = factories.UserFactory(username="other")
    officer_browsers = [login_through_the_form(officer) for _ in range(2)]
    other_browser = login_through_the_form(other)

    response = admin_client.post(
        USER_CHANGELIST,
        {"action": "end_sessions", helpers.ACTION_CHECKBOX_NAME: [officer.pk]},
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == ["2 sessions ended."]
    assert all(is_signed_out(browser) for browser in officer_browsers)
    assert not UserSession.objects.filter(user=officer).exists()
    officer.refresh_from_db()
    assert officer.is_active is True  # signed out, not locked out
    assert not is_signed_out(other_browser)
    assert Session.objects.filter(session_key=session_key_of(other_browser)).exists()


def test_a_session_key_is_recorded_once(officer):
    other = factories.UserFactory(username="other")
    UserSession.objects.create(user=officer, session_key="k" * 32)

    with pytest.raises(IntegrityError), transaction.atomic():
        UserSession.objects.create(user=other, session_key="k" * 32)
    form = modelform_factory(UserSession, fields=["user", "session_key"])(
        {"user": other.pk, "session_key": "k" * 32}
    )
    assert form.errors == {
        "session_key": ["User session with this Session key already exists."]
    }


def test_a_login_drops_the_records_of_sessions_that_have_run_out(officer, settings):
    stale = UserSession.objects.create(user=officer, session_key="s" * 32)
    UserSession.objects.filter(pk=stale.pk).update(
        created_at=timezone.now() - settings.PORTAL_SESSION_MAX_AGE - HOUR
    )

    browser = login_through_the_form(officer)

    assert list(
        UserSession.objects.filter(user=officer).values_list("session_key", flat=True)
    ) == [session_key_of(browser)]


def test_user_end_sessions_queries(officer, django_assert_num_queries):
    for _ in range(2):
        Client().force_login(officer)

    # Savepoint, the keys, a read and a delete per session, the records, release.
    with django_assert_num_queries(8):
        ended = accounts.user_end_sessions(user=officer, acting_user=None)

    assert ended == 2
    assert not Session.objects.exists()
