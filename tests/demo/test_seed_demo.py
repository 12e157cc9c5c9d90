"""manage.py seed_demo: the demo company, a believable funnel, consistent leads, idempotent runs."""

import random
from collections import Counter
from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Min
from django_fsm_log.models import StateLog

from demo.clock import FastCalendar
from demo.people import DEMO_PASSWORD
from leadflow import roles
from leadflow.models import HandoffState, Inquiry, Lead, LeadStatus, Reason, SlaState, Team
from leadflow.phones import normalize_phone
from leadflow.services import sla_deadlines
from leadflow.workhours import WorkCalendar
from qualification.models import CallAttempt, Checklist, Criterion, LeadAnswer
from reports.models import MarketingSpend
from sales.models import Dispute, Measurement, Visit
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

MOSCOW = ZoneInfo("Europe/Moscow")
# A Wednesday afternoon: the qualification team is at work, the reps are out measuring.
NOW = datetime(2026, 3, 11, 14, 30, tzinfo=MOSCOW)
MILESTONES = [
    "received_at",
    "claimed_at",
    "first_call_at",
    "qualified_at",
    "handed_off_at",
    "accepted_at",
    "measured_at",
    "closed_at",
]


def seed(**options):
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def counts():
    return {
        "users": get_user_model().objects.count(),
        "leads": Lead.objects.count(),
        "history": StateLog.objects.count(),
        "calls": CallAttempt.objects.count(),
        "inquiries": Inquiry.objects.count(),
        "answers": LeadAnswer.objects.count(),
        "disputes": Dispute.objects.count(),
        "visits": Visit.objects.count(),
        "measurements": Measurement.objects.count(),
        "statuses": dict(Counter(Lead.objects.values_list("status", flat=True))),
        "spend": sorted(MarketingSpend.objects.values_list("source__code", "utm_campaign", "day", "amount")),
    }


@pytest.fixture
def seeded():
    output = seed(leads=300)
    return output, list(Lead.objects.select_related("qualification_team"))


def test_one_user_per_role_with_group_profile_and_team(seeded):
    output, _leads = seeded
    User = get_user_model()
    expected = {
        roles.QUALIFIER: 4,
        roles.QUALIFICATION_LEAD: 1,
        roles.SALES_REP: 5,
        roles.SALES_MANAGER: 1,
        roles.DIRECTOR: 1,
    }
    for role, number in expected.items():
        people = User.objects.filter(groups__name=role)
        assert people.count() == number, role
        for person in people:
            assert person.check_password(DEMO_PASSWORD)
            assert person.first_name and person.last_name
            assert person.username in output
    qualification = Team.objects.get(name="Квалификация")
    sales = Team.objects.get(name="Продажи (Москва)")
    assert {u.profile.team for u in User.objects.filter(groups__name=roles.QUALIFIER)} == {qualification}
    assert {u.profile.team for u in User.objects.filter(groups__name=roles.SALES_REP)} == {sales}
    assert qualification.lead.username == "qlead" and sales.lead.username == "salesmanager"
    assert qualification.sales_team == sales
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert User.objects.get(username="director").is_staff
    assert not User.objects.get(username="rep1").is_staff
    assert DEMO_PASSWORD in output


