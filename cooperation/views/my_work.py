"""My work: what the signed-in user owes, read by ``cooperation.my_work``."""

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from cooperation import my_work as reads


@require_GET
def my_work(request):
    return render(
        request,
        "cooperation/my_work.html",
        {
            "work": reads.my_work(request.user, limit=reads.PAGE_ROWS),
            "today": timezone.localdate(),
        },
    )
