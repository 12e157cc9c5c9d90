"""The callback SLA engine: checks at the deadlines, idempotency, calls stopping the clock, the sweep,
escalation and reassignment. Time moves with time-machine; tasks run eagerly (tests/conftest.py)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django_fsm_log.models import StateLog

from leadflow import roles
from leadflow.models import Lead, LeadStatus, Notification, Profile, SlaState
from leadflow.services import lead_receive
from qualification import services as q
from qualification import sla
from qualification.models import CallAttempt
from qualification.tasks import sla_check, sla_sweep
from tests.factories import make_user, qualification_team, reason, source
from tests.qualification.conftest import RECEIVED

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")
WARN_AT = RECEIVED + timedelta(minutes=15)
BREACH_AT = RECEIVED + timedelta(minutes=20)


def at(minutes, seconds=0):
    return RECEIVED + timedelta(minutes=minutes, seconds=seconds)


def history(lead, event):
    return StateLog.objects.for_(lead).filter(transition=event)


def notified(kind, lead):
    return sorted(Notification.objects.filter(kind=kind, lead=lead).values_list("recipient__username", flat=True))


def check(lead, kind, when):
    with time_machine.travel(when, tick=False):
        sla_check.delay(lead.pk, kind)
    return Lead.objects.get(pk=lead.pk)


def call(lead, actor, when, outcome=CallAttempt.Outcome.NO_ANSWER):
    with time_machine.travel(when, tick=False):
        q.call_attempt_log(lead_id=lead.pk, actor=actor, outcome=outcome, check_holder=False)
    return Lead.objects.get(pk=lead.pk)


def claim(lead, actor):
    with time_machine.travel(at(1), tick=False):
        return q.lead_claim(lead_id=lead.pk, actor=actor)


# --- scheduling ---------------------------------------------------------------------------------


def test_intake_schedules_both_checks_after_commit(settings, monkeypatch, django_capture_on_commit_callbacks, team):
    settings.SLA_CHECK_MESSAGES = True  # off by default (issue 14): the sweep alone is on time
    published = []
    monkeypatch.setattr(sla_check, "apply_async", lambda args, eta, **kw: published.append((args[1], eta, kw)))
    with time_machine.travel(RECEIVED, tick=False), django_capture_on_commit_callbacks(execute=False) as hooks:
        lead = lead_receive(source=source("website"), phone="+79125550001").lead
    assert published == []  # nothing leaves the transaction before it commits
    for hook in hooks:
        hook()
    assert published == [("warn", WARN_AT, {"retry": False}), ("breach", BREACH_AT, {"retry": False})]
    assert (lead.sla_warn_at, lead.sla_breach_at) == (WARN_AT, BREACH_AT)


def test_by_default_intake_publishes_nothing_and_the_sweep_fires_each_check_within_30_s_once(
    settings, monkeypatch, receive, people
):
    """Issue 14: no ETA message per lead; beat's sweep every SLA_SWEEP_SECONDS is the one clock."""
    assert settings.SLA_CHECK_MESSAGES is False and settings.SLA_SWEEP_SECONDS <= 15
    published = []
    monkeypatch.setattr(sla_check, "apply_async", lambda *args, **kw: published.append(args))
    lead = receive()
    assert published == []
    fired = {}
    ticks = [WARN_AT - timedelta(seconds=7) + timedelta(seconds=settings.SLA_SWEEP_SECONDS * n) for n in range(30)]
    for tick in ticks:  # beat's sweeps, the first one 7 s before the warning is due
        with time_machine.travel(tick, tick=False):
            totals = sla.sla_sweep()
        for kind in ("warned", "breached"):
            if totals[kind]:
                fired.setdefault(kind, []).append(tick)
    assert {kind: len(times) for kind, times in fired.items()} == {"warned": 1, "breached": 1}
    assert timedelta(0) <= fired["warned"][0] - WARN_AT <= timedelta(seconds=30)
    assert timedelta(0) <= fired["breached"][0] - BREACH_AT <= timedelta(seconds=30)
    assert history(lead, "sla_warning").count() == 1 and history(lead, "sla_breach").count() == 1


