"""Find a time: the best slots for chosen nations and attendees, fewest warnings first.

A GET form, so a search can be bookmarked; each proposed slot links to the meeting
form with the time, duration, zone, nations and attendees filled in (and, for a
series, its repetition). A series is searched over all its occurrences.
"""

import datetime
from dataclasses import dataclass

from django.contrib.auth.decorators import permission_required
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from cooperation.forms.meetings import RepeatForm
from cooperation.forms.scheduling import FindTimeForm
from cooperation.services.meetings import series_occurrence_dates
from cooperation.services.scheduling import Slot, meeting_find_slots

PROPOSED_SLOTS = 10


@dataclass(frozen=True)
class ProposedSlot:
    rank: int
    slot: Slot
    use_url: str

    @property
    def starts_at(self):
        return self.slot.starts_at

    @property
    def ends_at(self):
        return self.slot.ends_at

    @property
    def warnings(self):
        return self.slot.warnings

    @property
    def occurrences(self):
        """Every occurrence's start, for a series; [] for one meeting."""
        if len(self.slot.occurrences) < 2:
            return []
        return [start for start, _end in self.slot.occurrences]


def use_this_time_url(slot, *, duration, time_zone, nations, attendees, repeat=None):
    """The meeting form, filled in with this slot (the start as ISO 8601 UTC) and,
    for a series, its "Repeat" section (``RepeatForm``'s fields)."""
    params = {
        "starts_at": slot.starts_at.astimezone(datetime.UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        ),
        "duration": duration,
        "time_zone": time_zone,
        "nations": [nation.iso_alpha2 for nation in nations],
        "attendees": [person.pk for person in attendees],
    }
    if repeat is not None:
        frequency, interval, count = repeat
        prefix = RepeatForm.prefix
        params |= {
            f"{prefix}-frequency": frequency,
            f"{prefix}-interval": interval,
            f"{prefix}-ends": RepeatForm.ENDS_AFTER_COUNT,
            f"{prefix}-count": count,
        }
    query = urlencode(params, doseq=True)
    return f"{reverse('cooperation:meeting-create')}?{query}"


def series_dates(repeat):
    """Given a first day, the days of a series' occurrences (None: one meeting)."""
    if repeat is None:
        return None
    frequency, interval, count = repeat

    def dates(first_day):
        return series_occurrence_dates(
            frequency=frequency, interval=interval, starts_on=first_day, count=count
        )

    return dates


@require_GET
@permission_required("cooperation.add_assessmentmeeting", raise_exception=True)
def meeting_find_time(request):
    form = FindTimeForm(request.GET or None, user=request.user)
    proposals = None
    nations = attendees = ()
    time_zone = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        nations = list(data["nations"])
        attendees = list(data["attendees"])
        time_zone = data["time_zone"]
        repeat = form.repeat()
        slots = meeting_find_slots(
            nations=nations,
            attendees=attendees,
            duration=datetime.timedelta(minutes=data["duration"]),
            first_day=data["first_day"],
            last_day=data["last_day"],
            time_zone=time_zone,
            user=request.user,
            limit=PROPOSED_SLOTS,
            not_before=timezone.now(),
            repeat_dates=series_dates(repeat),
        )
        proposals = [
            ProposedSlot(
                rank=rank,
                slot=slot,
                use_url=use_this_time_url(
                    slot,
                    duration=data["duration"],
                    time_zone=time_zone,
                    nations=nations,
                    attendees=attendees,
                    repeat=repeat,
                ),
            )
            for rank, slot in enumerate(slots, start=1)
        ]
    return render(
        request,
        "cooperation/meeting_find_time.html",
        {
            "form": form,
            "proposals": proposals,
            "chosen_nations": nations,
            "meeting_zone": time_zone,
        },
    )
