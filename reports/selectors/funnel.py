"""The funnel of the leads received in a period: how many reached each stage, conversions between
every pair of stages, revenue, average deal, cycle time and the median time spent in each stage.

A lead counts at a stage when it carries that stage's timestamp (a hand-off undone by an upheld
dispute clears the timestamps of the lead, so it counts again only when it is handed off again).
Split by qualifier, a lead counts for the one who qualified it (kept through a return and a released
claim), else the one holding or closing it, else the one who first called it (common.FUNNEL_CREDIT).
Two queries: the groups and the total (medians cannot be added up from the groups), and the names
of the people when split by qualifier.
"""

import json

from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.utils.translation import gettext_lazy as _

from leadflow.db import Percentile, Seconds
from leadflow.models import Lead, LeadStatus, Source, Team
from qualification.models import Criterion, LeadAnswer

from .. import rollup
from .common import FUNNEL_CREDIT, credited_person_id, label_credited, minutes, ratio, users_by_id
from .drill import NO_VALUE, dim_value, narrow

STAGES = [
    ("received", _("Received"), Q()),
    ("called", _("Called"), Q(first_call_at__isnull=False)),
    ("qualified", _("Qualified"), Q(qualified_at__isnull=False)),
    ("handed_off", _("Handed off"), Q(handed_off_at__isnull=False)),
    ("accepted", _("Accepted"), Q(accepted_at__isnull=False)),
    ("measured", _("Measured"), Q(measured_at__isnull=False)),
    ("won", _("Won"), Q(status=LeadStatus.WON)),
]
STAGE_KEYS = [key for key, _label, _q in STAGES]

# figure key → the Q of the leads it counts: the funnel's counts and its drill-down list read the same Q
FIGURE_FILTERS = {f"funnel.{key}": q for key, _label, q in STAGES}
FIGURE_LABELS = {f"funnel.{key}": label for key, label, _q in STAGES}

# (key, label, end, start, only won leads)
STAGE_TIMES = [
    ("t_call", _("Received → first call"), "first_call_at", "received_at", False),
    ("t_qualify", _("First call → qualified"), "qualified_at", "first_call_at", False),
    ("t_handoff", _("Qualified → handed off"), "handed_off_at", "qualified_at", False),
    ("t_accept", _("Handed off → accepted"), "accepted_at", "handed_off_at", False),
    ("t_measure", _("Accepted → measured"), "measured_at", "accepted_at", False),
    ("t_close", _("Measured → won"), "closed_at", "measured_at", True),
]

GROUPINGS = {
    "team": (_("Team"), ("qualification_team_id", "qualification_team__name")),
    "qualifier": (_("Qualifier"), ("credited_id",)),
    "source": (_("Source"), ("source_id", "source__name")),
    "region": (_("Region"), ("region",)),
}


def funnel_aggregates():
    won = Q(status=LeadStatus.WON)
    aggregates = {}
    for key in STAGE_KEYS:
        q = FIGURE_FILTERS[f"funnel.{key}"]
        aggregates[key] = Count("pk", filter=q) if q else Count("pk")
    aggregates["revenue"] = Sum("deal_amount", filter=won)
    aggregates["cycle_p50"] = Percentile(Seconds("closed_at", "received_at"), 0.5, filter=won)
    for key, _label, end, start, only_won in STAGE_TIMES:
        aggregates[key] = Percentile(Seconds(end, start), 0.5, filter=won if only_won else None)
    return aggregates


def _finish(row):
    """Derived figures of one aggregated row (ratios of its own counts, minutes, days)."""
    row["avg_deal"] = (row["revenue"] / row["won"]) if row["won"] and row["revenue"] is not None else None
    row["cycle_days"] = None if row["cycle_p50"] is None else row["cycle_p50"] / 86400.0
    for key, *_rest in STAGE_TIMES:
        row[f"{key}_min"] = minutes(row[key])
    previous = None
    for key in STAGE_KEYS:
        if previous is not None:
            row[f"conv_{key}"] = ratio(row[key], row[previous])
        previous = key
    row["conv_total"] = ratio(row["won"], row["received"])
    return row


def criterion_choices():
    """Criteria whose answers split the funnel: choice and yes/no questions (numbers would not group)."""
    seen = {}
    for code, question in (
        Criterion.objects.filter(kind__in=[Criterion.Kind.CHOICE, Criterion.Kind.YES_NO])
        .order_by("code", "-checklist__version")
        .values_list("code", "question")
    ):
        seen.setdefault(code, question)
    return list(seen.items())


