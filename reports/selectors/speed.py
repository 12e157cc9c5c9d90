"""Speed to lead: how fast the first call came, split into the system's part and the people's part.

- system part = received → claimed (routing, queue, the team's closed hours);
- people part = claimed → first call (only when the call came after the claim);
- the SLA shares compare the first call with the lead's own deadlines `sla_warn_at` / `sla_breach_at`,
  which intake computed in the team's working hours, so a lead received at night is not late at 9:05.
  A lead counts in the denominator once it is decided: called, or its breach deadline has passed.
- medians and p90 are wall-clock minutes (percentile_cont).
- split by qualifier, a lead counts for the one who made its first call (kept when the claim is
  released), else the one holding it now; never called nor held: "Not taken" (common.SPEED_CREDIT).
"""

from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, Q
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leadflow.db import Percentile, Seconds
from qualification.models import CallAttempt

from .common import SPEED_CREDIT, credited_person_id, label_credited, minutes, ratio, users_by_id
from .drill import dim_value, narrow

GROUPINGS = {
    "team": (_("Team"), ("qualification_team_id", "qualification_team__name")),
    "qualifier": (_("Qualifier"), ("credited_id",)),
    "source": (_("Source"), ("source_id", "source__name")),
    "hour": (_("Hour of day"), ("hour",)),
}


FIGURES = ("leads", "called", "decided", "within_warn", "within_breach")


def figure_filters(now):
    """figure key → the Q of the leads it counts (of the page's leads): the counts and the drill-down."""
    called = Q(first_call_at__isnull=False)
    return {
        "speed.leads": Q(),
        "speed.called": called,
        "speed.decided": called | Q(sla_breach_at__lt=now),
        "speed.within_warn": Q(first_call_at__lte=F("sla_warn_at")),
        "speed.within_breach": Q(first_call_at__lte=F("sla_breach_at")),
    }


def speed_aggregates(now):
    after_claim = Q(first_call_at__gte=F("claimed_at"))
    total = Seconds("first_call_at", "received_at")
    system = Seconds("claimed_at", "received_at")
    people = Seconds("first_call_at", "claimed_at")
    return {
        **{key.split(".", 1)[1]: Count("pk", filter=q) if q else Count("pk") for key, q in figure_filters(now).items()},
        "first_call_p50": Percentile(total, 0.5),
        "first_call_p90": Percentile(total, 0.9),
        "system_p50": Percentile(system, 0.5),
        "system_p90": Percentile(system, 0.9),
        "people_p50": Percentile(people, 0.5, filter=after_claim),
        "people_p90": Percentile(people, 0.9, filter=after_claim),
    }


def finish_speed_row(row):
    row["warn_share"] = ratio(row["within_warn"], row["decided"])
    row["breach_share"] = ratio(row["within_breach"], row["decided"])
    for key in ("first_call_p50", "first_call_p90", "system_p50", "system_p90", "people_p50", "people_p90"):
        row[f"{key}_min"] = minutes(row[key])
    return row


# grouping → the row's field naming its group (the drill-down's `dim`); "week": the trend's rows (the
# Monday, YYYY-MM-DD), "heat": the weekday × hour cells ("<ISO weekday>-<hour>")
DIMENSIONS = {"team": "qualification_team_id", "qualifier": "credited_id", "source": "source_id", "hour": "hour"}


def _annotated(leads, group_by):
    if group_by == "hour":
        return leads.annotate(hour=ExtractHour("received_at"))
    if group_by == "qualifier":
        return leads.annotate(credited_id=credited_person_id(SPEED_CREDIT))
    if group_by == "heat":
        return leads.annotate(weekday=ExtractIsoWeekDay("received_at"), hour=ExtractHour("received_at"))
    return leads


def speed_dimension_value(row, group_by):
    if group_by == "week":
        return timezone.localtime(row["week"]).date().isoformat() if timezone.is_aware(row["week"]) else None
    if group_by == "heat":
        return f"{row['weekday']}-{row['hour']}"
    field_name = DIMENSIONS.get(group_by)
    return None if field_name is None or field_name not in row else dim_value(row[field_name])


def speed_drilldown(*, figure, leads, group_by=None, dim=None, now=None):
    """The leads a figure of the speed page counts in one row (dim None: the total); `leads` is the
    page's lead_base. KeyError for a figure, grouping or row the page does not have."""
    q = figure_filters(now or timezone.now())[figure]
    if dim is not None:
        try:
            if group_by == "week":
                monday = timezone.make_aware(datetime.combine(date.fromisoformat(dim), time()))
                leads = leads.filter(received_at__gte=monday, received_at__lt=monday + timedelta(days=7))
            elif group_by == "heat":
                weekday, hour = (int(part) for part in dim.split("-"))
                leads = _annotated(leads, group_by).filter(weekday=weekday, hour=hour)
            else:
                leads = narrow(_annotated(leads, group_by), DIMENSIONS[group_by], dim)
        except ValueError:
            raise KeyError(dim) from None
    return leads.filter(q)


def speed(*, leads, group_by="team", now=None):
    """Total, one row per group, the weekday × hour heatmap and the weekly trend: four queries (five
    split by qualifier: the people's names)."""
    now = now or timezone.now()
    aggregates = speed_aggregates(now)
    total = finish_speed_row(leads.aggregate(**aggregates))

    _title, fields = GROUPINGS[group_by]
    grouped = _annotated(leads, group_by)
    rows = []
    for row in grouped.values(*fields).annotate(**aggregates).order_by(fields[0]):
        if group_by == "hour":
            row["label"] = f"{row['hour']:02d}:00"
        elif group_by != "qualifier":
            row["label"] = row[fields[1]]
        rows.append(finish_speed_row(row))
    if group_by == "qualifier":
        label_credited(rows, nobody=str(_("Not taken")))

    heat = {}
    for row in (
        _annotated(leads, "heat")
        .values("weekday", "hour")
        .annotate(leads=Count("pk"), first_call_p50=Percentile(Seconds("first_call_at", "received_at"), 0.5))
        .order_by()
    ):
        heat[(row["weekday"], row["hour"])] = {"leads": row["leads"], "p50_min": minutes(row["first_call_p50"])}

    trend = [
        finish_speed_row(row)
        for row in leads.annotate(week=TruncWeek("received_at")).values("week").annotate(**aggregates).order_by("week")
    ]
    return {"total": total, "rows": rows, "heatmap": heat, "trend": trend}


def calls_by_hand(*, leads):
    """Calls on the page's leads by who made them: all, logged by hand (outside the PBX and the
    webhook), and the share by hand. One query, plus one for the people's names."""
    rows = list(
        CallAttempt.objects.filter(lead__in=leads.values("pk"))
        .values("actor_id")
        .annotate(calls=Count("pk"), by_hand=Count("pk", filter=Q(channel=CallAttempt.Channel.MANUAL)))
        .order_by("actor_id")
    )
    names = users_by_id([row["actor_id"] for row in rows if row["actor_id"]])
    for row in rows:
        row["label"] = names.get(row["actor_id"]) or str(_("Telephony, operator unknown"))
        row["by_hand_share"] = ratio(row["by_hand"], row["calls"])
    total = {"calls": sum(r["calls"] for r in rows), "by_hand": sum(r["by_hand"] for r in rows)}
    total["by_hand_share"] = ratio(total["by_hand"], total["calls"])
    return rows, total