def test_a_failed_publish_is_logged_and_leaves_the_lead_to_the_sweep(settings, monkeypatch, caplog, receive, team):
    settings.SLA_CHECK_MESSAGES = True
    attempts = []

    def broker_down(args, eta, **kw):
        attempts.append(args)
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(sla_check, "apply_async", broker_down)
    lead = receive()
    assert Lead.objects.filter(pk=lead.pk).exists()
    assert len(attempts) == 1  # gives up at the first failure: no second wait on a dead broker
    assert "the sweep will run it" in caplog.text


def test_an_early_message_changes_nothing(receive, people):
    lead = receive()  # eager mode already ran both checks at intake time: too early, no-ops
    lead = check(lead, "warn", at(14, 59))
    lead = check(lead, "breach", at(14, 59))
    assert lead.sla_state == SlaState.PENDING
    assert Notification.objects.count() == 0
    assert not history(lead, "sla_warning").exists()
    lead = check(lead, "breach", at(19, 59))  # the warning is due by now, the breach is not
    assert lead.sla_state == SlaState.WARNED
    assert not history(lead, "sla_breach").exists()


# --- warning and breach -------------------------------------------------------------------------


def test_warning_notifies_the_holder_and_the_team_lead(receive, people):
    lead = receive()
    claim(lead, people["anna"])
    lead = check(lead, "warn", at(15))
    assert lead.sla_state == SlaState.WARNED
    assert lead.sla_warned_at == WARN_AT
    assert notified(Notification.Kind.SLA_WARNING, lead) == ["anna", "tl"]
    assert history(lead, "sla_warning").count() == 1


def test_warning_of_an_unclaimed_lead_goes_to_everyone_on_shift(receive, people, team):
    away = make_user(roles.QUALIFIER, username="away")
    Profile.objects.filter(user=away).update(is_available=False)
    make_user(roles.QUALIFIER, username="gone", is_active=False)
    other_team = qualification_team(name="Екатеринбург")
    make_user(roles.QUALIFIER, username="elsewhere", team=other_team)
    lead = receive()
    lead = check(lead, "warn", at(15))
    assert notified(Notification.Kind.SLA_WARNING, lead) == ["anna", "boris", "tl"]


def test_duplicate_and_late_delivery_notifies_once(receive, people):
    lead = receive()
    claim(lead, people["anna"])
    for minutes in (15, 15, 16, 19):
        lead = check(lead, "warn", at(minutes))
    with time_machine.travel(at(17), tick=False):
        sla_sweep.delay()
    assert lead.sla_warned_at == WARN_AT  # the first delivery's time, never moved by a later one
    assert Notification.objects.filter(kind=Notification.Kind.SLA_WARNING).count() == 2  # anna + team lead
    assert history(lead, "sla_warning").count() == 1
    for minutes in (20, 20, 45):
        lead = check(lead, "breach", at(minutes))
    assert lead.sla_breached_at == BREACH_AT
    assert notified(Notification.Kind.SLA_BREACH, lead) == ["tl"]
    assert history(lead, "sla_breach").count() == 1


def test_breach_marks_escalates_and_records(receive, people):
    lead = receive()
    claim(lead, people["anna"])
    check(lead, "warn", at(15))
    lead = check(lead, "breach", at(20))
    assert lead.sla_state == SlaState.BREACHED
    assert lead.sla_breached_at == BREACH_AT
    assert notified(Notification.Kind.SLA_BREACH, lead) == ["tl"]
    assert lead.qualifier == people["anna"]  # the policy does not reassign by default
    events = list(StateLog.objects.for_(lead).order_by("timestamp", "pk").values_list("transition", flat=True))
    assert events == ["received", "claim", "sla_warning", "sla_breach"]


def test_a_breach_check_whose_warning_was_lost_takes_both_steps(receive, people):
    lead = receive()
    lead = check(lead, "breach", at(25))
    assert lead.sla_state == SlaState.BREACHED
    assert history(lead, "sla_warning").count() == 1
    assert history(lead, "sla_breach").count() == 1
    assert notified(Notification.Kind.SLA_WARNING, lead) == ["anna", "boris", "tl"]


# --- the call stops the clock -------------------------------------------------------------------