def answer_label(value):
    if value is True:
        return str(_("Yes"))
    if value is False:
        return str(_("No"))
    if value is None:
        return str(_("No answer"))
    return str(value)


# grouping → the row's field that names its group (the drill-down's `dim`)
DIMENSIONS = {"team": "qualification_team_id", "qualifier": "credited_id", "source": "source_id", "region": "region"}


def _grouped_base(leads, group_by):
    return leads.annotate(credited_id=credited_person_id(FUNNEL_CREDIT)) if group_by == "qualifier" else leads


CRITERION = "criterion:"  # the split by the answer to a checklist question: group_by=criterion:<code>


def _answer(code):
    """The lead's latest answer to the question `code` (a JSON value; None when not asked)."""
    answers = LeadAnswer.objects.filter(lead=OuterRef("pk"), criterion__code=code).order_by("-checklist_version")
    return Subquery(answers.values("value")[:1])


def funnel_dimension_value(row, group_by):
    """The row's `dim` for its drill-down link; None for the total (no dimension). A checklist
    answer's dim is its JSON ("true", "\"custom\""), NO_VALUE for no answer."""
    if group_by and group_by.startswith(CRITERION):
        if "answer" not in row:
            return None
        return NO_VALUE if row["answer"] is None else json.dumps(row["answer"], ensure_ascii=False)
    field_name = DIMENSIONS.get(group_by)
    if field_name is None or field_name not in row:
        return None
    return dim_value(row[field_name])


def funnel_drilldown(*, figure, leads, group_by=None, dim=None):
    """The leads a figure of the funnel counts: `leads` (the page's lead_base) narrowed by the row's
    group (`dim` of `group_by`, None for the total) and the figure's own Q (FIGURE_FILTERS).
    Raises KeyError for a figure or grouping the funnel does not have."""
    q = FIGURE_FILTERS[figure]
    if dim is not None and group_by and group_by.startswith(CRITERION):
        leads = leads.annotate(answer=_answer(group_by.removeprefix(CRITERION)))
        if dim == NO_VALUE:
            leads = leads.filter(answer__isnull=True)
        else:
            try:
                leads = leads.filter(answer=json.loads(dim))
            except ValueError:
                raise KeyError(dim) from None
    elif dim is not None:
        field_name = DIMENSIONS[group_by]
        leads = narrow(_grouped_base(leads, group_by), field_name, dim, text=field_name == "region")
    return leads.filter(q) if q else leads


def funnel_dimension_label(group_by, dim):
    """The name of a drill-down's row (one query at most)."""
    if group_by.startswith(CRITERION):
        return answer_label(None if dim == NO_VALUE else json.loads(dim))
    if dim == NO_VALUE or dim == "":
        return str(_("Not taken")) if group_by == "qualifier" else str(_("Not given"))
    if group_by == "region":
        return dim
    if group_by == "qualifier":
        return users_by_id([int(dim)]).get(int(dim), "—")
    model = Team if group_by == "team" else Source
    return model.objects.filter(pk=int(dim)).values_list("name", flat=True).first() or "—"


def funnel(*, leads, group_by="team", plan=None):
    """`leads`: the filtered Lead queryset of the period. Returns {'total', 'rows', 'matrix'}.
    `plan` (reports.rollup.funnel_plan): read the whole held months from the rollup."""
    if plan is not None:
        return funnel_from_rollup(plan=plan, leads=leads, group_by=group_by)
    total = _finish(leads.aggregate(**funnel_aggregates()))
    if group_by.startswith(CRITERION):
        grouped = leads.annotate(answer=_answer(group_by.removeprefix(CRITERION))).values("answer")
        rows = []
        for row in grouped.annotate(**funnel_aggregates()).order_by(F("answer").asc(nulls_last=True)):
            row["label"] = answer_label(row["answer"])
            rows.append(_finish(row))
    else:
        _title, fields = GROUPINGS[group_by]
        grouped = _grouped_base(leads, group_by)
        rows = []
        for row in grouped.values(*fields).annotate(**funnel_aggregates()).order_by("-received", fields[0]):
            if group_by == "region":
                row["label"] = row["region"] or str(_("Not given"))
            elif group_by != "qualifier":
                row["label"] = row[fields[1]]
            rows.append(_finish(row))
        if group_by == "qualifier":
            label_credited(rows, nobody=str(_("Not taken")))
    return {"total": total, "rows": rows, "matrix": conversion_matrix(total)}


