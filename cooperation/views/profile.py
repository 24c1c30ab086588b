from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cooperation.forms.notifications import NotificationPreferencesForm
from cooperation.forms.profile import LanguageForm, ProfileForm
from cooperation.models.nations import collation_key
from cooperation.roles import role_label
from cooperation.services.accounts import user_update_profile
from cooperation.services.notifications import notification_preferences


def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            user_update_profile(
                user=request.user,
                acting_user=request.user,
                **{name: form.cleaned_data[name] for name in ProfileForm.Meta.fields},
            )
        except ValidationError as error:
            # Another account took the address since the form was checked.
            form.add_error(None, error)
        else:
            messages.success(request, _("Your profile was saved."))
            return redirect("cooperation:profile")
    notification_form = NotificationPreferencesForm(
        initial=notification_preferences(user=request.user)
    )
    return render(
        request,
        "cooperation/profile.html",
        {
            "form": form,
            "notification_form": notification_form,
            # The roles named in the reader's language.
            "roles": sorted(
                (role_label(group) for group in request.user.groups.all()),
                key=collation_key,
            ),
        },
        status=400 if form.is_bound else 200,
    )


@require_POST
def language_switch(request):
    """Switch the interface language and remember it on the user's profile."""
    form = LanguageForm(request.POST)
    next_url = request.POST.get("next", "")
    # A path on this site only: redirect() would read anything else without a "/"
    # as a URL name and fail with NoReverseMatch.
    if not next_url.startswith("/") or not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "cooperation:dashboard"
    if form.is_valid():
        request.user.language = form.cleaned_data["language"]
        request.user.save(update_fields=["language"])
    else:
        messages.error(request, _("Choose one of the offered languages."))
    return redirect(next_url)
