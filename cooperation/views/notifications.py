"""The signed-in user's notifications, how they are told, and what they follow."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cooperation.forms.notifications import NotificationPreferencesForm
from cooperation.forms.profile import ProfileForm
from cooperation.models import Notification
from cooperation.services import notifications as notification_services

from .access import get_recommendation_for

PAGE_SIZE = 50


@require_GET
def notification_list(request):
    """The user's notifications about records they may see, newest first, a page of
    ``PAGE_SIZE`` at a time; each is a sentence in the reader's language."""
    notifications = Notification.objects.visible_to(request.user).for_list()
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    for notification in page:
        notification.sentence = notification_services.notification_sentence(
            notification
        )
    return render(request, "cooperation/notification_list.html", {"page": page})


@require_POST
def notification_read(request, pk):
    """Mark one notification read; with ``open`` in the form, go to its record."""
    notification = get_object_or_404(
        Notification.objects.visible_to(request.user).for_list(), pk=pk
    )
    notification_services.notification_mark_read(
        notification=notification, acting_user=request.user
    )
    url = notification_services.notification_url(notification)
    if "open" in request.POST and url:
        return redirect(url)
    return redirect("cooperation:notification-list")


@require_POST
def notification_read_all(request):
    count = notification_services.notification_mark_all_read(acting_user=request.user)
    if count:
        messages.success(request, _("All your notifications are marked as read."))
    return redirect("cooperation:notification-list")


@require_POST
def notification_preferences(request):
    """Save how the user wants each kind told (the form is on the profile page)."""
    form = NotificationPreferencesForm(request.POST)
    if form.is_valid():
        try:
            notification_services.notification_set_preferences(
                user=request.user, choices=form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your notification choices were saved."))
            return redirect("cooperation:profile")
    return render(
        request,
        "cooperation/profile.html",
        {
            "form": ProfileForm(instance=request.user),
            "notification_form": form,
        },
        status=400,
    )


@require_POST
def recommendation_follow(request, reference):
    """Follow or (``follow=0``) stop following a recommendation the user sees."""
    recommendation = get_recommendation_for(request.user, reference)
    follow = request.POST.get("follow", "1") != "0"
    notification_services.recommendation_follow(
        recommendation=recommendation, acting_user=request.user, follow=follow
    )
    if follow:
        messages.success(
            request,
            _("You follow %(reference)s: you are told of its changes.")
            % {"reference": recommendation.reference},
        )
    else:
        messages.success(
            request,
            _("You no longer follow %(reference)s.")
            % {"reference": recommendation.reference},
        )
    return redirect(recommendation)
