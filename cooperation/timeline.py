"""A recommendation's timeline: status changes, progress updates and comments.

Entries the portal writes itself carry a ``code`` (``RecommendationUpdate.code``)
rather than a sentence, so each reader sees them in their own language; ``note``
holds only what a person wrote. The codes and their text live here, once.
"""

from django.utils.translation import gettext_lazy as _

from cooperation.models import RecommendationUpdate

# The codes of the system entries, and what each says in the reader's language.
RAISED = "raised"

SYSTEM_TEXT = {
    RAISED: _("Recommendation raised."),
}

# The sentences earlier versions stored as the note of a system entry, in each
# language a raise could have been written in (migration 0020 turns them into codes).
LEGACY_NOTES = {
    RAISED: (
        "Recommendation raised.",
        "Recomendación formulada.",
        "Recomendação emitida.",
    ),
}

# The latest entries a recommendation's page shows; older ones are counted.
TIMELINE_ROWS = 100


def system_text(code):
    """The text of the system entry ``code`` in the active language ("" for none;
    an unknown code shows as itself rather than as nothing)."""
    if not code:
        return ""
    return SYSTEM_TEXT.get(code, code)


def timeline(recommendation, *, limit=TIMELINE_ROWS):
    """``(entries, hidden)``: the latest ``limit`` entries of ``recommendation``'s
    timeline, oldest first, each with its author and its ``system_text``, and the
    number of older ones left out. Two queries at most: the entries (one more than
    shown, to know whether any is left out) and, only then, their count."""
    latest = list(
        RecommendationUpdate.objects.filter(recommendation=recommendation)
        .select_related("author")
        .order_by("-created_at", "-pk")[: limit + 1]
    )
    hidden = 0
    if len(latest) > limit:
        latest = latest[:limit]
        total = RecommendationUpdate.objects.filter(
            recommendation=recommendation
        ).count()
        hidden = total - limit
    latest.reverse()
    for entry in latest:
        entry.system_text = system_text(entry.code)
    return latest, hidden
