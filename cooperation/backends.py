from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class NationAwareModelBackend(ModelBackend):
    """Django's model backend, loading the user's nation with the user.

    Every page reads ``request.user.nation`` (navigation bar, releasability), so
    fetching it in the same query saves one query on each request.
    """

    def get_user(self, user_id):
        user_model = get_user_model()
        try:
            user = user_model._default_manager.select_related("nation").get(pk=user_id)
        except user_model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
