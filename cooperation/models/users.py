"""The portal's user: a person of one nation, with a time zone and a language."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cooperation.validators import (
    validate_time_zone,
)

from .nations import Nation

EMAIL_TAKEN = "email_taken"


class User(AbstractUser):
    nation = models.ForeignKey(
        Nation,
        verbose_name=_("nation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        help_text=_(
            "The nation this person serves. Without one, a person sees only records "
            "released to all partners."
        ),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
    )
    language = models.CharField(
        _("preferred language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        default="",
        help_text=_(
            "Empty: pages follow the language the browser asks for, and e-mail the "
            "nation's language."
        ),
    )

    calendar_token_hash = models.CharField(
        _("calendar feed token (SHA-256)"),
        max_length=64,
        blank=True,
        editable=False,
        help_text=_("Only the hash is kept; the secret is shown once, when made."),
    )

    objects = UserManager()
    # Password hashes and login times stay out of the audit trail.
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                fields=["calendar_token_hash"],
                condition=~models.Q(calendar_token_hash=""),
                name="user_unique_calendar_token",
            ),
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="user_unique_email_ci",
                violation_error_code=EMAIL_TAKEN,
                violation_error_message=_(
                    "Another account already uses this e-mail address."
                ),
            ),
        ]
        permissions = [
            (
                "view_all_records",
                _("Can view all records, whatever they are released to"),
            ),
            (
                "manage_releasability",
                _("Can change which nations a record is released to"),
            ),
        ]

    def __str__(self):
        return self.display_name(self.first_name, self.last_name, self.username)

    @staticmethod
    def display_name(first_name, last_name, username):
        """How a user is named (``str(user)``): their full name, else their username;
        for rows read as values (a large export names thousands of owners)."""
        return f"{first_name} {last_name}".strip() or username

    @classmethod
    def from_db(cls, db, field_names, values, **kwargs):
        user = super().from_db(db, field_names, values, **kwargs)
        # Whether the account was active when read, so that saving it can tell a
        # deactivation (which ends its sessions, see cooperation.user_sessions).
        # None when ``is_active`` was not loaded.
        user._stored_is_active = user.__dict__.get("is_active")
        return user

    def validate_constraints(self, exclude=None):
        """Report an address another account uses on the ``email`` field.

        A constraint over an expression (``Lower("email")``) reports its violation
        as a non-field error; forms show this one beside the address instead.
        """
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict({})
            general = errors.pop(NON_FIELD_ERRORS, [])
            taken = [e for e in general if e.code == EMAIL_TAKEN]
            if taken:
                errors.setdefault("email", []).extend(taken)
            rest = [e for e in general if e.code != EMAIL_TAKEN]
            if rest:
                errors[NON_FIELD_ERRORS] = rest
            raise ValidationError(errors) from error

    @property
    def mail_language(self):
        """The language of mail to this person, who reads it away from a browser:
        their preference, else their nation's first official language the portal
        speaks, else the portal's default."""
        if self.language:
            return self.language
        if self.nation is not None:
            for code in self.nation.language_codes:
                try:
                    return translation.get_supported_language_variant(code)
                except LookupError:
                    continue
        return settings.LANGUAGE_CODE
