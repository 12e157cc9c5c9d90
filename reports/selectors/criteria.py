"""Criteria and outcomes (issue 17 §2): what became of the leads that gave each checklist answer or
carried each attribute, against everyone else; and what a candidate rule would have done to history.

Cohort: the leads received in the period (the funnel's lead_base). Per lead:
- hand-off: the lead carries a hand-off now, or a dispute on its hand-off was upheld (the hand-off was
  made and undone) — a lead counts once however often it was handed off;
- upheld: a dispute on it was upheld; measured: it has a measurement; won: it is a won deal;
- revenue: its won deal's amount; win rate = won / hand-offs; revenue per hand-off = revenue / hand-offs;
- comeback: it was disqualified and bought anyway — it is a won deal (re-opened) or a later lead
  from the same phone is.

An answer is the lead's latest answer to the question (by checklist version; questions are matched by
code across versions). Numbers are put in bands (settings.CRITERIA_NUMBER_BANDS, else the question's
own pass bounds, when read: the sums are kept per exact number). "The rest" of a row is every other
lead of the cohort (not answered included).
Reading: the whole days the report rollup holds come from `CriteriaDailyRollup` (one query; built from
`grouped_rows`, the same computation as the raw path), the rest of the period (its part days, today,
days with a lead changed since the last refresh, a filter the rollup cannot key) raw: one query for the
cohort, one per attribute, one for the choice/yes-no answers, one for the numbers; one for the
questions. Never a loop over leads.
"""

import bisect
import json
from dataclasses import dataclass
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leadflow.db import Seconds
from leadflow.models import Lead, LeadStatus, ProductInterest, Source
from qualification.models import Criterion, LeadAnswer
from sales.models import Dispute, Visit

from .. import stats
from .common import ratio
from .funnel import answer_label, lead_base

DEFAULT_BANDS = {"budget": (150_000, 250_000, 400_000, 700_000), "timeline": (1, 3, 6, 12)}


def min_handoffs():
    """Under this many hand-offs a row gets no verdict ("not enough data")."""
    return getattr(settings, "CRITERIA_MIN_HANDOFFS", 30)


def visit_hours():
    """The length of a visit for a measured lead without a recorded visit (the visits' own length otherwise)."""
    return getattr(settings, "CRITERIA_VISIT_HOURS", 2.0)


# attribute → (label, the lead's field the rows group by)
ATTRIBUTES = {
    "product_interest": (_("Product type (from the request)"), "product_interest"),
    "region": (_("Region"), "region"),
    "source": (_("Source"), "source_id"),
    "utm_campaign": (_("UTM campaign"), "utm_campaign"),
}
FIGURE_KEYS = ("leads", "handoffs", "upheld", "measured", "won", "disqualified", "comeback")


def _upheld(prefix=""):
    """Whether a dispute on the lead was upheld: `pk IN (the upheld disputes' leads)`, uncorrelated, so
    PostgreSQL hashes the few upheld disputes once instead of probing them per lead and per figure."""
    upheld = Dispute.objects.filter(decision=Dispute.Decision.UPHELD).values("lead_id")
    return Q(**{f"{prefix}pk__in": upheld})


def _came_back_won(prefix=""):
    """A disqualified lead not won itself whose phone came back as a later lead that was won; only
    disqualified leads probe the later leads (the others are False without a lookup)."""
    later_won = Exists(
        Lead.objects.filter(
            phone=OuterRef(f"{prefix}phone"), received_at__gt=OuterRef(f"{prefix}received_at"), status=LeadStatus.WON
        )
    )
    disqualified_not_won = Q(**{f"{prefix}disqualified_at__isnull": False}) & ~Q(**{f"{prefix}status": LeadStatus.WON})
    return Case(When(disqualified_not_won, then=later_won), default=Value(False), output_field=BooleanField())


