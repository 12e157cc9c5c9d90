"""One name and one definition per figure, shown as the column's / card's tooltip on every page.

`basis` says what a figure counts by: the month the lead was received (a cohort: what became of the
period's leads, still growing while they mature) or the date of the event itself (what happened in
the period, whenever the lead came in). Where two pages count the same thing on different bases, both
names say so and the page shows both numbers (docs/reports.md "Definitions").
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .tables import Column

COHORT = "cohort"
EVENT = "event"
BASIS_LABELS = {COHORT: _("by month received"), EVENT: _("by the date of the event")}


@dataclass(frozen=True)
class Figure:
    name: str
    definition: str
    basis: str


FIGURES = {
    "received": Figure(_("Received"), _("Leads received in the period."), COHORT),
    "handed_off_cohort": Figure(
        _("Handed off (of the leads received)"),
        _("Leads received in the period that carry a hand-off now: net of hand-offs undone by an upheld dispute."),
        COHORT,
    ),
    "handoffs": Figure(
        _("Hand-offs made"),
        _(
            "Hand-offs made in the period, by the hand-off date, including those a dispute upheld later "
            "sent back to qualification."
        ),
        EVENT,
    ),
    "handoffs_net": Figure(
        _("Hand-offs, net"),
        _("Hand-offs made in the period minus disputes upheld in the period (the lead went back to qualifying)."),
        EVENT,
    ),
    "upheld": Figure(
        _("Disputes upheld"), _("Disputes on the qualifier's hand-offs raised in the period and upheld."), EVENT
    ),
    "won_cohort": Figure(
        _("Won (of the leads received)"), _("Leads received in the period that are won deals by now."), COHORT
    ),
    "won_handoffs": Figure(
        _("Won (of the hand-offs made)"), _("Hand-offs made in the period that are won deals by now."), EVENT
    ),
    "won_event": Figure(
        _("Won (by deal date)"), _("Deals closed as won in the period, whenever the lead came in."), EVENT
    ),
    "revenue_cohort": Figure(
        _("Revenue (by month the lead was received)"),
        _("Sum of the won deals of the leads received in the period, whenever they closed."),
        COHORT,
    ),
    "revenue_handoffs": Figure(
        _("Revenue (of the hand-offs made)"),
        _("Sum of the won deals of the hand-offs made in the period, whenever they closed."),
        EVENT,
    ),
    "revenue_event": Figure(
        _("Revenue (by deal date)"),
        _("Sum of the deals closed as won in the period, whenever the lead came in."),
        EVENT,
    ),
    "disqualified_event": Figure(
        _("Disqualified (by date of disqualification)"),
        _("Leads disqualified in the period, whenever they were received."),
        EVENT,
    ),
    "disqualified_cohort": Figure(
        _("Disqualified of the leads received (cohort)"),
        _("Leads received in the period that were disqualified by now."),
        COHORT,
    ),
}


def figure_column(figure_key, key, kind, link=""):
    """A table column named and explained by the registry (`link`: its drill-down figure key)."""
    figure = FIGURES[figure_key]
    return Column(key, figure.name, kind, help=figure.definition, link=link)
