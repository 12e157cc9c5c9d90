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
Reading (outcomes.py): the whole days the report rollup holds come from `CriteriaDailyRollup` (one query; built from
`grouped_rows`, the same computation as the raw path), the rest of the period (its part days, today,
days with a lead changed since the last refresh, a filter the rollup cannot key) raw: one query for the
cohort, one per attribute, one for the choice/yes-no answers, one for the numbers; one for the
questions. Never a loop over leads.
"""

from .figures import (
    ATTRIBUTES,
    DEFAULT_BANDS,
    FIGURE_KEYS,
    JsonNumber,
    aggregates,
    figure_q,
    latest_answers,
    min_handoffs,
    visit_hours,
    with_flags,
)
from .outcomes import (
    CRITERIA_FIGURES,
    PAGE_SUMS,
    RULE_SUMS,
    criteria_drilldown,
    criteria_outcomes,
    criteria_plan,
    grouped_rows,
    held_rows,
)
from .questions import Question, answers_of, questions
from .rules import LOOKUP, NUMBER_OPERATORS, OPERATORS, Rule, rule_catches, rule_effect, whatif_period

__all__ = [
    "ATTRIBUTES",
    "CRITERIA_FIGURES",
    "DEFAULT_BANDS",
    "FIGURE_KEYS",
    "LOOKUP",
    "NUMBER_OPERATORS",
    "OPERATORS",
    "PAGE_SUMS",
    "RULE_SUMS",
    "JsonNumber",
    "Question",
    "Rule",
    "aggregates",
    "answers_of",
    "criteria_drilldown",
    "criteria_outcomes",
    "criteria_plan",
    "figure_q",
    "grouped_rows",
    "held_rows",
    "latest_answers",
    "min_handoffs",
    "questions",
    "rule_catches",
    "rule_effect",
    "visit_hours",
    "whatif_period",
    "with_flags",
]
