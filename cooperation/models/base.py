"""Releasability: who may see a record, and the QuerySets that enforce it."""

from typing import NamedTuple

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from cooperation.counts import cached_count

from .nations import Nation

VIEW_ALL_PERMISSION = "cooperation.view_all_records"
MANAGE_RELEASABILITY_PERMISSION = "cooperation.manage_releasability"


class Bounded(NamedTuple):
    """The first rows of a list a page shows, and the number of all its rows."""

    rows: list
    total: int


def bounded(queryset, limit):
    """At most ``limit`` rows of ``queryset`` and its total, so a panel links to the
    filtered list for the rest: one query for the rows, and the count computed once
    per data generation (``cooperation.counts``)."""
    return Bounded(rows=list(queryset[:limit]), total=cached_count(queryset))


class ReleasableQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Records released to ``user``'s nation or to all partners.

        Superusers and holders of ``cooperation.view_all_records`` see everything; a
        user without a nation sees only records released to all partners; anonymous
        or inactive users see nothing.
        """
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser or user.has_perm(VIEW_ALL_PERMISSION):
            return self
        condition = Q(released_to_all=True)
        if user.nation_id is not None:
            through = self.model.released_to.through
            source = self.model._meta.model_name
            condition |= Exists(
                through.objects.filter(
                    **{f"{source}_id": OuterRef("pk"), "nation_id": user.nation_id}
                )
            )
        return self.filter(condition)


class ChildQuerySet(models.QuerySet):
    """QuerySet of a record that has no releasability of its own but follows parents.

    ``parents`` names the foreign keys to releasable models; a row is visible when
    every parent is visible.
    """

    parents = ()

    def visible_to(self, user):
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        queryset = self
        for field_name in self.parents:
            parent_model = self.model._meta.get_field(field_name).related_model
            queryset = queryset.filter(
                **{
                    f"{field_name}__in": parent_model.objects.visible_to(user).values(
                        "pk"
                    )
                }
            )
        return queryset


class Releasable(models.Model):
    released_to_all = models.BooleanField(
        _("released to all partners"),
        default=False,
        help_text=_("When set, every partner nation may see this record."),
    )
    released_to = models.ManyToManyField(
        Nation,
        verbose_name=_("released to"),
        blank=True,
        related_name="%(class)s_releases",
        help_text=_(
            "The nations this record is released to, when not to all partners."
        ),
    )

    class Meta:
        abstract = True

    def is_visible_to(self, user):
        return type(self).objects.visible_to(user).filter(pk=self.pk).exists()


class TimeStamped(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True