def test_call_before_the_warning_is_met(receive, people):
    lead = receive()
    claim(lead, people["anna"])
    lead = call(lead, people["anna"], at(10))
    for kind, minutes in (("warn", 15), ("breach", 20)):
        lead = check(lead, kind, at(minutes))
    assert (lead.sla_state, lead.sla_warned_at, lead.sla_breached_at) == (SlaState.MET, None, None)
    assert lead.first_call_at == at(10)
    assert Notification.objects.count() == 0


def test_call_between_warning_and_breach_is_met_with_the_warning_kept(receive, people):
    lead = receive()
    claim(lead, people["anna"])
    check(lead, "warn", at(15))
    lead = call(lead, people["anna"], at(17), outcome=CallAttempt.Outcome.REACHED)
    lead = check(lead, "breach", at(20))
    assert lead.sla_state == SlaState.MET
    assert lead.sla_warned_at == WARN_AT
    assert lead.sla_breached_at is None
    assert not Notification.objects.filter(kind=Notification.Kind.SLA_BREACH).exists()


def test_call_after_the_breach_is_met_late_and_stays_breached(receive, people):
    lead = receive()
    claim(lead, people["anna"])
    check(lead, "warn", at(15))
    check(lead, "breach", at(20))
    lead = call(lead, people["anna"], at(31))
    assert lead.sla_state == SlaState.MET_LATE
    assert lead.sla_breached_at == BREACH_AT
    assert lead.sla_warned_at == WARN_AT
    lead = check(lead, "breach", at(40))
    assert history(lead, "sla_breach").count() == 1


def test_a_closed_lead_is_never_escalated(receive, people):
    lead = receive()
    with time_machine.travel(at(5), tick=False):
        q.lead_disqualify(lead_id=lead.pk, actor=people["team_lead"], reason=reason("disqualify", "spam"))
    lead = check(lead, "breach", at(25))
    assert lead.status == LeadStatus.DISQUALIFIED
    assert lead.sla_state == SlaState.CLOSED  # the clock stopped with the lead: out of the sweep's index
    assert Notification.objects.count() == 0


def test_a_missing_lead_is_ignored():
    assert sla.sla_check_lead(lead_id=987654, kind="warn") == []
    with pytest.raises(ValueError):
        sla.sla_check_lead(lead_id=1, kind="later")


# --- the sweep ----------------------------------------------------------------------------------


def test_sweep_runs_every_missed_check_once(receive, people, django_assert_max_num_queries):
    overdue_warning = receive(RECEIVED)
    overdue_breach = receive(RECEIVED - timedelta(minutes=30))
    not_due = receive(RECEIVED + timedelta(minutes=10))
    called = receive(RECEIVED - timedelta(minutes=30))
    call(called, people["anna"], at(-25))
    with time_machine.travel(at(16), tick=False):
        totals = sla.sla_sweep()
        again = sla.sla_sweep()
    assert totals == {"due": 2, "warned": 2, "breached": 1, "failed": 0}
    assert again == {"due": 0, "warned": 0, "breached": 0, "failed": 0}
    states = dict(Lead.objects.values_list("pk", "sla_state"))
    assert states[overdue_warning.pk] == SlaState.WARNED
    assert states[overdue_breach.pk] == SlaState.BREACHED
    assert states[not_due.pk] == SlaState.PENDING
    assert states[called.pk] == SlaState.MET
    with time_machine.travel(at(16), tick=False), django_assert_max_num_queries(1):
        sla.sla_sweep()


def test_sweep_with_nothing_due_is_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        assert sla.sla_sweep() == {"due": 0, "warned": 0, "breached": 0, "failed": 0}


def test_leads_received_overnight_are_not_escalated_before_opening(receive, people):
    lead = receive(datetime(2026, 11, 25, 23, 40, tzinfo=MSK))
    assert lead.sla_warn_at == datetime(2026, 11, 26, 9, 15, tzinfo=MSK)
    with time_machine.travel(datetime(2026, 11, 26, 8, 59, tzinfo=MSK), tick=False):
        assert sla.sla_sweep()["due"] == 0
    with time_machine.travel(datetime(2026, 11, 26, 9, 16, tzinfo=MSK), tick=False):
        assert sla.sla_sweep() == {"due": 1, "warned": 1, "breached": 0, "failed": 0}


