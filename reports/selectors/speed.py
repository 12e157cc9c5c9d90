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
from leadflow.models import Source, Team
from qualification.models import CallAttempt

from .. import rollup
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


def speed(*, leads, group_by="team", now=None, plan=None):
    """Total, one row per group, the weekday × hour heatmap and the weekly trend: four queries (five
    split by qualifier: the people's names). `plan` (reports.rollup.speed_plan): read the whole held
    months from the rollup."""
    now = now or timezone.now()
    if plan is not None:
        result = speed_from_rollup(plan=plan, leads=leads, group_by=group_by, now=now)
        if result is not None:
            return result
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


# --- the same figures from the daily rollup (reports.rollup.speed_plan decides when) ---------------------

# grouping → (the rollup's dimension, the raw row's field holding the group)
ROLLUP_GROUP = {
    "team": ("team", "qualification_team_id"),
    "qualifier": ("speed_person", "credited_id"),
    "source": ("source", "source_id"),
    "hour": ("hour", "hour"),
}
# the rollup's metric → the raw row's p50 and p90 of it
PERCENTILES_BY_METRIC = {
    metric: (f"{name}_p50", f"{name}_p90")
    for metric, name in (("t_call", "first_call"), ("system", "system"), ("people", "people"))
}


def _speed_row(sums, histograms, key):
    dimension, value = key
    row = {
        "leads": sums["received"],
        "called": sums["called"],
        "decided": sums["called"] + sums["uncalled_decided"],
        "within_warn": sums["within_warn"],
        "within_breach": sums["within_breach"],
    }
    for metric, names in PERCENTILES_BY_METRIC.items():
        values = rollup.percentiles_of(histograms, (dimension, value, metric), (0.5, 0.9))
        row.update(zip(names, values, strict=True))
    return row


def speed_from_rollup(*, plan, leads, group_by, now):
    """The speed page's figures of `leads` from the rollup's whole held months and the raw rest: counts
    exactly the raw ones, medians and p90 from histograms (within 1 %). None when a held day still has
    a lead not called whose breach deadline is to come (its "decided" is only known raw)."""
    dimension, field_name = ROLLUP_GROUP[group_by]
    counts = {
        name: rollup.rollup_counts(plan, name, leads=leads, now=now) for name in ("total", dimension, "slot", "week")
    }
    if any(row["uncalled_decided"] is None for rows in counts.values() for row in rows.values()):
        return None
    metrics = rollup.SPEED_METRICS
    wanted = {"total": metrics, dimension: metrics, "slot": ("t_call",), "week": metrics}
    histograms = rollup.rollup_histograms(plan, wanted, leads=leads)
    empty = {**dict.fromkeys(rollup.COUNTS, 0), "uncalled_decided": 0}
    total = finish_speed_row(_speed_row(counts["total"].get(None, empty), histograms, ("total", None)))
    rows = []
    for value, sums in counts[dimension].items():
        if sums["received"]:
            rows.append(finish_speed_row({field_name: value, **_speed_row(sums, histograms, (dimension, value))}))
    rows.sort(key=lambda row: (row[field_name] is None, row[field_name] or 0))
    if group_by == "hour":
        for row in rows:
            row["label"] = f"{row['hour']:02d}:00"
    elif group_by == "qualifier":
        label_credited(rows, nobody=str(_("Not taken")))
    else:
        model, name_field = (Team, "qualification_team__name") if group_by == "team" else (Source, "source__name")
        names = dict(
            model.objects.filter(pk__in=[row[field_name] for row in rows if row[field_name]]).values_list("pk", "name")
        )
        for row in rows:
            row[name_field] = row["label"] = names.get(row[field_name])
    heat = {}
    for slot, sums in counts["slot"].items():
        if sums["received"]:
            p50 = rollup.percentile_of(histograms, ("slot", slot, "t_call"), 0.5)
            heat[(slot // 100, slot % 100)] = {"leads": sums["received"], "p50_min": minutes(p50)}
    tz = timezone.get_current_timezone()
    trend = []
    for monday in sorted(week for week, sums in counts["week"].items() if sums["received"]):
        row = _speed_row(counts["week"][monday], histograms, ("week", monday))
        trend.append(finish_speed_row({"week": datetime.combine(monday, time(), tzinfo=tz), **row}))
    return {"total": total, "rows": rows, "heatmap": heat, "trend": trend, "from_rollup": True}


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
