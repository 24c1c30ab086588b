"""Authentication hardening: hashing, lockout, login log, session limits, password
flows and the admin's second factor."""

import datetime
import logging
import re
import sys
from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from cooperation.middleware import SESSION_LOGIN_AT, SESSION_SEEN_AT
from tests import factories

pytestmark = pytest.mark.django_db

REAL_SETTINGS = sys.modules["portal.settings"]
AXES_ON = override_settings(AXES_ENABLED=True)
# The test settings widen the session limits (time-travelling tests elsewhere); the
# session tests run with the production ones.
PRODUCTION_SESSION_LIMITS = override_settings(
    PORTAL_SESSION_IDLE_TIMEOUT=REAL_SETTINGS.PORTAL_SESSION_IDLE_TIMEOUT,
    PORTAL_SESSION_MAX_AGE=REAL_SETTINGS.PORTAL_SESSION_MAX_AGE,
    SESSION_COOKIE_AGE=REAL_SETTINGS.SESSION_COOKIE_AGE,
)
NEW_PASSWORD = "a-long-private-passphrase-2026"


@pytest.fixture
def officer(colombia):
    return factories.UserFactory(
        username="officer", email="officer@example.org", nation=colombia
    )


def _login(client, username, password, address="10.0.0.1"):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def _logged_in(client):
    return "_auth_user_id" in client.session


# --- Password hashing and length -------------------------------------------------


