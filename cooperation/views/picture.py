"""The regional picture page; ``cooperation.picture`` reads the picture."""

from django.utils import timezone
from django.views.decorators.http import require_GET

from cooperation.charts import sparkline_grid
from cooperation.forms.picture import RegionalPictureForm
from cooperation.models import Recommendation
from cooperation.picture import active_focus_areas
from cooperation.picture import regional_picture as read_picture

from .common import kept_page


@require_GET
def regional_picture(request):
    """The regional picture; its content is kept rendered for a minute, shared by
    the readers of one releasability (``views.common.kept_page``)."""
    return kept_page(
        request,
        "cooperation/regional_picture.html",
        lambda: regional_picture_context(request),
        page={},
        per_reader=False,
    )


def regional_picture_context(request):
    today = timezone.localdate()
    focus_areas = active_focus_areas()
    form = RegionalPictureForm(
        request.GET or None, initial={"as_of": today}, focus_areas=focus_areas
    )
    choices = form.choices()
    as_of = choices.get("as_of", today)
    focus_slug = choices.get("focus_area")
    picture = read_picture(
        request.user,
        as_of=as_of,
        today=today,
        focus_areas=focus_areas,
        region=choices.get("region"),
        focus_slug=focus_slug,
    )
    return {
        "form": form,
        "as_of": as_of,
        "is_today": as_of == today,
        "focus_slug": focus_slug,
        "columns": picture.columns,
        "rows": picture.rows,
        "assessment_total": picture.assessment_total,
        "open_statuses": Recommendation.OPEN_STATUSES,
        "sparkline_grid": sparkline_grid(),
    }
