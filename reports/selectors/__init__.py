"""KPI selectors: every figure by SQL aggregation in the database, a constant number of queries."""

from .common import Period, ReportFilter, Scope
from .disqualified import disqualified
from .economics import economics, statements
from .exportlog import export_log
from .funnel import funnel, lead_base, won_revenue, won_revenue_leads
from .handoff import handoff_quality
from .leads import leads_with_contacts
from .mystats import own_stats, team_stats
from .pilot import pilot_comparison
from .reviews import call_review_scores
from .sales import sales_per_rep
from .speed import speed

__all__ = [
    "Period",
    "ReportFilter",
    "Scope",
    "call_review_scores",
    "disqualified",
    "economics",
    "export_log",
    "funnel",
    "handoff_quality",
    "lead_base",
    "leads_with_contacts",
    "own_stats",
    "pilot_comparison",
    "sales_per_rep",
    "speed",
    "statements",
    "won_revenue",
    "won_revenue_leads",
    "team_stats",
]