def test_production_settings_hash_with_argon2_and_keep_older_hashers():
    hashers = REAL_SETTINGS.PASSWORD_HASHERS
    assert hashers[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert "django.contrib.auth.hashers.PBKDF2PasswordHasher" in hashers[1:]


def test_a_pbkdf2_password_is_rehashed_with_argon2_at_the_next_login(client, officer):
    with override_settings(PASSWORD_HASHERS=REAL_SETTINGS.PASSWORD_HASHERS):
        officer.password = make_password(factories.PASSWORD, hasher="pbkdf2_sha256")
        officer.save(update_fields=["password"])
        assert officer.password.startswith("pbkdf2_sha256$")

        response = _login(client, "officer", factories.PASSWORD)

        assert response.status_code == 302
        officer.refresh_from_db()
        assert officer.password.startswith("argon2")
        assert check_password(factories.PASSWORD, officer.password)


def test_passwords_shorter_than_twelve_characters_are_refused(officer):
    with pytest.raises(ValidationError) as error:
        validate_password("Zq8#vT2!pLm", user=officer)  # 11 characters
    assert any(e.code == "password_too_short" for e in error.value.error_list)
    validate_password("Zq8#vT2!pLmw", user=officer)  # 12 characters: accepted


# --- Lockout (django-axes) -------------------------------------------------------


def test_production_settings_put_axes_first_and_its_middleware_last():
    assert REAL_SETTINGS.AXES_ENABLED is True
    assert REAL_SETTINGS.AUTHENTICATION_BACKENDS == [
        "axes.backends.AxesStandaloneBackend",
        "cooperation.backends.NationAwareModelBackend",
    ]
    assert REAL_SETTINGS.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
    assert REAL_SETTINGS.AXES_FAILURE_LIMIT == 5
    assert REAL_SETTINGS.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert datetime.timedelta(minutes=15) == REAL_SETTINGS.AXES_COOLOFF_TIME
    assert REAL_SETTINGS.AXES_RESET_ON_SUCCESS is True


@AXES_ON
def test_the_login_form_logs_in_with_axes_enabled(client, officer):
    response = _login(client, "officer", factories.PASSWORD)

    assert response.status_code == 302
    assert response.url == reverse("cooperation:dashboard")
    assert _logged_in(client)


@AXES_ON
def test_five_failed_logins_lock_the_account_out_from_that_address(client, officer):
    for _attempt in range(4):
        response = _login(client, "officer", "wrong-password")
        assert response.status_code == 200
        assert response.context["form"].errors

    fifth = _login(client, "officer", "wrong-password")
    assert fifth.status_code == 429

    sixth = _login(client, "officer", factories.PASSWORD)

    assert sixth.status_code == 429
    assert "registration/lockout.html" in [t.name for t in sixth.templates]
    assert "Too many failed logins" in sixth.text
    assert "15 minutes" in sixth.text
    assert sixth["Retry-After"] == "900"
    assert not _logged_in(client)


@AXES_ON
def test_a_lockout_leaves_other_addresses_and_other_accounts_free(client, officer):
    factories.UserFactory(username="neighbour")
    for _attempt in range(5):
        _login(client, "officer", "wrong-password", address="10.0.0.1")
    assert _login(client, "officer", factories.PASSWORD).status_code == 429

    same_address_other_account = _login(client, "neighbour", factories.PASSWORD)
    assert same_address_other_account.status_code == 302
    client.logout()

    other_address = _login(client, "officer", factories.PASSWORD, address="10.0.0.2")
    assert other_address.status_code == 302
    assert _logged_in(client)


@AXES_ON
def test_the_lockout_ends_after_fifteen_minutes(client, officer):
    for _attempt in range(5):
        _login(client, "officer", "wrong-password")
    assert _login(client, "officer", factories.PASSWORD).status_code == 429

    AccessAttempt.objects.update(
        attempt_time=timezone.now() - datetime.timedelta(minutes=14)
    )
    assert _login(client, "officer", factories.PASSWORD).status_code == 429

    AccessAttempt.objects.update(
        attempt_time=timezone.now() - datetime.timedelta(minutes=16)
    )
    response = _login(client, "officer", factories.PASSWORD)

    assert response.status_code == 302
    assert _logged_in(client)


@AXES_ON
def test_a_successful_login_resets_the_failure_count(client, officer):
    for _attempt in range(4):
        _login(client, "officer", "wrong-password")
    assert _login(client, "officer", factories.PASSWORD).status_code == 302
    assert not AccessAttempt.objects.exists()
    client.logout()

    for _attempt in range(4):
        assert _login(client, "officer", "wrong-password").status_code == 200
    assert _login(client, "officer", factories.PASSWORD).status_code == 302


# --- Login log -------------------------------------------------------------------


@AXES_ON
def test_login_success_failure_and_lockout_are_logged_without_password(
    client, officer, caplog
):
    caplog.set_level(logging.INFO, logger="cooperation.auth")

    _login(client, "officer", factories.PASSWORD, address="10.1.2.3")
    client.logout()
    for _attempt in range(5):
        _login(client, "officer", "s3cret-wrong-guess", address="10.9.9.9")

    records = [r for r in caplog.records if r.name == "cooperation.auth"]
    messages = [r.getMessage() for r in records]
    assert "Login succeeded: username='officer' address=10.1.2.3" in messages
    failures = [m for m in messages if m.startswith("Login failed")]
    assert failures == ["Login failed: username='officer' address=10.9.9.9"] * 5
    assert [m for m in messages if m.startswith("Login locked out")] == [
        "Login locked out: username='officer' address=10.9.9.9 for 15 minutes"
    ]
    assert {r.levelname for r in records if "failed" in r.getMessage()} == {"WARNING"}
    assert "s3cret-wrong-guess" not in caplog.text
    assert factories.PASSWORD not in caplog.text


# --- Session limits --------------------------------------------------------------

START = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC)


def _at(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def _session_writes(queries):
    return [
        q["sql"]
        for q in queries
        if "django_session" in q["sql"]
        and q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))
    ]


def _reads(queries):
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("SELECT")]


def test_production_sessions_last_twelve_hours_and_are_not_saved_on_every_request():
    assert REAL_SETTINGS.SESSION_COOKIE_AGE == 12 * 60 * 60
    assert datetime.timedelta(minutes=30) == REAL_SETTINGS.PORTAL_SESSION_IDLE_TIMEOUT
    assert datetime.timedelta(hours=12) == REAL_SETTINGS.PORTAL_SESSION_MAX_AGE
    assert not getattr(REAL_SETTINGS, "SESSION_SAVE_EVERY_REQUEST", False)
    middleware = REAL_SETTINGS.MIDDLEWARE
    assert middleware.index(
        "cooperation.middleware.SessionExpiryMiddleware"
    ) > middleware.index("django.contrib.messages.middleware.MessageMiddleware")


