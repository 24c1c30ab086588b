from django.contrib import admin
from django.contrib.auth import urls as auth_urls
from django.contrib.auth import views as auth_views
from django.urls import include, path

from cooperation.forms.profile import OutboxPasswordResetForm

# Django's account pages; the password reset's message is queued in the outbox
# (sent by the task worker) instead of sent while the page waits.
account_patterns = [
    pattern for pattern in auth_urls.urlpatterns if pattern.name != "password_reset"
] + [
    path(
        "password_reset/",
        auth_views.PasswordResetView.as_view(form_class=OutboxPasswordResetForm),
        name="password_reset",
    ),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include(account_patterns)),
    path("", include("cooperation.urls")),
]
