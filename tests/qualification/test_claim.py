"""Next lead, the claim race, the claim lease, release and reassignment by the team lead."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_fsm_log.models import StateLog

from leadflow import roles
from leadflow.models import Lead, LeadStatus, Notification, SlaState
from qualification import services as q
from qualification.exceptions import AlreadyClaimed, PermissionRefused, TransitionRefused
from qualification.tasks import claim_lease_sweep
from tests.factories import make_user, qualification_team, queue_lead

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]  # assert on the English msgids


def test_next_lead_claims_the_most_urgent_unclaimed_lead(qualifier):
    queue_lead(minutes_ago=1)
    queue_lead(minutes_ago=25, sla_state=SlaState.BREACHED)  # already late: after the leads still in time
    urgent = queue_lead(minutes_ago=16, sla_state=SlaState.WARNED)
    taken = queue_lead(minutes_ago=40)
    q.lead_claim(lead_id=taken.pk, actor=make_user(roles.QUALIFIER))
    lead = q.lead_claim_next(actor=qualifier)
    assert lead.pk == urgent.pk
    assert lead.status == LeadStatus.QUALIFYING and lead.qualifier == qualifier
    row = StateLog.objects.for_(lead).latest()
    assert (row.transition, row.by) == ("claim", qualifier)


def test_next_lead_on_an_empty_pool_says_so(client, qualifier):
    assert q.lead_claim_next(actor=qualifier) is None
    client.force_login(qualifier)
    response = client.post(reverse("qualification:next"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("qualification:index")
    assert "No unclaimed leads" in response.content.decode()


def test_next_lead_shows_a_refusal_on_the_queue(client, qualifier, monkeypatch):
    """A domain error on "Next lead" reaches the person as a message on the page they land on."""

    def refuse(*, actor):
        raise TransitionRefused("You already hold three leads: finish one first.")

    monkeypatch.setattr(q, "lead_claim_next", refuse)
    client.force_login(qualifier)
    response = client.post(reverse("qualification:next"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("qualification:index")
    html = response.content.decode()
    assert "You already hold three leads: finish one first." in html
    assert "No unclaimed leads" not in html


def test_next_lead_keeps_a_message_waiting_from_before(client, qualifier):
    """A message queued by an earlier request is still shown, not consumed by the button."""
    client.force_login(qualifier)
    first = client.post(reverse("qualification:next"))  # empty pool: the info message waits
    assert first.status_code == 302
    response = client.post(reverse("qualification:next"), follow=True)
    assert response.content.decode().count("No unclaimed leads") >= 1


def test_next_lead_button_opens_the_card(client, qualifier):
    lead = queue_lead()
    client.force_login(qualifier)
    response = client.post(reverse("qualification:next"))
    assert response.status_code == 302
    assert response.url == reverse("qualification:lead", args=[lead.pk])


def test_next_lead_offers_my_due_callback_first(qualifier):
    mine = queue_lead()
    q.lead_claim(lead_id=mine.pk, actor=qualifier)
    q.call_attempt_log(
        lead_id=mine.pk, actor=qualifier, outcome="callback", callback_at=timezone.now() + timedelta(minutes=30)
    )
    fresh = queue_lead(sla_state=SlaState.BREACHED, minutes_ago=30)
    assert q.lead_claim_next(actor=qualifier).pk == fresh.pk  # callback not due yet
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        queue_lead()
        assert q.lead_claim_next(actor=qualifier).pk == mine.pk


def test_next_lead_only_from_own_team(qualifier):
    from tests.factories import TeamFactory

    other = TeamFactory(name="Другая", kind="qualification")
    queue_lead(qualification_team=other)
    assert q.lead_claim_next(actor=qualifier) is None


def test_sales_rep_cannot_take_next_lead():
    queue_lead()
    with pytest.raises(PermissionRefused):
        q.lead_claim_next(actor=make_user(roles.SALES_REP))


def test_sequential_next_leads_never_repeat(qualifier):
    leads = {queue_lead(minutes_ago=i).pk for i in range(5)}
    people = [make_user(roles.QUALIFIER) for _ in range(5)]
    got = [q.lead_claim_next(actor=p).pk for p in people]
    assert sorted(got) == sorted(leads)
    assert q.lead_claim_next(actor=qualifier) is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_claim_race_on_postgres_never_gives_the_same_lead_twice(transactional_db):
    """Many qualifiers press "Next lead" at the same moment: every lead is handed out at most once."""
    qualification_team()
    n_people, n_leads = 24, 16
    for i in range(n_leads):
        queue_lead(minutes_ago=i)
    people = [make_user(roles.QUALIFIER, username=f"racer{i}") for i in range(n_people)]
    barrier = threading.Barrier(n_people)
    results, errors = [], []

    def press(person):
        try:
            barrier.wait(timeout=10)
            lead = q.lead_claim_next(actor=person)
            results.append((person.pk, lead.pk if lead else None))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()  # each thread has its own connection: close it before teardown

    threads = [threading.Thread(target=press, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    claimed = [lead_id for _, lead_id in results if lead_id is not None]
    assert len(claimed) == len(set(claimed)) == n_leads
    assert [lead_id for _, lead_id in results].count(None) == n_people - n_leads
    for person_id, lead_id in results:
        if lead_id:
            assert Lead.objects.get(pk=lead_id).qualifier_id == person_id
    assert StateLog.objects.filter(transition="claim").count() == n_leads


@pytest.mark.postgres
def test_next_lead_uses_for_update_skip_locked_on_postgres(qualifier):
    from django.test.utils import CaptureQueriesContext

    queue_lead()
    with CaptureQueriesContext(connection) as ctx:
        assert q.lead_claim_next(actor=qualifier) is not None
    assert any("FOR UPDATE" in x["sql"] and "SKIP LOCKED" in x["sql"] for x in ctx.captured_queries)


def test_claim_of_a_taken_lead_is_refused(qualifier):
    lead = queue_lead()
    q.lead_claim(lead_id=lead.pk, actor=make_user(roles.QUALIFIER))
    with pytest.raises(AlreadyClaimed):
        q.lead_claim(lead_id=lead.pk, actor=qualifier)


# --- the claim lease --------------------------------------------------------------------------


def test_claim_lease_expires_without_activity_and_history_says_so(qualifier):
    qualification_team(claim_lease_minutes=30)
    lead = queue_lead()
    q.lead_claim(lead_id=lead.pk, actor=qualifier)
    with time_machine.travel(timezone.now() + timedelta(minutes=29)):
        assert q.claim_leases_expire() == 0
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        claim_lease_sweep.delay()
        lead = Lead.objects.get(pk=lead.pk)
        assert lead.status == LeadStatus.NEW
        assert lead.qualifier is None and lead.claimed_at is None
        row = StateLog.objects.for_(lead).latest()
        assert (row.transition, row.by, row.source_state, row.state) == ("release", None, "qualifying", "new")
        assert "30" in row.description and "lease" in row.description.lower()
        assert Notification.objects.filter(recipient=qualifier, lead=lead).exists()
        assert q.claim_leases_expire() == 0  # idempotent


def test_activity_renews_the_lease(qualifier):
    qualification_team(claim_lease_minutes=30)
    lead = queue_lead()
    q.lead_claim(lead_id=lead.pk, actor=qualifier)
    start = timezone.now()
    with time_machine.travel(start + timedelta(minutes=20)):
        q.call_attempt_log(lead_id=lead.pk, actor=qualifier, outcome="no_answer")
    with time_machine.travel(start + timedelta(minutes=45)):
        assert q.claim_leases_expire() == 0
    with time_machine.travel(start + timedelta(minutes=51)):
        assert q.claim_leases_expire() == 1


def test_a_promised_callback_keeps_the_lead_until_after_that_time(qualifier):
    qualification_team(claim_lease_minutes=30)
    lead = queue_lead()
    q.lead_claim(lead_id=lead.pk, actor=qualifier)
    start = timezone.now()
    q.call_attempt_log(lead_id=lead.pk, actor=qualifier, outcome="callback", callback_at=start + timedelta(hours=3))
    with time_machine.travel(start + timedelta(hours=3, minutes=20)):
        assert q.claim_leases_expire() == 0
        assert Lead.objects.get(pk=lead.pk).qualifier == qualifier
    with time_machine.travel(start + timedelta(hours=3, minutes=31)):
        assert q.claim_leases_expire() == 1


def test_expired_lead_can_be_claimed_by_someone_else(qualifier):
    qualification_team(claim_lease_minutes=10)
    lead = queue_lead()
    q.lead_claim(lead_id=lead.pk, actor=qualifier)
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        q.claim_leases_expire()
        other = make_user(roles.QUALIFIER)
        assert q.lead_claim_next(actor=other).pk == lead.pk


# --- release and reassign by the team lead ------------------------------------------------------


def test_team_lead_releases_a_lead(client, qualifier, qlead):
    lead = queue_lead()
    q.lead_claim(lead_id=lead.pk, actor=qualifier)
    client.force_login(qlead)
    response = client.post(reverse("qualification:release", args=[lead.pk]))
    assert response.status_code == 302
    lead = Lead.objects.get(pk=lead.pk)
    assert lead.status == LeadStatus.NEW and lead.qualifier is None
    assert StateLog.objects.for_(lead).latest().by == qlead


def test_qualifier_cannot_release_or_reassign(client, qualifier):
    lead = queue_lead()
    q.lead_claim(lead_id=lead.pk, actor=qualifier)
    with pytest.raises(PermissionRefused):
        q.lead_release(lead_id=lead.pk, actor=qualifier)
    client.force_login(qualifier)
    response = client.post(reverse("qualification:release", args=[lead.pk]))
    assert response.status_code == 403
    assert "qualification lead" in response.content.decode()


def test_team_lead_reassigns_held_and_new_leads(qualifier, qlead):
    other = make_user(roles.QUALIFIER, username="olga")
    held = queue_lead()
    q.lead_claim(lead_id=held.pk, actor=qualifier)
    held = q.lead_reassign(lead_id=held.pk, actor=qlead, qualifier=other)
    assert held.qualifier == other and held.status == LeadStatus.QUALIFYING
    row = StateLog.objects.for_(held).latest()
    assert (row.transition, row.by) == ("reassigned", qlead)
    fresh = q.lead_reassign(lead_id=queue_lead().pk, actor=qlead, qualifier=qualifier)
    assert fresh.status == LeadStatus.QUALIFYING and fresh.qualifier == qualifier
    assert Notification.objects.filter(recipient=other, kind=Notification.Kind.REASSIGNED).exists()


def test_cannot_reassign_to_someone_outside_the_team(qlead):
    rep = make_user(roles.SALES_REP)
    with pytest.raises(TransitionRefused):
        q.lead_reassign(lead_id=queue_lead().pk, actor=qlead, qualifier=rep)
