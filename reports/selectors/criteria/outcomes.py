"""The page's figures: the cohort grouped per attribute and answer, from the rollup's held days and raw."""

import bisect
import json

from django.db.models import (
    Exists,
    OuterRef,
    Q,
    Sum,
)
from django.utils.translation import gettext_lazy as _

from leadflow.models import ProductInterest, Source
from qualification.models import Criterion

from ... import stats
from ..common import ratio
from ..funnel import lead_base
from .figures import (
    ATTRIBUTES,
    FIGURE_KEYS,
    aggregates,
    figure_q,
    latest_answers,
    min_handoffs,
    stale_raw_leads,
    with_flags,
)
from .questions import answers_of, questions

# --- the page's figures ------------------------------------------------------------------------------


def _finish(row, total):
    """Rates, interval, the rest and the verdicts of one aggregated row."""
    for key in (*FIGURE_KEYS, "revenue"):
        row[key] = row.get(key) or 0
    row["win_rate"] = ratio(row["won"], row["handoffs"])
    row["low"], row["high"] = stats.wilson_interval(row["won"], row["handoffs"])
    rest_handoffs = total["handoffs"] - row["handoffs"]
    row["rest_handoffs"] = rest_handoffs
    row["rest_won"] = total["won"] - row["won"]
    row["rest_rate"] = ratio(row["rest_won"], rest_handoffs)
    row["revenue_per_handoff"] = ratio(row["revenue"], row["handoffs"])
    row["rest_revenue_per_handoff"] = ratio((total["revenue"] or 0) - row["revenue"], rest_handoffs)
    row["verdict"] = stats.interval_verdict(
        row["won"], row["handoffs"], row["rest_won"], rest_handoffs, min_trials=min_handoffs()
    )
    row["wasted"] = row["verdict"] == stats.BELOW
    rest_comeback, rest_disqualified = total["comeback"] - row["comeback"], total["disqualified"] - row["disqualified"]
    row["comeback_rate"] = ratio(row["comeback"], row["disqualified"])
    row["rest_comeback_rate"] = ratio(rest_comeback, rest_disqualified)
    row["costly"] = (
        row["comeback"] > 0
        and stats.interval_verdict(
            row["comeback"], row["disqualified"], rest_comeback, rest_disqualified, min_trials=min_handoffs()
        )
        == stats.ABOVE
    )
    row["flagged"] = row["wasted"] or row["costly"]
    return row


PAGE_SUMS = (*FIGURE_KEYS, "revenue")
RULE_SUMS = (*PAGE_SUMS, "handed_measured", "visits", "visit_seconds", "measured_no_visit")