def figure_q(figure, prefix=""):
    """The Q of the leads a figure counts, over leads annotated by `with_flags` (prefix for LeadAnswer)."""
    p = prefix
    handed = Q(**{f"{p}handed_off_at__isnull": False}) | Q(is_upheld=True)
    won = Q(**{f"{p}status": LeadStatus.WON})
    disqualified = Q(**{f"{p}disqualified_at__isnull": False})
    return {
        "leads": Q(),
        "handoffs": handed,
        "upheld": Q(is_upheld=True),
        "measured": Q(**{f"{p}measured_at__isnull": False}),
        "won": won,
        "disqualified": disqualified,
        "comeback": disqualified & (won | Q(came_back_won_flag=True)),
    }[figure]


def _flag(expression):
    """An EXISTS as a plain boolean column: aggregating over a Subquery annotation makes Django wrap
    the whole query in a subquery (and lose the annotation on PostgreSQL); a wrapped one stays inline."""
    return ExpressionWrapper(expression, output_field=BooleanField())


def _done_visits(prefix=""):
    return Visit.objects.filter(lead_id=OuterRef(f"{prefix}pk"), status=Visit.Status.DONE).order_by().values("lead_id")


def with_flags(queryset, prefix="", *, visits=False):
    """Leads (prefix "") or answers (prefix "lead__") annotated with what the figures need; `visits`: also
    the lead's done visits and their length in seconds (the rule what-if's hours)."""
    lead = prefix or ""
    queryset = queryset.annotate(is_upheld=_flag(_upheld(lead)), came_back_won_flag=_flag(_came_back_won(lead)))
    if visits:
        done = _done_visits(lead)
        queryset = queryset.annotate(
            done_visits=Coalesce(Subquery(done.annotate(n=Count("pk")).values("n")), 0),
            done_seconds=Coalesce(
                Subquery(done.annotate(s=Sum(Seconds("ends_at", "starts_at"))).values("s")),
                Value(0.0),
                output_field=FloatField(),
            ),
        )
    return queryset


def aggregates(prefix="", *, visits=False):
    counted = {
        key: Count(f"{prefix}pk", filter=figure_q(key, prefix)) if key != "leads" else Count(f"{prefix}pk")
        for key in FIGURE_KEYS
    }
    counted["revenue"] = Sum(f"{prefix}deal_amount", filter=figure_q("won", prefix))
    if visits:
        handed = figure_q("handoffs", prefix)
        measured = Q(**{f"{prefix}measured_at__isnull": False})
        counted["handed_measured"] = Count(f"{prefix}pk", filter=handed & measured)
        counted["visits"] = Sum("done_visits", filter=handed)
        counted["visit_seconds"] = Sum("done_seconds", filter=handed)
        counted["measured_no_visit"] = Count(f"{prefix}pk", filter=handed & measured & Q(done_visits=0))
    return counted


class JsonNumber(Func):
    """A JSON answer as a number: NULL for a string or a boolean on PostgreSQL (a plain cast of a jsonb
    string fails, and the planner may evaluate it on other questions' answers before the code filter);
    SQLite's CAST of a text is harmless (0)."""

    template = "CAST(%(expressions)s AS REAL)"
    output_field = FloatField()

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(CASE WHEN jsonb_typeof({sql}) = 'number' THEN ({sql})::double precision END)", (*params, *params)


def latest_answers():
    """Each lead's latest answer per question (no answer to the same code in a later version)."""
    newer = LeadAnswer.objects.filter(
        lead_id=OuterRef("lead_id"),
        criterion__code=OuterRef("criterion__code"),
        checklist_version__gt=OuterRef("checklist_version"),
    )
    return LeadAnswer.objects.filter(~Exists(newer))


# --- the questions and their bands ------------------------------------------------------------------


@dataclass
class Question:
    code: str
    text: str
    kind: str
    options: list
    unit: str
    bands: tuple = ()

    def band_labels(self):
        edges = self.bands
        unit = f"\u00a0{self.unit}" if self.unit else ""
        labels = []
        for i in range(len(edges) + 1):
            if i == 0:
                labels.append(_("under %(high)s") % {"high": _number(edges[0])} + unit)
            elif i == len(edges):
                labels.append(_("%(low)s and more") % {"low": _number(edges[-1])} + unit)
            else:
                labels.append(
                    _("%(low)s to under %(high)s") % {"low": _number(edges[i - 1]), "high": _number(edges[i])} + unit
                )
        return labels

    def answer_label(self, value):
        if self.kind == Criterion.Kind.CHOICE:
            for option in self.options:
                if str(option.get("value")) == str(value):
                    return option.get("label") or str(value)
        return answer_label(value)


