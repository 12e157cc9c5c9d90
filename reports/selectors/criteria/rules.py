"""A candidate rule tried on history: what it would have removed, lost and saved."""

import json
from dataclasses import dataclass
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from leadflow.models import Lead

from ..common import ratio
from .figures import stale_raw_leads, visit_hours
from .outcomes import RULE_SUMS, grouped_rows, held_rows

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
    from ...rollup import day_plan

    start, end = whatif_period(rule.months, now)
    leads = Lead.objects.filter(scope.leads(), received_at__gte=start, received_at__lt=end, merged_into__isnull=True)
    if team_id:
        leads = leads.filter(qualification_team_id=team_id)
    total, caught = dict.fromkeys(RULE_SUMS, 0), dict.fromkeys(RULE_SUMS, 0)
    plan = day_plan(
        start=start, end=end, scope=scope, team_id=team_id, reps_of_team=False, max_stale_leads=stale_raw_leads()
    )
    rows = []
    if plan is not None:
        rows += held_rows(plan, RULE_SUMS, dimension__in=["total", rule.target])
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
        "as_of": plan.as_of if plan is not None else None,
        "lagging_days": plan.lagging_days if plan is not None else 0,
    }
    effect["visits"] = caught["visits"] + effect["measured_without_visit"]
    effect["hours_saved"] = (caught["visit_seconds"] or 0) / 3600 + effect["measured_without_visit"] * visit_hours()
    effect["win_rate_caught"] = ratio(effect["wins_lost"], effect["handoffs_removed"])
    effect["win_rate_kept"] = ratio(
        effect["won"] - effect["wins_lost"], effect["handoffs"] - effect["handoffs_removed"]
    )
    effect["start"], effect["end"] = start, end
    return effect