def test_funnel_like_the_design(seeded):
    _output, leads = seeded
    assert len(leads) == 300
    statuses = Counter(lead.status for lead in leads)
    assert statuses[LeadStatus.DISQUALIFIED] > 0.5 * len(leads)
    assert 0 < statuses[LeadStatus.WON] <= 0.10 * len(leads)
    assert statuses[LeadStatus.LOST] > 0 and statuses[LeadStatus.MEASURED] > 0
    # something to show now: fresh leads in the queue, calls in progress, hand-offs to accept
    fresh = [lead for lead in leads if lead.status == LeadStatus.NEW]
    assert fresh and all(NOW - lead.received_at < timedelta(hours=1) for lead in fresh)
    assert any(lead.sla_breach_at > NOW for lead in fresh)
    assert statuses[LeadStatus.QUALIFYING] > 0
    assert any(lead.handoff_state == HandoffState.PENDING for lead in leads if lead.status == LeadStatus.HANDED_OFF)
    reasons = Counter(lead.disqualify_reason.code for lead in leads if lead.status == LeadStatus.DISQUALIFIED)
    assert reasons.most_common(1)[0][0] == "modular"
    assert {"website", "avito", "yandex_direct", "call_tracking"} <= {lead.source.code for lead in leads}
    assert {"custom", "modular"} <= {lead.product_interest for lead in leads}


def test_milestones_in_order_and_outcomes_complete(seeded):
    _output, leads = seeded
    for lead in leads:
        moments = [(name, getattr(lead, name)) for name in MILESTONES if getattr(lead, name) is not None]
        assert moments == sorted(moments, key=lambda pair: pair[1]), lead.pk
        assert lead.received_at <= NOW
        if lead.status != LeadStatus.NEW:
            assert lead.qualifier_id is not None and lead.claimed_at is not None
        if lead.status == LeadStatus.DISQUALIFIED:
            assert lead.disqualify_reason.kind == Reason.Kind.DISQUALIFY and lead.disqualified_at == lead.closed_at
        if lead.status == LeadStatus.WON:
            assert 250_000 <= lead.deal_amount <= 900_000 and lead.deal_date is not None
            assert lead.deal_date == lead.closed_at.astimezone(MOSCOW).date()
        if lead.status in (LeadStatus.MEASURED, LeadStatus.WON):
            assert 250_000 <= lead.quote_amount <= 900_000
        if lead.status == LeadStatus.LOST:
            assert lead.lose_reason.kind == Reason.Kind.LOSE
        if lead.status in (LeadStatus.HANDED_OFF, LeadStatus.MEASURED, LeadStatus.WON, LeadStatus.LOST):
            assert lead.sales_rep.groups.filter(name=roles.SALES_REP).exists()
            assert lead.criteria_passed


def test_sla_fields_follow_the_team_rule(seeded):
    _output, leads = seeded
    team = leads[0].qualification_team
    for lead in leads:
        assert (lead.sla_warn_at, lead.sla_breach_at) == sla_deadlines(team=team, received_at=lead.received_at)
        if lead.first_call_at is None:
            assert lead.sla_state in (SlaState.PENDING, SlaState.WARNED, SlaState.BREACHED)
        elif lead.first_call_at <= lead.sla_breach_at:
            assert lead.sla_state == SlaState.MET
        else:
            assert lead.sla_state == SlaState.MET_LATE and lead.sla_breached_at == lead.sla_breach_at
    warnings = dict(StateLog.objects.filter(transition="sla_warning").values_list("object_id", "timestamp"))
    breaches = dict(StateLog.objects.filter(transition="sla_breach").values_list("object_id", "timestamp"))
    assert warnings == {lead.pk: lead.sla_warned_at for lead in leads if lead.sla_warned_at}
    assert breaches == {lead.pk: lead.sla_breached_at for lead in leads if lead.sla_breached_at}
    called = [lead for lead in leads if lead.first_call_at is not None]
    within_15 = sum(lead.first_call_at <= lead.sla_warn_at for lead in called) / len(called)
    assert 0.75 <= within_15 <= 0.95


