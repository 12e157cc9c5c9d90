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

from django.db.models import Count, F, Q
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leadflow.db import Percentile, Seconds

from .common import SPEED_CREDIT, credited_person_id, label_credited, minutes, ratio

GROUPINGS = {
    "team": (_("Team"), ("qualification_team_id", "qualification_team__name")),
    "qualifier": (_("Qualifier"), ("credited_id",)),
    "source": (_("Source"), ("source_id", "source__name")),
    "hour": (_("Hour of day"), ("hour",)),
}


def speed_aggregates(now):
    called = Q(first_call_at__isnull=False)
    after_claim = Q(first_call_at__gte=F("claimed_at"))
    total = Seconds("first_call_at", "received_at")
    system = Seconds("claimed_at", "received_at")
    people = Seconds("first_call_at", "claimed_at")
    return {
        "leads": Count("pk"),
        "called": Count("pk", filter=called),
        "decided": Count("pk", filter=called | Q(sla_breach_at__lt=now)),
        "within_warn": Count("pk", filter=Q(first_call_at__lte=F("sla_warn_at"))),
        "within_breach": Count("pk", filter=Q(first_call_at__lte=F("sla_breach_at"))),
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


def speed(*, leads, group_by="team", now=None):
    """Total, one row per group, the weekday × hour heatmap and the weekly trend: four queries (five
    split by qualifier: the people's names)."""
    now = now or timezone.now()
    aggregates = speed_aggregates(now)
    total = finish_speed_row(leads.aggregate(**aggregates))

    _title, fields = GROUPINGS[group_by]
    grouped = leads
    if group_by == "hour":
        grouped = leads.annotate(hour=ExtractHour("received_at"))
    elif group_by == "qualifier":
        grouped = leads.annotate(credited_id=credited_person_id(SPEED_CREDIT))
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
        leads.annotate(weekday=ExtractIsoWeekDay("received_at"), hour=ExtractHour("received_at"))
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