def _as_number(value):
    """A JSON answer as a number (None for a string, a boolean or nothing), as JsonNumber in SQL."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def grouped_rows(*, leads, extra=None, visits=False, only=None):
    """The cohort `leads` summed per dimension: [{'dimension', 'key', 'num', *extra, the sums}] for the total
    ('total'), each attribute's values ('a:<attribute>', key = the value as text, '' for none) and each
    question's latest answers ('q:<code>': a choice or yes/no by its JSON `key`, a number by `num`).
    `extra`: {name: (expression over Lead, the same over LeadAnswer)} grouped by too (the rollup's day and
    team). `only`: the total and this one dimension (the what-if).
    Two queries: the leads grouped by the four attributes at once (the total and each attribute added up
    here from those groups), and the latest answers grouped by question and value, read as `lead_id IN
    (the leads)` so that PostgreSQL starts from the leads, not from every answer."""
    extra = extra or {}
    names = list(extra)
    merged = {}

    def add(row, dimension, key, num, sums):
        target = merged.setdefault((*(row[name] for name in names), dimension, key, num), dict.fromkeys(sums, 0))
        for name in sums:
            target[name] += row[name] or 0

    lead_sums = aggregates(visits=visits)
    attributes = {f"a:{name}": field_name for name, (_title, field_name) in ATTRIBUTES.items()}
    flagged = with_flags(leads, visits=visits).annotate(**{name: pair[0] for name, pair in extra.items()})
    for row in flagged.values(*names, *attributes.values()).annotate(**lead_sums).order_by():
        add(row, "total", "", None, lead_sums)
        for dimension, field_name in attributes.items():
            if only is None or only == dimension:
                value = row[field_name]
                add(row, dimension, "" if value is None else str(value), None, lead_sums)
    if only is None or only.startswith("q:"):
        answer_sums = aggregates("lead__", visits=visits)
        answers = latest_answers().filter(lead__in=leads.values("pk"))
        if only is not None:
            answers = answers.filter(criterion__code=only[2:])
        answers = with_flags(answers, "lead__", visits=visits).annotate(
            **{name: pair[1] for name, pair in extra.items()}
        )
        grouped = answers.values(*names, "criterion__code", "criterion__kind", "value")
        for row in grouped.annotate(**answer_sums).order_by():
            dimension, value = f"q:{row['criterion__code']}", row["value"]
            if row["criterion__kind"] == Criterion.Kind.NUMBER:
                add(row, dimension, "", _as_number(value), answer_sums)
            else:
                add(row, dimension, json.dumps(value, ensure_ascii=False), None, answer_sums)
    width = len(names)
    return [
        {**dict(zip(names, group[:width], strict=True)), "dimension": group[width], "key": group[width + 1]}
        | {"num": group[width + 2], **sums}
        for group, sums in merged.items()
    ]


def _add_up(rows, sums):
    """{(dimension, key, num): the sums} of rows, rows of the same key added up (the rollup's held days and
    the raw rest)."""
    merged = {}
    for row in rows:
        target = merged.setdefault((row["dimension"], row["key"], row["num"]), dict.fromkeys(sums, 0))
        for name in sums:
            target[name] += row.get(name) or 0
    return merged


def held_rows(plan, sums, **filters):
    from ...models import CriteriaDailyRollup

    rows = CriteriaDailyRollup.objects.filter(plan.team_q, plan.days_q(), **filters)
    return list(rows.values("dimension", "key", "num").annotate(**{name: Sum(name) for name in sums}).order_by())


def criteria_plan(*, report_filter, scope):
    """Whether the page reads the rollup's held days (reports.rollup.day_plan) or computes it all raw."""
    from ...rollup import day_plan

    narrowed = bool(report_filter.person_id or report_filter.source_id or report_filter.region)
    period = report_filter.period
    return day_plan(
        start=period.start,
        end=period.end,
        scope=scope,
        team_id=report_filter.team_id,
        narrowed=narrowed,
        max_stale_leads=stale_raw_leads(),
    )