def test_call_attempts_and_history_match_the_leads(seeded):
    _output, leads = seeded
    first_calls = dict(CallAttempt.objects.values_list("lead").annotate(first=Min("called_at")))
    for lead in leads:
        assert first_calls.get(lead.pk) == lead.first_call_at
    by_lead = {}
    for row in StateLog.objects.order_by("timestamp", "pk"):
        by_lead.setdefault(row.object_id, []).append(row)
    for lead in leads:
        rows = by_lead[lead.pk]
        assert rows[0].transition == "received" and rows[0].timestamp == lead.received_at
        status = LeadStatus.NEW
        for row in rows:
            assert row.source_state == status, (lead.pk, row.transition)
            status = row.state
        assert status == lead.status
        claim = next((row for row in rows if row.transition == "claim"), None)
        if claim is not None:
            assert claim.by_id == lead.qualifier_id and claim.timestamp == lead.claimed_at
        # `updated_at` as a real lead's: its last change, not the moment of seeding (the report rollup
        # would read every seeded day as changed since its last refresh)
        assert lead.updated_at == min(NOW, max(row.timestamp for row in rows)), lead.pk
    assert StateLog.objects.filter(transition="win").count() == Lead.objects.filter(status=LeadStatus.WON).count()


def test_phones_are_distinct_e164_and_names_russian(seeded):
    _output, leads = seeded
    phones = [lead.phone for lead in leads]
    assert len(set(phones)) == len(phones)
    for phone in phones:
        assert phone.startswith("+79") and normalize_phone(phone) == phone
    assert all(any("а" <= ch.lower() <= "я" for ch in lead.name) for lead in leads)


def test_disputes_visits_and_measurements(seeded):
    _output, leads = seeded
    decisions = Counter(Dispute.objects.values_list("decision", flat=True))
    assert decisions["upheld"] > 0 and decisions["rejected"] > 0
    for dispute in Dispute.objects.filter(decision="upheld"):
        assert dispute.counts_against_user_id == dispute.qualifier_id and dispute.decided_at > dispute.raised_at
    measured = [lead for lead in leads if lead.measured_at is not None]
    assert Measurement.objects.count() == len(measured)
    assert Visit.objects.filter(status=Visit.Status.DONE).count() == len(measured)
    for visit in Visit.objects.select_related("lead"):
        assert visit.starts_at > visit.lead.handed_off_at or visit.lead.handed_off_at is None
    upcoming = Visit.objects.filter(status=Visit.Status.SCHEDULED, starts_at__gt=NOW)
    assert upcoming.exists()
    assert all(visit.lead.status == LeadStatus.HANDED_OFF for visit in upcoming)
    # one calendar event per chain of reschedules: a new series per first visit, one further per move
    for visit in Visit.objects.select_related("rescheduled_from"):
        earlier = visit.rescheduled_from
        assert (visit.series, visit.sequence) == (
            (earlier.series, earlier.sequence + 1) if earlier else (visit.series, 0)
        )
    firsts = Visit.objects.filter(rescheduled_from__isnull=True)
    assert firsts.values("series").distinct().count() == firsts.count()


def test_second_run_changes_nothing(seeded):
    before = counts()
    output = seed(leads=300)
    assert counts() == before
    assert "Nothing to add" in output and "(existing user, unchanged)" in output


def test_more_leads_tops_up_without_duplicates(seeded):
    seed(leads=450)
    assert Lead.objects.filter(external_id__startswith="demo-").count() == 450
    assert len(set(Lead.objects.values_list("phone", flat=True))) == 450
    assert get_user_model().objects.filter(username__startswith="rep").count() == 5


def test_if_empty_does_nothing_when_there_are_leads():
    LeadFactory()
    output = seed(leads=50, if_empty=True)
    assert "skipped" in output
    assert Lead.objects.count() == 1 and not get_user_model().objects.filter(username="admin").exists()


