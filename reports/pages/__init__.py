"""The dashboards as tables and charts, built from the selectors' aggregated rows. A package: `funnel`
(funnel and speed), `quality` (hand-off quality, disqualifications, call reviews), `money` (sales,
economics, source economics), `pilot` (the pilot comparison, per-person tables), `leads`; import from here."""

from ..drilldown import FUNNEL_GROUPS, SPEED_GROUPS
from ..selectors.funnel import funnel_dimension_value
from .funnel import ROLLUP_NOTE, SPEED_COLUMNS, funnel_group_choices, funnel_page, speed_page
from .leads import CONTACT_COLUMNS, LEADS_PREVIEW, leads_page
from .money import NO_CAMPAIGN, economics_page, sales_page, source_economics_page
from .pilot import PILOT_LABELS, own_stats_table, pilot_page, team_stats_table
from .quality import disqualified_page, handoff_page, reviews_page

__all__ = [
    "CONTACT_COLUMNS",
    "FUNNEL_GROUPS",
    "SPEED_GROUPS",
    "funnel_dimension_value",
    "LEADS_PREVIEW",
    "NO_CAMPAIGN",
    "PILOT_LABELS",
    "ROLLUP_NOTE",
    "SPEED_COLUMNS",
    "disqualified_page",
    "economics_page",
    "funnel_group_choices",
    "funnel_page",
    "handoff_page",
    "leads_page",
    "own_stats_table",
    "pilot_page",
    "reviews_page",
    "sales_page",
    "source_economics_page",
    "speed_page",
    "team_stats_table",
]