def conversion_matrix(total):
    """Conversion from every stage to every later stage: rows 'from', columns 'to'."""
    matrix = []
    for i, (source, label, _q) in enumerate(STAGES):
        cells = {}
        for target, _tl, _tq in STAGES[i + 1 :]:
            cells[target] = ratio(total[target], total[source])
            cells[f"{target}_count"] = total[target]  # the share's numerator: its drill-down
        matrix.append({"stage": source, "label": str(label), "count": total[source], **cells})
    return matrix


def lead_base(*, report_filter, scope, date_field="received_at"):
    """Leads of the period (by `date_field`) the viewer may see, filters applied, merged duplicates out."""
    return Lead.objects.filter(
        report_filter.period.q(date_field),
        scope.leads(),
        report_filter.lead_q(),
        merged_into__isnull=True,
    )


def won_revenue_leads(*, report_filter, scope, basis):
    """The won deals on one basis: 'cohort' = leads received in the period (the funnel's), 'event' =
    deals closed in the period (sales, economics)."""
    date_field = "received_at" if basis == "cohort" else "closed_at"
    return lead_base(report_filter=report_filter, scope=scope, date_field=date_field).filter(status=LeadStatus.WON)


def won_revenue(*, report_filter, scope, basis):
    """Won deals and their sum on one basis (won_revenue_leads). One query; pages show both side by side.
    The cohort basis reads the rollup's held months when rollup_plan allows (the same sums exactly)."""
    if basis == "cohort":
        plan = rollup.rollup_plan(report_filter=report_filter, scope=scope)
        if plan is not None:
            leads = lead_base(report_filter=report_filter, scope=scope, date_field="received_at")
            sums = rollup.rollup_counts(plan, "total", leads=leads).get(None) or {"won": 0, "revenue": None}
            return {"won": sums["won"], "revenue": sums["revenue"]}
    leads = won_revenue_leads(report_filter=report_filter, scope=scope, basis=basis)
    return leads.aggregate(won=Count("pk"), revenue=Sum("deal_amount"))


# --- the same figures from the daily rollup (reports.rollup.funnel_plan decides when) --------------------

# grouping → (the rollup's dimension, the raw row's field holding the group)
ROLLUP_GROUP = {
    "team": ("team", "qualification_team_id"),
    "qualifier": ("funnel_person", "credited_id"),
    "source": ("source", "source_id"),
    "region": ("region", "region"),
}
COUNT_KEYS = [*STAGE_KEYS, "revenue"]
TOTAL_MEDIANS = [key for key, *_rest in STAGE_TIMES] + ["cycle_p50"]


def funnel_from_rollup(*, plan, leads, group_by):
    """The funnel of `leads` (the page's lead_base) from the rollup's whole held months and the raw rest:
    the counts and sums are the raw ones exactly, the medians read from histograms (within 1 %); the
    group rows carry the cycle median only (the one the page shows per group). Two queries on the
    rollup, two on the leads outside it (none when the period is whole held months), one for the names."""
    dimension, field_name = ROLLUP_GROUP[group_by]
    counts = rollup.rollup_counts(plan, dimension, leads=leads)
    wanted = {"total": TOTAL_MEDIANS, dimension: ("cycle_p50",)}
    histograms = rollup.rollup_histograms(plan, wanted, leads=leads)
    total = dict.fromkeys(COUNT_KEYS)
    rows = []
    for value, sums in counts.items():
        if not sums["received"]:
            continue
        row = {field_name: value, **{key: sums[key] for key in COUNT_KEYS}}
        for key in COUNT_KEYS:
            if row[key] is not None:
                total[key] = row[key] if total[key] is None else total[key] + row[key]
        for key in TOTAL_MEDIANS:
            row[key] = rollup.percentile_of(histograms, (dimension, value, key), 0.5)
        rows.append(_finish(row))
    for key in STAGE_KEYS:
        total[key] = total[key] or 0
    for key in TOTAL_MEDIANS:
        total[key] = rollup.percentile_of(histograms, ("total", None, key), 0.5)
    total = _finish(total)
    if group_by == "region":
        for row in rows:
            row["label"] = row["region"] or str(_("Not given"))
    elif group_by == "qualifier":
        label_credited(rows, nobody=str(_("Not taken")))
    else:
        model, name_field = (Team, "qualification_team__name") if group_by == "team" else (Source, "source__name")
        names = dict(model.objects.filter(pk__in=[v for v in counts if v is not None]).values_list("pk", "name"))
        for row in rows:
            row[name_field] = row["label"] = names.get(row[field_name])
    rows.sort(key=lambda row: (-row["received"], row[field_name] is None, str(row[field_name])))
    return {"total": total, "rows": rows, "matrix": conversion_matrix(total), "from_rollup": True}
