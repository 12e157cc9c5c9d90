"""The reps' calendar, a rep's day and the free slots for a visit."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy

from leadflow import roles
from leadflow.models import WorkingHours
from leadflow.people import display_name
from leadflow.workhours import WorkCalendar
from qualification.models import HandoffSummary, LeadAnswer

from ..models import Visit
from ..scheduling import Slot, free_starts, visit_minutes
from .board import answer_display

User = get_user_model()


# --- calendar and free slots -----------------------------------------------------------------------


def week_start(day: date):
    return day - timedelta(days=day.weekday())


def week_calendar(*, start: date, reps):
    """Visits of `reps` in the week from `start` (Monday), as {rep_id: {date: [visits]}} and the days."""
    tz = timezone.get_current_timezone()
    begin = datetime.combine(start, time.min, tz)
    end = begin + timedelta(days=7)
    days = [start + timedelta(days=offset) for offset in range(7)]
    grid = {rep.pk: {day: [] for day in days} for rep in reps}
    visits = (
        Visit.objects.filter(rep__in=[rep.pk for rep in reps], starts_at__gte=begin, starts_at__lt=end)
        .exclude(status__in=[Visit.Status.RESCHEDULED, Visit.Status.CANCELLED])
        .select_related("lead", "rep")
        .order_by("starts_at")
    )
    for visit in visits:
        day = timezone.localtime(visit.starts_at, tz).date()
        grid.setdefault(visit.rep_id, {}).setdefault(day, []).append(visit)
    return days, grid


# What was agreed on the call, as the rep's day shows it: (criterion code, the label it goes by).
DAY_CRITERIA = (
    ("product_type", gettext_lazy("Kitchen")),
    ("budget", gettext_lazy("Budget")),
    ("timeline", gettext_lazy("Timeline")),
)


@dataclass
class DayVisit:
    """One visit on the rep's day, with what the qualifier agreed with the client on the call."""

    visit: Visit
    agreed: list  # [(label, value)] in DAY_CRITERIA order, only the answered ones
    note: str  # the qualifier's hand-off note
    best_time: str

    @property
    def lead(self):
        return self.visit.lead

    @property
    def address(self):
        return self.visit.address or self.visit.lead.address


def day_visits(*, day: date, rep=None):
    """The visits of `day` (of `rep`, or of every rep) in time order, each with the checklist answers
    and the qualifier's note: three queries whatever the number of visits."""
    tz = timezone.get_current_timezone()
    begin = datetime.combine(day, time.min, tz)
    visits = (
        Visit.objects.filter(starts_at__gte=begin, starts_at__lt=begin + timedelta(days=1))
        .exclude(status__in=[Visit.Status.RESCHEDULED, Visit.Status.CANCELLED])
        .select_related("lead", "rep")
        .prefetch_related(
            Prefetch(
                "lead__answers",
                queryset=LeadAnswer.objects.select_related("criterion").filter(
                    criterion__code__in=[code for code, _label in DAY_CRITERIA]
                ),
                to_attr="day_answers",
            ),
            Prefetch(
                "lead__handoff_summaries",
                queryset=HandoffSummary.objects.order_by("-created_at", "-pk"),
                to_attr="summaries",
            ),
        )
        .order_by("starts_at", "pk")
    )
    if rep is not None:
        visits = visits.filter(rep=rep)
    rows = []
    for visit in visits:
        lead = visit.lead
        answers = {answer.criterion.code: answer_display(answer) for answer in lead.day_answers}
        agreed = [(str(label), answers[code]) for code, label in DAY_CRITERIA if answers.get(code)]
        if "product_type" not in answers and lead.product_interest:
            agreed.insert(0, (str(DAY_CRITERIA[0][1]), lead.get_product_interest_display()))
        summary = lead.summaries[0] if lead.summaries else None
        rows.append(
            DayVisit(
                visit=visit,
                agreed=agreed,
                note=summary.note if summary else "",
                best_time=summary.best_time_to_visit if summary else "",
            )
        )
    return rows


def visit_free_slots(*, sales_team, start: date, days: int = 7, rep=None, now=None):
    """Free measurement slots of the team's reps (or one rep) from `start`, over `days` days.

    A slot fits the team's working hours (WorkCalendar: time zone, weekdays, public holidays), lasts
    a visit, and keeps the travel buffer from the rep's other visits. Three queries in all.
    """
    now = now or timezone.now()
    team = sales_team
    calendar = WorkCalendar(
        time_zone=team.time_zone,
        windows={wh.weekday: (wh.opens_at, wh.closes_at) for wh in WorkingHours.objects.filter(team=team)},
        skip_holidays=team.skip_public_holidays,
    )
    reps = (
        [rep]
        if rep is not None
        else list(
            User.objects.filter(
                is_active=True, groups__name=roles.SALES_REP, profile__team=team, profile__is_available=True
            )
            .distinct()
            .order_by("first_name", "last_name", "username")
        )
    )
    first_day = datetime.combine(start, time.min, calendar.tz)
    busy = defaultdict(list)
    for rep_id, starts_at, ends_at in Visit.objects.filter(
        rep__in=[r.pk for r in reps],
        status__in=Visit.BUSY_STATUSES,
        starts_at__lt=first_day + timedelta(days=days + 1),
        ends_at__gt=first_day - timedelta(days=1),
    ).values_list("rep_id", "starts_at", "ends_at"):
        busy[rep_id].append((starts_at, ends_at))
    slots = []
    length = timedelta(minutes=visit_minutes())
    for offset in range(days):
        day = start + timedelta(days=offset)
        for person in reps:
            for starts_at in free_starts(calendar, day, busy[person.pk], not_before=now):
                slots.append(Slot(rep=person, starts_at=starts_at, ends_at=starts_at + length))
    slots.sort(key=lambda slot: (slot.starts_at, display_name(slot.rep)))
    return slots