def _number(value):
    value = Decimal(str(value))
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return text.replace(",", "\u00a0")


def questions(*, team_id=None):
    """The questions of the checklists (of one team), latest wording first, in the latest order; one query."""
    criteria = Criterion.objects.order_by("code", "-checklist__version")
    if team_id:
        criteria = criteria.filter(checklist__team_id=team_id)
    seen = {}
    for criterion in criteria.values(
        "code", "question", "kind", "options", "unit", "min_value", "max_value", "position"
    ):
        if criterion["code"] in seen:
            continue
        bands = ()
        if criterion["kind"] == Criterion.Kind.NUMBER:
            configured = getattr(settings, "CRITERIA_NUMBER_BANDS", DEFAULT_BANDS)
            bands = tuple(configured.get(criterion["code"]) or ())
            if not bands:
                bounds = [b for b in (criterion["min_value"], criterion["max_value"]) if b is not None]
                bands = tuple(sorted({float(b) for b in bounds})) or (0,)
        seen[criterion["code"]] = (
            criterion["position"],
            Question(
                criterion["code"],
                criterion["question"],
                criterion["kind"],
                criterion["options"] or [],
                criterion["unit"],
                bands,
            ),
        )
    return [q for _pos, q in sorted(seen.values(), key=lambda item: item[0])]


def _band(number_questions):
    """The band index of a NUMBER answer (annotated `num`), per question code."""
    whens = []
    for question in number_questions:
        for i, edge in enumerate(question.bands):
            whens.append(When(criterion__code=question.code, num__lt=edge, then=Value(i)))
        whens.append(When(criterion__code=question.code, then=Value(len(question.bands))))
    return Case(*whens, default=Value(-1), output_field=IntegerField())


def answers_of(leads_q, number_questions):
    """Latest answers of the leads matching `leads_q` (a Q over LeadAnswer, `lead__` prefixed)."""
    answers = latest_answers().filter(leads_q).annotate(num=JsonNumber("value"))
    return answers.annotate(band=_band(number_questions)) if number_questions else answers


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


def _rollup_rows(plan, sums, **filters):
    from ..models import CriteriaDailyRollup

    rows = CriteriaDailyRollup.objects.filter(plan.team_q, plan.days_q(), **filters)
    return list(rows.values("dimension", "key", "num").annotate(**{name: Sum(name) for name in sums}).order_by())


def criteria_plan(*, report_filter, scope):
    """Whether the page reads the rollup's held days (reports.rollup.day_plan) or computes it all raw."""
    from ..rollup import day_plan

    narrowed = bool(report_filter.person_id or report_filter.source_id or report_filter.region)
    period = report_filter.period
    return day_plan(start=period.start, end=period.end, scope=scope, team_id=report_filter.team_id, narrowed=narrowed)


def criteria_outcomes(*, report_filter, scope):
    """{'total', 'groups': [{'key', 'title', 'rows'}], 'from_rollup'}: a group per question, then per
    attribute. The held days of the period come from the rollup, the rest (today, days changed since the
    last refresh, the leads a filter narrows to) is computed raw the same way; the sums are exact."""
    leads = lead_base(report_filter=report_filter, scope=scope)
    plan = criteria_plan(report_filter=report_filter, scope=scope)
    if plan is None:
        rows = grouped_rows(leads=leads)
    else:
        rows = _rollup_rows(plan, PAGE_SUMS)
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
    return {"total": total, "groups": groups, "min_handoffs": min_handoffs(), "from_rollup": plan is not None}


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


# --- a candidate rule tried on history -----------------------------------------------------------------

OPERATORS = {"lt": "<", "le": "≤", "eq": "=", "ne": "≠", "gt": ">", "ge": "≥", "in": "∈"}
NUMBER_OPERATORS = ("lt", "le", "gt", "ge", "eq", "ne")
LOOKUP = {"lt": "lt", "le": "lte", "gt": "gt", "ge": "gte"}


