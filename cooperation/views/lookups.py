"""The searches behind the autocomplete choosers (``cooperation.widgets``).

``GET lookups/<kind>/?q=<term>`` answers ``{"results": [{"id": …, "text": …}]}``: at
most ``MAX_RESULTS`` records, in a stable order, read with one query whatever the
table holds. Initiatives, meetings and recommendations come from
``visible_to(request.user)`` only, so a withheld record is never offered; people are
the active users (any signed-in user may find a colleague by name). Signing in is
required (LoginRequiredMiddleware).
"""

from django.db.models import Q
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from cooperation.models import AssessmentMeeting, Initiative, Recommendation, User
from cooperation.widgets import user_label

MAX_RESULTS = 20
MAX_TERM_LENGTH = 100
MAX_WORDS = 5


def _term(request):
    """The search term, or None when it is not one a person could have typed."""
    term = request.GET.get("q", "")
    if len(term) > MAX_TERM_LENGTH or "\x00" in term:
        return None
    return term.strip()


def _answer(request, search):
    """Run ``search(term)`` (an iterable of (id, text)) and answer it as JSON."""
    term = _term(request)
    if term is None:
        return JsonResponse(
            {"results": [], "error": "The search term is not valid."}, status=400
        )
    results = [{"id": pk, "text": text} for pk, text in search(term)]
    return JsonResponse({"results": results})


@require_GET
def lookup_users(request):
    def search(term):
        people = User.objects.filter(is_active=True)
        for word in term.split()[:MAX_WORDS]:
            people = people.filter(
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(username__icontains=word)
            )
        people = (
            people.select_related("nation")
            .only(
                "pk",
                "first_name",
                "last_name",
                "username",
                "nation__name",
                "nation__iso_alpha2",
            )
            .order_by("last_name", "first_name", "username", "pk")
        )
        return [(person.pk, user_label(person)) for person in people[:MAX_RESULTS]]

    return _answer(request, search)


def _by_title(records, term, *ordering):
    """The (id, title) of the ``records`` whose title holds ``term``, in order."""
    if term:
        records = records.filter(title__icontains=term)
    return records.order_by(*ordering).values_list("pk", "title")[:MAX_RESULTS]


@require_GET
def lookup_initiatives(request):
    def search(term):
        initiatives = Initiative.objects.visible_to(request.user)
        return _by_title(initiatives, term, "title", "pk")

    return _answer(request, search)


@require_GET
def lookup_meetings(request):
    def search(term):
        meetings = AssessmentMeeting.objects.visible_to(request.user)
        return _by_title(meetings, term, "-starts_at", "pk")

    return _answer(request, search)


@require_GET
def lookup_recommendations(request):
    def search(term):
        recommendations = Recommendation.objects.visible_to(request.user)
        if term:
            recommendations = recommendations.filter(
                Q(reference__icontains=term) | Q(title__icontains=term)
            )
        rows = recommendations.order_by("-reference").values_list(
            "pk", "reference", "title"
        )[:MAX_RESULTS]
        return [(pk, f"{reference} {title}") for pk, reference, title in rows]

    return _answer(request, search)