def criteria_outcomes(*, report_filter, scope):
    """{'total', 'groups': [{'key', 'title', 'rows'}], 'from_rollup'}: a group per question, then per
    attribute. The held days of the period come from the rollup, the rest (today, days changed since the
    last refresh, the leads a filter narrows to) is computed raw the same way; the sums are exact."""
    leads = lead_base(report_filter=report_filter, scope=scope)
    plan = criteria_plan(report_filter=report_filter, scope=scope)
    if plan is None:
        rows = grouped_rows(leads=leads)
    else:
        rows = held_rows(plan, PAGE_SUMS)
        tail = plan.tail(leads)
        if tail is not None:
            rows += grouped_rows(leads=tail)
    merged = _add_up(rows, PAGE_SUMS)
    total = merged.get(("total", "", None)) or dict.fromkeys(PAGE_SUMS, 0)
    by_dimension = {}
    for (dimension, key, num), sums in merged.items():
        by_dimension.setdefault(dimension, []).append({"key": key, "num": num, **sums})
    asked = questions(team_id=report_filter.team_id)
    groups = []
    for question in asked:
        rows = _question_rows(question, by_dimension.get(f"q:{question.code}", []))
        groups.append(
            {
                "key": f"q:{question.code}",
                "title": question.text,
                "kind": question.kind,
                "rows": [_finish(row, total) for row in rows],
            }
        )
    sources = None
    for attribute, (title, _field_name) in ATTRIBUTES.items():
        rows = []
        for row in sorted(by_dimension.get(f"a:{attribute}", []), key=lambda r: (-r["leads"], r["key"])):
            key = row["key"]
            if attribute == "source":
                if sources is None:
                    sources = dict(Source.objects.values_list("pk", "name"))
                row["label"] = sources.get(int(key), "—") if key else "—"
            elif attribute == "product_interest":
                row["label"] = str(dict(ProductInterest.choices).get(key, key or _("Not given")))
            else:
                row["label"] = key or str(_("Not given"))
                row["translate_no"] = attribute == "utm_campaign" and bool(key)  # typed by marketing tools
            row["dim"] = (f"a:{attribute}", key)
            rows.append(_finish(row, total))
        groups.append({"key": f"a:{attribute}", "title": str(title), "kind": "attribute", "rows": rows})
    return {
        "total": total,
        "groups": groups,
        "min_handoffs": min_handoffs(),
        "from_rollup": plan is not None,
        "as_of": plan.as_of if plan is not None else None,
        "lagging_days": plan.lagging_days if plan is not None else 0,
    }


def _question_rows(question, rows):
    """The rows of one question: choices and yes/no as they are, numbers added up into their bands."""
    if question.kind != Criterion.Kind.NUMBER:
        result = []
        for row in rows:
            if row["num"] is not None or not row["key"]:
                continue  # a number answered before the question became a choice
            row["label"] = str(question.answer_label(json.loads(row["key"])))
            row["dim"] = (f"q:{question.code}", row["key"])
            row["order"] = -row["leads"]
            result.append(row)
        return sorted(result, key=lambda r: (r["order"], r["label"]))
    labels = question.band_labels()
    bands = {}
    for row in rows:
        if row["num"] is None:
            continue  # not a number (an answer typed before the question became one)
        band = bisect.bisect_right(question.bands, row["num"])
        target = bands.setdefault(band, dict.fromkeys(PAGE_SUMS, 0))
        for name in PAGE_SUMS:
            target[name] += row[name]
    return [
        {**sums, "label": labels[band], "dim": (f"q:{question.code}", str(band)), "order": band}
        for band, sums in sorted(bands.items())
    ]


CRITERIA_FIGURES = tuple(f"criteria.{key}" for key in FIGURE_KEYS)


def criteria_drilldown(*, figure, report_filter, scope, group_by=None, dim=None):
    """The leads behind a count of the page: in the row `dim` of the question or attribute
    `group_by` ("q:<code>" / "a:<attribute>"), or the whole cohort (dim None). KeyError otherwise."""
    key = figure.removeprefix("criteria.")
    if key not in FIGURE_KEYS:
        raise KeyError(figure)
    leads = with_flags(lead_base(report_filter=report_filter, scope=scope))
    if dim is not None:
        kind, _sep, name = (group_by or "").partition(":")
        if kind == "a" and name in ATTRIBUTES:
            field_name = ATTRIBUTES[name][1]
            leads = leads.filter(**{field_name: int(dim) if field_name == "source_id" else dim})
        elif kind == "q":
            question = next((q for q in questions() if q.code == name), None)
            if question is None:
                raise KeyError(group_by)
            if question.kind == Criterion.Kind.NUMBER:
                answers = answers_of(Q(), [question]).filter(criterion__code=name, band=int(dim))
            else:
                answers = latest_answers().filter(criterion__code=name, value=json.loads(dim))
            leads = leads.filter(Exists(answers.filter(lead_id=OuterRef("pk"))))
        else:
            raise KeyError(group_by)
    q = figure_q(key)
    return leads.filter(q) if q else leads