@dataclass(frozen=True)
class Rule:
    """`target`: "q:<code>" or "a:<attribute>"; `values`: the cleaned value(s) (numbers as float,
    choices as their option value, yes/no as bool, attributes as text / source id)."""

    target: str
    operator: str
    values: tuple
    action: str
    months: int

    @property
    def is_question(self):
        return self.target.startswith("q:")

    @property
    def code(self):
        return self.target[2:]


def whatif_period(months, now=None):
    now = now or timezone.now()
    return now - relativedelta(months=months), now


NUMBER_TESTS = {
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
}


def rule_catches(rule, key, num):
    """Whether the rule catches the leads of one row of its dimension (key / num as grouped_rows gives them):
    a number compared as a number; = / ≠ / ∈ a choice or yes/no by its value; an attribute by its text."""
    if rule.is_question and rule.operator in NUMBER_TESTS:
        return num is not None and NUMBER_TESTS[rule.operator](num, rule.values[0])
    if rule.is_question and rule.operator in ("eq", "ne") and isinstance(rule.values[0], float):
        hit = num is not None and num == rule.values[0]
    elif rule.is_question:
        hit = num is None and key in {json.dumps(value, ensure_ascii=False) for value in rule.values}
    else:
        hit = key in {"" if value is None else str(value) for value in rule.values}
    return not hit if rule.operator == "ne" else hit


def rule_effect(*, rule, scope, team_id=None, now=None):
    """What the rule would have done to the leads received in its last `months` months: hand-offs
    removed, wins lost, revenue at risk, reps' hours saved (the caught hand-offs' done visits by their
    own length, plus CRITERIA_VISIT_HOURS per measured lead without a recorded visit). The rows of the
    total and of the rule's dimension: the rollup's held days (one query) and the rest raw (grouped_rows,
    two queries), each row caught or not by `rule_catches`; never a loop over leads."""
    from ..rollup import day_plan

    start, end = whatif_period(rule.months, now)
    leads = Lead.objects.filter(scope.leads(), received_at__gte=start, received_at__lt=end, merged_into__isnull=True)
    if team_id:
        leads = leads.filter(qualification_team_id=team_id)
    total, caught = dict.fromkeys(RULE_SUMS, 0), dict.fromkeys(RULE_SUMS, 0)
    plan = day_plan(start=start, end=end, scope=scope, team_id=team_id, reps_of_team=False)
    rows = []
    if plan is not None:
        rows += _rollup_rows(plan, RULE_SUMS, dimension__in=["total", rule.target])
        leads = plan.tail(leads)
    rows += grouped_rows(leads=leads, visits=True, only=rule.target)
    for row in rows:
        if row["dimension"] == "total":
            targets = (total,)
        elif row["dimension"] == rule.target and rule_catches(rule, row["key"], row["num"]):
            targets = (caught,)
        else:
            continue
        for target in targets:
            for name in RULE_SUMS:
                target[name] += row[name] or 0
    effect = {
        "leads": total["leads"],
        "handoffs": total["handoffs"],
        "won": total["won"],
        "revenue": Decimal(total["revenue"] or 0),
        "caught": caught["leads"],
        "handoffs_removed": caught["handoffs"],
        "wins_lost": caught["won"],
        "revenue_at_risk": Decimal(caught["revenue"] or 0),
        "measured_removed": caught["handed_measured"],
        "measured_without_visit": caught["measured_no_visit"],
        "from_rollup": plan is not None,
    }
    effect["visits"] = caught["visits"] + effect["measured_without_visit"]
    effect["hours_saved"] = (caught["visit_seconds"] or 0) / 3600 + effect["measured_without_visit"] * visit_hours()
    effect["win_rate_caught"] = ratio(effect["wins_lost"], effect["handoffs_removed"])
    effect["win_rate_kept"] = ratio(
        effect["won"] - effect["wins_lost"], effect["handoffs"] - effect["handoffs_removed"]
    )
    effect["start"], effect["end"] = start, end
    return effect