# --- reassignment on breach ---------------------------------------------------------------------


def test_breach_reassigns_a_claimed_lead_to_the_next_free_qualifier(receive, people, team):
    team.reassign_on_breach = True
    team.save()
    busy = receive(phone="+79125559999")
    claim(busy, people["boris"])  # boris already holds a lead
    carla = make_user(roles.QUALIFIER, username="carla")
    lead = receive()
    claim(lead, people["anna"])
    lead = check(lead, "breach", at(20))
    assert lead.status == LeadStatus.QUALIFYING
    assert lead.qualifier == carla  # free, and not the one who let it slip
    assert lead.last_activity_at == BREACH_AT
    row = history(lead, "sla_reassigned").get()
    assert carla.get_full_name() in row.description
    assert people["anna"].get_full_name() in row.description
    assert notified(Notification.Kind.REASSIGNED, lead) == ["anna", "carla"]
    assert Profile.objects.get(user=carla).last_assigned_at == BREACH_AT
    lead = check(lead, "breach", at(21))
    assert history(lead, "sla_reassigned").count() == 1


def test_breach_assigns_an_unclaimed_lead_through_the_claim_transition(receive, people, team):
    team.reassign_on_breach = True
    team.save()
    lead = receive()
    lead = check(lead, "breach", at(20))
    assert lead.status == LeadStatus.QUALIFYING
    assert lead.qualifier == people["anna"]  # least loaded, then by id
    claim_row = history(lead, "claim").get()
    assert claim_row.by is None  # the system acted
    assert people["anna"].get_full_name() in claim_row.description


def test_breach_with_nobody_free_on_shift_records_it(receive, people, team):
    team.reassign_on_breach = True
    team.save()
    Profile.objects.filter(user=people["boris"]).update(is_available=False)
    lead = receive()
    claim(lead, people["anna"])
    lead = check(lead, "breach", at(20))
    assert lead.qualifier == people["anna"]
    assert history(lead, "sla_reassign_skipped").count() == 1


def test_on_shift_means_member_active_available_and_calendar_open(people, team):
    evening = datetime(2026, 11, 25, 21, 30, tzinfo=MSK)
    with time_machine.travel(at(0), tick=False):
        assert {u.username for u in sla.qualifiers_on_shift(team=team)} == {"anna", "boris"}
    with time_machine.travel(evening, tick=False):
        assert list(sla.qualifiers_on_shift(team=team)) == []


def test_one_failing_check_does_not_stop_the_sweep(receive, people, monkeypatch):
    broken = receive()
    healthy = receive()
    real_warn = sla.checks._warn

    def warn(*, lead, **kwargs):
        if lead.pk == broken.pk:
            raise RuntimeError("boom")
        return real_warn(lead=lead, **kwargs)

    monkeypatch.setattr(sla.checks, "_warn", warn)  # the batch fails, then each lead alone: only the broken one
    with time_machine.travel(at(16), tick=False):
        assert sla.sla_sweep() == {"due": 2, "warned": 1, "breached": 0, "failed": 1}
    assert Lead.objects.get(pk=broken.pk).sla_state == SlaState.PENDING  # rolled back, retried next minute
    assert Lead.objects.get(pk=healthy.pk).sla_state == SlaState.WARNED


def test_a_late_call_that_beats_the_checks_still_counts_as_warned_and_breached(receive, people):
    lead = receive()
    claim(lead, people["anna"])
    lead = call(lead, people["anna"], at(31))  # no Celery check ran (worker down)
    assert lead.sla_state == SlaState.MET_LATE
    assert lead.sla_warned_at == WARN_AT
    assert lead.sla_breached_at == BREACH_AT
    lead = check(lead, "breach", at(40))  # the late message changes nothing
    assert lead.sla_state == SlaState.MET_LATE
    assert Notification.objects.count() == 0


def test_a_call_between_warning_and_breach_before_the_check_is_met_with_a_warning(receive, people):
    lead = receive()
    claim(lead, people["anna"])
    lead = call(lead, people["anna"], at(17))
    assert lead.sla_state == SlaState.MET
    assert lead.sla_warned_at == WARN_AT
    assert lead.sla_breached_at is None