def test_the_login_starts_the_session_clock(client, officer):
    with _at(START):
        response = _login(client, "officer", factories.PASSWORD)
        session = dict(client.session.items())
    assert response.status_code == 302, response.context["form"].errors

    assert session[SESSION_LOGIN_AT] == int(START.timestamp())
    assert session[SESSION_SEEN_AT] == int(START.timestamp())


@PRODUCTION_SESSION_LIMITS
def test_requests_within_a_minute_do_not_write_the_session(client, officer):
    page = reverse("password_change")
    with _at(START):
        client.force_login(officer)
    cache.clear()
    with (
        _at(START + datetime.timedelta(seconds=59)),
        CaptureQueriesContext(connection) as within_a_minute,
    ):
        assert client.get(page).status_code == 200
    assert _session_writes(within_a_minute.captured_queries) == []

    # Both requests cold: what the first kept in the cache (the navigation bar's
    # counts) would spare the second some reads.
    cache.clear()
    with _at(START + datetime.timedelta(seconds=61)):
        with CaptureQueriesContext(connection) as after_a_minute:
            assert client.get(page).status_code == 200
        session = dict(client.session.items())

    assert len(_session_writes(after_a_minute.captured_queries)) == 1
    assert len(_reads(after_a_minute.captured_queries)) == len(
        _reads(within_a_minute.captured_queries)
    )
    assert session[SESSION_SEEN_AT] == int(START.timestamp()) + 61


@PRODUCTION_SESSION_LIMITS
def test_thirty_one_idle_minutes_log_the_user_out_with_a_message(client, officer):
    page = reverse("password_change")
    with _at(START):
        client.force_login(officer)

    with _at(START + datetime.timedelta(minutes=31)):
        response = client.get(page)
        assert response.status_code == 302
        assert response.url == f"{reverse('login')}?next={page}"
        assert not _logged_in(client)
        login_page = client.get(response.url)

    assert "after 30 minutes without activity" in login_page.text


@PRODUCTION_SESSION_LIMITS
def test_activity_every_twenty_minutes_keeps_the_session_for_eleven_hours(
    client, officer
):
    page = reverse("password_change")
    with _at(START):
        client.force_login(officer)

    for step in range(1, 34):  # 33 x 20 minutes = 11 hours
        with _at(START + datetime.timedelta(minutes=20 * step)):
            assert client.get(page).status_code == 200, step
            assert _logged_in(client)


@PRODUCTION_SESSION_LIMITS
def test_the_session_ends_twelve_hours_after_login_even_when_active(client, officer):
    page = reverse("password_change")
    with _at(START):
        client.force_login(officer)
    for step in range(1, 37):  # every 20 minutes up to 12 hours
        with _at(START + datetime.timedelta(minutes=20 * step)):
            assert client.get(page).status_code == 200, step

    with _at(START + datetime.timedelta(hours=12, minutes=1)):
        response = client.get(page)
        assert response.status_code == 302
        assert not _logged_in(client)
        login_page = client.get(response.url)

    assert "sessions last at most 12 hours" in login_page.text


@PRODUCTION_SESSION_LIMITS
def test_a_session_without_stamps_starts_its_clock_instead_of_ending(client, officer):
    client.force_login(officer)
    session = client.session
    del session[SESSION_LOGIN_AT]
    del session[SESSION_SEEN_AT]
    session.save()

    assert client.get(reverse("password_change")).status_code == 200
    assert SESSION_LOGIN_AT in client.session
    assert _logged_in(client)


# --- Password reset and change ---------------------------------------------------


def test_password_reset_mails_a_link_that_sets_a_new_password(
    client, officer, django_capture_on_commit_callbacks
):
    # The message is queued in the outbox; the delivery task sends it on commit.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("password_reset"), {"email": "officer@example.org"}
        )
        assert mail.outbox == []
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["officer@example.org"]
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", mail.outbox[0].body)
    assert link is not None

    form_page = client.get(link.group(1), follow=True)
    assert form_page.status_code == 200
    set_password_url = form_page.redirect_chain[-1][0]

    too_short = client.post(
        set_password_url,
        {"new_password1": "Zq8#vT2!pLm", "new_password2": "Zq8#vT2!pLm"},
    )
    assert too_short.status_code == 200
    assert "new_password2" in too_short.context["form"].errors
    officer.refresh_from_db()
    assert officer.check_password(factories.PASSWORD)

    done = client.post(
        set_password_url,
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert done.status_code == 302
    assert done.url == reverse("password_reset_complete")
    officer.refresh_from_db()
    assert officer.check_password(NEW_PASSWORD)


def test_password_reset_for_an_unknown_address_sends_nothing(client, officer):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})

    assert response.status_code == 302
    assert mail.outbox == []


