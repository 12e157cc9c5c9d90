"""Deal-board fixtures: people of both teams, a fixed clock in the sales team's working hours, and
deals built through the real services (claim → qualify → hand off → …)."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from leadflow import roles
from leadflow.models import Lead
from qualification import services as q
from sales import services as s
from tests.factories import LeadFactory, make_user

MSK = ZoneInfo("Europe/Moscow")
# The required fields of the kitchen measurement form (sales.reference.KITCHEN_KIT_FIELDS), as posted.
KITCHEN_ROOM = {
    "kit_layout": "l_shaped",
    "kit_wall_a": "3200",
    "kit_height": "2700",
    "kit_windows": "1",
    "kit_doors": "1",
}
# Tuesday 1 December 2026, 10:00 in Moscow: a working day of the sales team (Mon–Sat 9–20).
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=MSK)


def msk(*args):
    return datetime(*args, tzinfo=MSK)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _objection_tags(request):
    """Transactional tests flush the seeded objection tags and checklist: put them back."""
    if "transactional_db" in request.fixturenames or "live_server" in request.fixturenames:
        from django.apps import apps

        from qualification.reference import ensure_kitchen_checklist
        from sales.reference import ensure_kitchen_kit, ensure_objection_tags

        request.getfixturevalue("_reference_data")
        ensure_objection_tags(apps.get_model)
        ensure_kitchen_kit(apps.get_model)
        ensure_kitchen_checklist(apps.get_model)


@pytest.fixture
def people(db):
    return {
        "qualifier": make_user(roles.QUALIFIER, username="qualifier", first_name="Ольга", last_name="Квалова"),
        "other_qualifier": make_user(roles.QUALIFIER, username="qualifier2"),
        "qlead": make_user(roles.QUALIFICATION_LEAD, username="qlead", first_name="Инна", last_name="Старшая"),
        "rep": make_user(roles.SALES_REP, username="rep", first_name="Иван", last_name="Продажин"),
        "other_rep": make_user(roles.SALES_REP, username="rep2", first_name="Пётр", last_name="Замеров"),
        "manager": make_user(roles.SALES_MANAGER, username="manager", first_name="Мария", last_name="Главная"),
    }


class Deals:
    """Builds leads in each board state through the real services."""

    def __init__(self, people):
        self.people = people

    def qualified(self, qualifier=None, **fields):
        qualifier = qualifier or self.people["qualifier"]
        fields.setdefault("address", "Москва, ул. Тверская, 1")
        lead = LeadFactory(**fields)
        q.lead_claim(lead_id=lead.pk, actor=qualifier)
        Lead.objects.filter(pk=lead.pk).update(criteria_passed=True)
        return q.lead_qualify(lead_id=lead.pk, actor=qualifier)

    def handed_off(self, rep=None, qualifier=None, **fields):
        qualifier = qualifier or self.people["qualifier"]
        lead = self.qualified(qualifier=qualifier, **fields)
        return q.lead_hand_off(lead_id=lead.pk, actor=qualifier, sales_rep=rep or self.people["rep"])

    def accepted(self, rep=None, **fields):
        rep = rep or self.people["rep"]
        lead = self.handed_off(rep=rep, **fields)
        return s.handoff_accept(lead_id=lead.pk, actor=rep)

    def scheduled(self, rep=None, starts_at=None, **fields):
        rep = rep or self.people["rep"]
        lead = self.accepted(rep=rep, **fields)
        s.visit_schedule(lead_id=lead.pk, actor=rep, starts_at=starts_at or msk(2026, 12, 2, 11, 0))
        return Lead.objects.get(pk=lead.pk)

    def booked_with_summary(self, *, at, rep=None, note="", answers=None, best_time="после 11", **fields):
        """A lead the qualifier answered the checklist of and handed off with a note; the rep accepted it
        and booked the visit at `at` (the rep's day shows all of it). Returns the visit."""
        from qualification.models import Criterion, HandoffSummary, LeadAnswer

        rep = rep or self.people["rep"]
        qualifier = self.people["qualifier"]
        fields.setdefault("address", "Москва, ул. Тверская, 1")
        lead = LeadFactory(**fields)
        q.lead_claim(lead_id=lead.pk, actor=qualifier)
        for code, value in (answers or {}).items():
            criterion = Criterion.objects.filter(code=code, checklist__is_active=True).first()
            LeadAnswer.objects.create(
                lead=lead, criterion=criterion, checklist_version=criterion.checklist.version, value=value, passed=True
            )
        Lead.objects.filter(pk=lead.pk).update(criteria_passed=True)
        q.lead_qualify(lead_id=lead.pk, actor=qualifier)
        q.lead_hand_off(lead_id=lead.pk, actor=qualifier, sales_rep=rep, note=note)
        # the summary "send to sales" writes (there the team's strategy picks the rep, here the test does)
        HandoffSummary.objects.create(
            lead=lead, sales_rep=rep, created_by=qualifier, note=note, best_time_to_visit=best_time
        )
        s.handoff_accept(lead_id=lead.pk, actor=rep)
        return s.visit_schedule(lead_id=lead.pk, actor=rep, starts_at=at)

    def measured(self, rep=None, quote=Decimal("350000"), **fields):
        rep = rep or self.people["rep"]
        lead = self.accepted(rep=rep, **fields)
        return s.lead_record_measurement(lead_id=lead.pk, actor=rep, quote_amount=quote)

    def disputed(self, rep=None, **fields):
        from tests.factories import reason

        rep = rep or self.people["rep"]
        lead = self.handed_off(rep=rep, **fields)
        return s.handoff_dispute(
            lead_id=lead.pk, actor=rep, reason=reason("dispute", "modular"), comment="Клиенту нужна модульная кухня"
        )


@pytest.fixture
def deals(people):
    return Deals(people)