def test_answers_follow_the_outcome():
    """With an active checklist, reached leads get answers: all pass when qualified, the criterion
    behind the disqualification reason fails when disqualified for it."""
    team = Team.objects.get(name="Квалификация")
    checklist = Checklist.objects.filter(team=team, is_active=True).first()
    if checklist is None:
        checklist = Checklist.objects.create(team=team, version=1, title="Кухни", is_active=True)
        Criterion.objects.create(
            checklist=checklist,
            code="product_type",
            question="?",
            kind=Criterion.Kind.CHOICE,
            options=[{"value": "custom", "passes": True}, {"value": "modular", "passes": False}],
            disqualify_reason=Reason.objects.get(kind="disqualify", code="modular"),
        )
        Criterion.objects.create(
            checklist=checklist,
            code="budget",
            question="?",
            kind=Criterion.Kind.NUMBER,
            min_value=250000,
            disqualify_reason=Reason.objects.get(kind="disqualify", code="no_budget"),
            position=1,
        )
    seed(leads=300)
    answers = LeadAnswer.objects.select_related("lead", "criterion")
    assert answers.exists()
    for answer in answers:
        lead = answer.lead
        assert answer.checklist_version == checklist.version and answer.answered_by_id == lead.qualifier_id
        assert lead.claimed_at <= answer.answered_at <= NOW
        if lead.status in (LeadStatus.HANDED_OFF, LeadStatus.MEASURED, LeadStatus.WON, LeadStatus.LOST):
            assert answer.passed
        if not answer.passed:
            assert lead.status == LeadStatus.DISQUALIFIED
            assert answer.criterion.disqualify_reason_id == lead.disqualify_reason_id
    modular = Lead.objects.filter(status=LeadStatus.DISQUALIFIED, disqualify_reason__code="modular")
    assert LeadAnswer.objects.filter(lead__in=modular, passed=False, criterion__code="product_type").exists()


def test_status_can_be_given_to_a_new_instance_but_not_assigned():
    """The bulk path relies on this: the FSM protection blocks assignment, not construction."""
    lead = Lead(status=LeadStatus.WON)
    assert lead.status == LeadStatus.WON
    saved = LeadFactory()
    with pytest.raises(AttributeError):
        saved.status = LeadStatus.WON


def test_fast_calendar_agrees_with_the_work_calendar():
    team = Team.objects.get(name="Продажи (Москва)")  # closed on Sundays and holidays
    calendar = WorkCalendar.for_team(team)
    fast = FastCalendar(calendar, datetime(2025, 12, 20).date())
    rng = random.Random(7)
    start = int(datetime(2025, 12, 25, tzinfo=MOSCOW).timestamp())
    for _ in range(300):
        moment = start + rng.randrange(40 * 86400)
        minutes = rng.choice([0, 1, 15, 20, 120, 600, 2000])
        expected = calendar.add_working_minutes(datetime.fromtimestamp(moment, MOSCOW), minutes)
        assert fast.add(moment, minutes * 60) == int(expected.timestamp())


@pytest.mark.parametrize(
    ("username", "url"),
    [
        ("qualifier1", "/queue/"),
        ("qlead", "/queue/sla/"),
        ("rep1", "/board/"),
        ("salesmanager", "/board/"),
        ("director", "/reports/funnel/"),
        ("director", "/reports/sources/?preset=this_quarter"),
        ("director", "/admin/leadflow/lead/"),
    ],
)
def test_pages_show_the_demo_data(seeded, client, username, url):
    client.force_login(get_user_model().objects.get(username=username))
    with time_machine.travel(NOW, tick=False):
        response = client.get(url)
    assert response.status_code == 200


def test_spend_makes_source_economics_alive(seeded, client):
    """Every paid source and campaign of the demo's leads has its spend, so the page shows costs and ROMI."""
    assert MarketingSpend.objects.filter(utm_campaign="kuhni_msk_rsya").exists()
    assert MarketingSpend.objects.filter(source__code="website", utm_campaign="").exists()  # the SEO fee
    client.force_login(get_user_model().objects.get(username="director"))
    with time_machine.travel(NOW, tick=False):
        response = client.get("/reports/sources/", {"preset": "this_quarter"})
    total = response.context["total"]
    assert total["spend"] > 0 and total["leads"] > 0 and total["cost_per_lead"] > 0
    assert total["romi"] is not None