def test_password_change_requires_the_old_password(client, officer):
    client.force_login(officer)
    page = reverse("password_change")

    wrong_old = client.post(
        page,
        {
            "old_password": "not-my-password",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert wrong_old.status_code == 200
    assert "old_password" in wrong_old.context["form"].errors
    officer.refresh_from_db()
    assert officer.check_password(factories.PASSWORD)

    too_short = client.post(
        page,
        {
            "old_password": factories.PASSWORD,
            "new_password1": "Zq8#vT2!pLm",
            "new_password2": "Zq8#vT2!pLm",
        },
    )
    assert too_short.status_code == 200
    assert "new_password2" in too_short.context["form"].errors

    changed = client.post(
        page,
        {
            "old_password": factories.PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert changed.status_code == 302
    officer.refresh_from_db()
    assert officer.check_password(NEW_PASSWORD)
    assert _logged_in(client)  # the session survives its own password change


# --- Admin second factor (django-otp) ---------------------------------------------


def test_production_settings_require_a_second_factor_for_the_admin():
    assert REAL_SETTINGS.PORTAL_ADMIN_REQUIRE_OTP is (not REAL_SETTINGS.DEBUG)
    assert REAL_SETTINGS.DEBUG is False
    middleware = REAL_SETTINGS.MIDDLEWARE
    auth = middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware")
    assert middleware[auth + 1] == "django_otp.middleware.OTPMiddleware"


def _token(device):
    value = totp(
        device.bin_key,
        step=device.step,
        t0=device.t0,
        digits=device.digits,
        drift=device.drift,
    )
    return f"{value:0{device.digits}d}"


@override_settings(PORTAL_ADMIN_REQUIRE_OTP=True)
def test_admin_sends_a_superuser_without_verified_device_to_the_otp_login(
    client, superuser
):
    client.force_login(superuser)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
    login_page = client.get(response.url)
    assert login_page.status_code == 200
    assert 'name="otp_token"' in login_page.text


@override_settings(PORTAL_ADMIN_REQUIRE_OTP=True)
def test_admin_opens_after_a_valid_totp_code_and_not_after_a_wrong_one(
    client, superuser
):
    device = TOTPDevice.objects.create(user=superuser, name="phone", confirmed=True)
    credentials = {
        "username": superuser.username,
        "password": factories.PASSWORD,
        "otp_device": device.persistent_id,
        "next": reverse("admin:index"),
    }
    good = _token(device)
    wrong = f"{(int(good) + 1) % 10**device.digits:0{device.digits}d}"

    refused = client.post(reverse("admin:login"), {**credentials, "otp_token": wrong})
    assert refused.status_code == 200
    assert refused.context["form"].errors
    assert client.get(reverse("admin:index")).status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    # django-otp throttles a device for a second after a wrong code; a real user
    # types the next code later than that.
    device.throttle_reset()

    accepted = client.post(reverse("admin:login"), {**credentials, "otp_token": good})
    assert accepted.status_code == 302
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200


@override_settings(PORTAL_ADMIN_REQUIRE_OTP=True)
def test_admin_refuses_a_password_login_without_a_code(client, superuser):
    TOTPDevice.objects.create(user=superuser, name="phone", confirmed=True)

    response = client.post(
        reverse("admin:login"),
        {"username": superuser.username, "password": factories.PASSWORD},
    )

    assert response.status_code == 200
    assert client.get(reverse("admin:index")).status_code == 302


def test_admin_without_the_otp_requirement_opens_for_a_signed_in_superuser(
    client, superuser
):
    assert settings.PORTAL_ADMIN_REQUIRE_OTP is False
    client.force_login(superuser)

    assert client.get(reverse("admin:index")).status_code == 200
