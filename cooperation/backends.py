"""The authentication backend: Django's model backend, with the nation and the
permissions each request needs read cheaply."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import transaction

from cooperation import counts

# Replaced whenever a permission may have changed (``permissions_changed``).
PERMISSIONS_GENERATION_KEY = "cooperation:permissions-generation"


class NationAwareModelBackend(ModelBackend):
    """Django's model backend, loading the user's nation with the user, and keeping
    each user's permissions in the shared cache.

    Every page reads ``request.user.nation`` (navigation bar, releasability), so
    fetching it in the same query saves one query on each request. Every page also
    asks for permissions (releasability, menus, buttons), which Django reads with two
    queries per request; they are kept per user under a generation that any change of
    a group, a permission or a user's groups or permissions replaces (the receivers
    in ``connect_permission_signals``), and for at most COUNT_CACHE_SECONDS.
    """

    def get_user(self, user_id):
        user_model = get_user_model()
        try:
            user = user_model._default_manager.select_related("nation").get(pk=user_id)
        except user_model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        if obj is not None or not user_obj.is_active or user_obj.is_anonymous:
            return super().get_all_permissions(user_obj, obj)
        cached = getattr(user_obj, "_cooperation_permissions", None)
        if cached is None:
            generation = counts.token(PERMISSIONS_GENERATION_KEY)
            role = "superuser" if user_obj.is_superuser else "user"
            key = f"cooperation:permissions:{generation}:{user_obj.pk}:{role}"
            cached = counts.cache_get(key) if generation else None
            if cached is None:
                cached = super().get_all_permissions(user_obj)
                if generation:
                    counts.cache_set(key, cached, settings.COUNT_CACHE_SECONDS)
            user_obj._cooperation_permissions = cached
        return cached


@counts.batched_token
def _permissions_token(user_pk):
    return PERMISSIONS_GENERATION_KEY if user_pk else None


def permissions_changed(**kwargs):
    """Forget every user's cached permissions."""
    counts.replace_token(PERMISSIONS_GENERATION_KEY)
    transaction.on_commit(
        lambda: counts.replace_token(PERMISSIONS_GENERATION_KEY),
        using=kwargs.get("using"),
    )


def connect_permission_signals():
    from django.contrib.auth.models import Group, Permission
    from django.db.models.signals import m2m_changed, post_delete, post_save

    user_model = get_user_model()
    for through in (
        user_model.groups.through,
        user_model.user_permissions.through,
        Group.permissions.through,
    ):
        m2m_changed.connect(
            permissions_changed, sender=through, dispatch_uid=f"perms.{through}"
        )
    for model in (Group, Permission):
        for signal in (post_save, post_delete):
            signal.connect(
                permissions_changed, sender=model, dispatch_uid=f"perms.{model}"
            )
