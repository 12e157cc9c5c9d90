"""The "Criteria and outcomes" page (issue 17 §2): the tables of reports.selectors.criteria, the
what-if of a candidate rule and the promoted rules with their pilot comparison."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from . import stats
from .models import CriteriaRule
from .selectors.criteria import criteria_outcomes, rule_effect
from .tables import Column, ReportTable

VERDICTS = {
    stats.BELOW: _("Wasted visits"),
    stats.ABOVE: _("Converts better"),
    stats.WITHIN: _("Not significantly different"),
    stats.TOO_FEW: _("Not enough data"),
}


def _columns(title):
    return [
        Column("label", title, "text"),
        Column("verdict_label", _("Verdict"), "text"),
        Column("leads", _("Leads"), "int", link="criteria.leads"),
        Column(
            "handoffs",
            _("Hand-offs"),
            "int",
            link="criteria.handoffs",
            help=_("Leads of the row handed off at least once (an upheld dispute undid the hand-off, still counted)."),
        ),
        Column("upheld", _("Disputes upheld"), "int", link="criteria.upheld"),
        Column("measured", _("Measurements"), "int", link="criteria.measured"),
        Column("won", _("Won"), "int", link="criteria.won"),
        Column("win_rate", _("Win rate"), "pct", link="criteria.won", count="won"),
        # xgettext:no-python-format (a plain label: '% lo', '% hi', '% o' are not placeholders)
        Column("low", _("95% low"), "pct", of_leads=False),
        # xgettext:no-python-format (a plain label: '% lo', '% hi', '% o' are not placeholders)
        Column("high", _("95% high"), "pct", of_leads=False),
        Column(
            "rest_rate",
            _("Win rate of the rest"),
            "pct",
            of_leads=False,
            help=_("Won of the hand-offs of every other lead of the period."),
        ),
        Column("revenue_per_handoff", _("Revenue per hand-off"), "money"),
        Column("rest_revenue_per_handoff", _("Revenue per hand-off of the rest"), "money"),
        Column("disqualified", _("Disqualified"), "int", link="criteria.disqualified"),
        Column(
            "comeback",
            _("Disqualified, bought later"),
            "int",
            link="criteria.comeback",
            help=_("Disqualified leads that are won deals now or whose phone came back as a later lead that was won."),
        ),
    ]


def criteria_page(*, report_filter, scope):
    result = criteria_outcomes(report_filter=report_filter, scope=scope)
    tables, flags = [], []
    for group in result["groups"]:
        for row in group["rows"]:
            row["verdict_label"] = str(VERDICTS[row["verdict"]])
            if row["costly"]:
                row["verdict_label"] += " · " + str(_("Costly disqualifications"))
            if row["flagged"]:
                flags.append({**row, "question": group["title"]})
        slug = group["key"].replace(":", "-").replace("_", "-")
        tables.append(
            ReportTable(
                slug,
                group["title"],
                _columns(_("Answer") if group["kind"] != "attribute" else _("Value")),
                group["rows"],
            )
        )
    return {
        "tables": tables,
        "flags": flags,
        "total": result["total"],
        "min_handoffs": result["min_handoffs"],
        "as_of": result["as_of"],
        "lagging_days": result["lagging_days"],
    }


def whatif_context(*, rule, scope, team_id, now=None):
    effect = rule_effect(rule=rule, scope=scope, team_id=team_id, now=now)
    return {"effect": effect, "rule": rule}


def pilot_url(rule_row, today=None):
    """The pilot comparison of a promoted rule: the same number of days before and after the promotion."""
    promoted = timezone.localtime(rule_row.created_at).date()
    today = today or timezone.localdate()
    days = max(30, (today - promoted).days + 1)
    query = {
        "a_start": (promoted - timedelta(days=days)).isoformat(),
        "a_end": (promoted - timedelta(days=1)).isoformat(),
        "b_start": promoted.isoformat(),
        "b_end": (promoted + timedelta(days=days - 1)).isoformat(),
    }
    if rule_row.team_id:
        query["team"] = rule_row.team_id
    return f"{reverse('reports:pilot')}?{urlencode(query)}"


def promoted_rules(*, scope):
    rows = CriteriaRule.objects.select_related("created_by", "checklist", "team")
    if not scope.sees_all:
        rows = rows.filter(team_id__in=scope.team_ids)
    return [{"rule": row, "pilot_url": pilot_url(row)} for row in rows[:20]]
