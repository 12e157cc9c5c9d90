"""A hand-built criteria data set with known answers (issue 17 §3), all leads received in March 2025.

Timeline answers on the kitchen checklist v1 (a hand-off each, revenue 500 000 ₽ per won deal):
- 9 months (band «6 to under 12»): 40 hand-offs, 2 won; 12 of them measured, 10 with a done visit of
  2 hours (the other 2 measured without a visit: 2 × CRITERIA_VISIT_HOURS);
- 2 months (band «1 to under 3»): 60 hand-offs, 24 won, all measured.
So the long timeline wins 2/40 = 5 % (Wilson 95 %: 1.38–16.50 %) against 24/60 = 40 % for the rest:
flagged «wasted visits»; the short one 40 % (29–52 %) against 5 %: converts better.
Product type: 2 modular hand-offs, both won (a naive 100 %) and 98 custom (24 won): not enough data.
"""

from datetime import timedelta
from decimal import Decimal

from leadflow import roles
from leadflow.models import HandoffState, Lead, LeadStatus
from qualification.models import Criterion, LeadAnswer
from sales.models import Visit
from tests.factories import kitchen_checklist, make_user, qualification_team, source

from .dataset import at

DEAL = Decimal("500000")


def _handed(phone, *, won, measured, received, team, rep, qualifier, site):
    handed = received + timedelta(hours=1)
    return Lead(
        phone=phone,
        source=site,
        qualification_team=team,
        received_at=received,
        status=LeadStatus.WON if won else (LeadStatus.MEASURED if measured else LeadStatus.HANDED_OFF),
        qualifier=qualifier,
        qualified_by=qualifier,
        handed_off_by=qualifier,
        sales_rep=rep,
        qualified_at=handed,
        handed_off_at=handed,
        handoff_state=HandoffState.ACCEPTED,
        accepted_at=handed,
        measured_at=handed + timedelta(days=2) if (measured or won) else None,
        closed_at=handed + timedelta(days=5) if won else None,
        deal_amount=DEAL if won else None,
        product_interest="custom",
    )


def build():
    checklist = kitchen_checklist()
    criteria = {c.code: c for c in Criterion.objects.filter(checklist=checklist)}
    team = qualification_team()
    site = source()
    rep = make_user(roles.SALES_REP, username="crit_rep", first_name="Роман", last_name="Сидоров")
    qualifier = make_user(roles.QUALIFIER, username="crit_q", first_name="Анна", last_name="Иванова")
    common = {"team": team, "rep": rep, "qualifier": qualifier, "site": site}
    leads, timeline, product = [], [], []
    for i in range(40):  # long timeline: 2 won, 12 measured
        leads.append(_handed(f"+7901000{i:04d}", won=i < 2, measured=i < 12, received=at(3, 2 + i % 20, 11), **common))
        timeline.append(9)
    for i in range(60):  # short timeline: 24 won, all measured
        leads.append(_handed(f"+7902000{i:04d}", won=i < 24, measured=True, received=at(3, 2 + i % 20, 12), **common))
        timeline.append(2)
    Lead.objects.bulk_create(leads)
    leads = list(Lead.objects.filter(phone__startswith="+790").order_by("phone"))
    modular = {leads[40].pk, leads[41].pk}  # two of the short-timeline winners said "modular"
    answers = []
    for lead, months in zip(leads, timeline, strict=True):
        answers.append(
            LeadAnswer(lead=lead, criterion=criteria["timeline"], checklist_version=1, value=months, passed=True)
        )
        kind = "modular" if lead.pk in modular else "custom"
        answers.append(
            LeadAnswer(lead=lead, criterion=criteria["product_type"], checklist_version=1, value=kind, passed=True)
        )
        product.append(kind)
    LeadAnswer.objects.bulk_create(answers)
    visits = []
    for lead in leads[:10]:  # ten of the long-timeline measurements have a done 2-hour visit
        start = lead.handed_off_at + timedelta(days=2)
        visits.append(
            Visit(
                lead=lead,
                rep=rep,
                starts_at=start,
                ends_at=start + timedelta(hours=2),
                address="Москва",
                status=Visit.Status.DONE,
            )
        )
    Visit.objects.bulk_create(visits)
    return {"leads": leads, "checklist": checklist, "criteria": criteria, "rep": rep, "qualifier": qualifier}
