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
own pass bounds). "The rest" of a row is every other lead of the cohort (not answered included).
Queries: one for the cohort, one for the choice/yes-no answers, one for the numbers, one per
attribute, one for the questions; never a loop over leads.
"""

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
    Sum,
    Value,
    When,
)
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
    return Exists(Dispute.objects.filter(lead_id=OuterRef(f"{prefix}pk"), decision=Dispute.Decision.UPHELD))


def _came_back_won(prefix=""):
    return Exists(
        Lead.objects.filter(
            phone=OuterRef(f"{prefix}phone"), received_at__gt=OuterRef(f"{prefix}received_at"), status=LeadStatus.WON
        )
    )


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


def with_flags(queryset, prefix=""):
    """Leads (prefix "") or answers (prefix "lead__") annotated with what the figures need."""
    lead = prefix or ""
    return queryset.annotate(is_upheld=_flag(_upheld(lead)), came_back_won_flag=_flag(_came_back_won(lead)))


def aggregates(prefix=""):
    counted = {
        key: Count(f"{prefix}pk", filter=figure_q(key, prefix)) if key != "leads" else Count(f"{prefix}pk")
        for key in FIGURE_KEYS
    }
    counted["revenue"] = Sum(f"{prefix}deal_amount", filter=figure_q("won", prefix))
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


def _lead_q(report_filter, scope):
    return (
        report_filter.period.q("received_at", "lead__")
        & scope.leads("lead__")
        & report_filter.lead_q("lead__")
        & Q(lead__merged_into__isnull=True)
    )


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


def criteria_outcomes(*, report_filter, scope):
    """{'total', 'groups': [{'key', 'title', 'rows'}]}: a group per question, then per attribute."""
    leads = with_flags(lead_base(report_filter=report_filter, scope=scope))
    total = leads.aggregate(**aggregates())
    for key in (*FIGURE_KEYS, "revenue"):
        total[key] = total[key] or 0
    asked = questions(team_id=report_filter.team_id)
    numbers = [q for q in asked if q.kind == Criterion.Kind.NUMBER]
    lead_q = _lead_q(report_filter, scope)
    answer_aggregates = aggregates("lead__")
    by_code = {}
    plain = with_flags(latest_answers().filter(lead_q), "lead__")
    for row in (
        plain.filter(criterion__kind__in=[Criterion.Kind.CHOICE, Criterion.Kind.YES_NO])
        .values("criterion__code", "value")
        .annotate(**answer_aggregates)
        .order_by()
    ):
        by_code.setdefault(row["criterion__code"], []).append(row)
    if numbers:
        banded = with_flags(answers_of(lead_q, numbers), "lead__").filter(criterion__kind=Criterion.Kind.NUMBER)
        for row in banded.values("criterion__code", "band").annotate(**answer_aggregates).order_by():
            by_code.setdefault(row["criterion__code"], []).append(row)
    groups = []
    for question in asked:
        rows = []
        for row in by_code.get(question.code, []):
            if question.kind == Criterion.Kind.NUMBER:
                if row["band"] < 0:
                    continue
                row["label"] = question.band_labels()[row["band"]]
                row["dim"] = (f"q:{question.code}", str(row["band"]))
                row["order"] = row["band"]
            else:
                row["label"] = str(question.answer_label(row["value"]))
                row["dim"] = (f"q:{question.code}", json.dumps(row["value"], ensure_ascii=False))
                row["order"] = -row["leads"]
            rows.append(_finish(row, total))
        rows.sort(key=lambda r: (r["order"], r["label"]))
        groups.append({"key": f"q:{question.code}", "title": question.text, "kind": question.kind, "rows": rows})
    sources = None
    for attribute, (title, field_name) in ATTRIBUTES.items():
        rows = []
        for row in leads.values(field_name).annotate(**aggregates()).order_by("-leads", field_name):
            value = row[field_name]
            if attribute == "source":
                if sources is None:
                    sources = dict(Source.objects.values_list("pk", "name"))
                row["label"] = sources.get(value, "—")
            elif attribute == "product_interest":
                row["label"] = str(dict(ProductInterest.choices).get(value, value or _("Not given")))
            else:
                row["label"] = value or str(_("Not given"))
                row["translate_no"] = attribute == "utm_campaign" and bool(value)  # typed by marketing tools
            row["dim"] = (f"a:{attribute}", "" if value is None else str(value))
            rows.append(_finish(row, total))
        groups.append({"key": f"a:{attribute}", "title": str(title), "kind": "attribute", "rows": rows})
    return {"total": total, "groups": groups, "min_handoffs": min_handoffs()}


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


def rule_q(rule):
    """The Q over Lead of the leads the rule would have caught."""
    if rule.is_question:
        answers = latest_answers().filter(criterion__code=rule.code, lead_id=OuterRef("pk"))
        if rule.operator in LOOKUP:
            answers = answers.annotate(num=JsonNumber("value")).filter(
                **{f"num__{LOOKUP[rule.operator]}": rule.values[0]}
            )
        else:
            matches = Q()
            for value in rule.values:
                matches |= Q(value=value)
            if rule.operator in ("eq", "ne") and isinstance(rule.values[0], float):
                answers = answers.annotate(num=JsonNumber("value"))
                matches = Q(num=rule.values[0])
            answers = answers.exclude(matches) if rule.operator == "ne" else answers.filter(matches)
        return Q(Exists(answers))
    field_name = ATTRIBUTES[rule.code][1]
    matches = Q(**{f"{field_name}__in": list(rule.values)})
    return ~matches if rule.operator == "ne" else matches


def whatif_period(months, now=None):
    now = now or timezone.now()
    return now - relativedelta(months=months), now


def rule_effect(*, rule, scope, team_id=None, now=None):
    """What the rule would have done to the leads received in its last `months` months: hand-offs
    removed, wins lost, revenue at risk, reps' hours saved (the caught hand-offs' done visits by their
    own length, plus CRITERIA_VISIT_HOURS per measured lead without a recorded visit). Two queries."""
    start, end = whatif_period(rule.months, now)
    leads = Lead.objects.filter(scope.leads(), received_at__gte=start, received_at__lt=end, merged_into__isnull=True)
    if team_id:
        leads = leads.filter(qualification_team_id=team_id)
    leads = with_flags(leads)
    caught = rule_q(rule)
    handed = figure_q("handoffs")
    won = figure_q("won")
    done_visit = Exists(Visit.objects.filter(lead_id=OuterRef("pk"), status=Visit.Status.DONE))
    leads = leads.annotate(
        is_caught=Case(When(caught, then=Value(True)), default=Value(False)), done_visit=_flag(done_visit)
    )
    effect = leads.aggregate(
        leads=Count("pk"),
        handoffs=Count("pk", filter=handed),
        won=Count("pk", filter=won),
        revenue=Sum("deal_amount", filter=won),
        caught=Count("pk", filter=Q(is_caught=True)),
        handoffs_removed=Count("pk", filter=Q(is_caught=True) & handed),
        wins_lost=Count("pk", filter=Q(is_caught=True) & won),
        revenue_at_risk=Sum("deal_amount", filter=Q(is_caught=True) & won),
        measured_removed=Count("pk", filter=Q(is_caught=True) & handed & Q(measured_at__isnull=False)),
        measured_without_visit=Count(
            "pk", filter=Q(is_caught=True) & handed & Q(measured_at__isnull=False) & Q(done_visit=False)
        ),
    )
    caught_ids = leads.filter(is_caught=True).filter(handed).values("pk")
    visits = Visit.objects.filter(lead_id__in=caught_ids, status=Visit.Status.DONE).aggregate(
        visits=Count("pk"), seconds=Sum(Seconds("ends_at", "starts_at"))
    )
    effect["revenue"] = effect["revenue"] or Decimal(0)
    effect["revenue_at_risk"] = effect["revenue_at_risk"] or Decimal(0)
    effect["visits"] = visits["visits"] + effect["measured_without_visit"]
    effect["hours_saved"] = (visits["seconds"] or 0) / 3600 + effect["measured_without_visit"] * visit_hours()
    effect["win_rate_caught"] = ratio(effect["wins_lost"], effect["handoffs_removed"])
    effect["win_rate_kept"] = ratio(
        effect["won"] - effect["wins_lost"], effect["handoffs"] - effect["handoffs_removed"]
    )
    effect["start"], effect["end"] = start, end
    return effect
