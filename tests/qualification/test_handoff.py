"""Hand-off: rep choice by the team's strategy, the summary, the rep's notification, my hand-offs."""

from collections import Counter

import pytest
from django.core import mail
from django.urls import reverse

from leadflow import roles
from leadflow.models import HandoffState, Lead, LeadStatus, Notification, Team
from qualification import services as q
from qualification.exceptions import PermissionRefused, TransitionRefused
from qualification.models import HandoffSummary
from sales import services as s
from tests.factories import (
    KITCHEN_PASSING_ANSWERS,
    kitchen_checklist,
    make_user,
    qualification_team,
    queue_lead,
    reason,
    sales_team,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]  # assert on the English msgids


@pytest.fixture
def reps():
    return [make_user(roles.SALES_REP, username=f"rep{i}") for i in range(3)]


def ready_lead(qualifier, **kwargs):
    """A claimed lead whose checklist passes."""
    kitchen_checklist()
    lead = queue_lead(**kwargs)
    q.lead_claim(lead_id=lead.pk, actor=qualifier)
    return q.lead_answers_save(lead_id=lead.pk, actor=qualifier, answers=KITCHEN_PASSING_ANSWERS)


def set_strategy(strategy):
    qualification_team(assignment_strategy=strategy)


def test_qualify_hands_off_with_a_summary_and_notifies_the_rep(qualifier, reps):
    lead = ready_lead(qualifier)
    lead = q.lead_qualify_and_hand_off(
        lead_id=lead.pk, actor=qualifier, note="Ремонт в июле", best_time_to_visit="будни после 18:00"
    )
    assert lead.status == LeadStatus.HANDED_OFF
    assert lead.sales_rep in reps and lead.handed_off_by == qualifier
    assert lead.handoff_state == HandoffState.PENDING
    summary = HandoffSummary.objects.get(lead=lead)
    assert summary.sales_rep == lead.sales_rep and summary.created_by == qualifier
    assert summary.budget.startswith("400") and "₽" in summary.budget
    assert summary.timeline.startswith("3")
    assert summary.best_time_to_visit == "будни после 18:00" and summary.note == "Ремонт в июле"
    assert {row["code"] for row in summary.answers} == set(KITCHEN_PASSING_ANSWERS)
    assert summary.checklist_version == 1
    note = Notification.objects.get(recipient=lead.sales_rep, kind=Notification.Kind.HANDOFF)
    assert note.lead == lead and "будни после 18:00" in note.text and "Ремонт в июле" in note.text
    assert note.read_at is None


def test_the_rep_gets_an_email_after_commit(qualifier, reps, django_capture_on_commit_callbacks):
    lead = ready_lead(qualifier)
    with django_capture_on_commit_callbacks(execute=True):
        lead = q.lead_qualify_and_hand_off(lead_id=lead.pk, actor=qualifier)
    assert [m.to for m in mail.outbox] == [[lead.sales_rep.email]]


def test_least_loaded_picks_the_rep_with_fewest_open_deals(qualifier, reps):
    set_strategy(Team.AssignmentStrategy.LEAST_LOADED)
    # rep0 and rep1 already have open deals; rep2 has none
    for rep in reps[:2]:
        lead = ready_lead(qualifier)
        q.lead_qualify(lead_id=lead.pk, actor=qualifier)
        q.lead_hand_off(lead_id=lead.pk, actor=qualifier, sales_rep=rep)
    lead = q.lead_qualify_and_hand_off(lead_id=ready_lead(qualifier).pk, actor=qualifier)
    assert lead.sales_rep == reps[2]


def test_least_loaded_ties_go_round_robin(qualifier, reps):
    set_strategy(Team.AssignmentStrategy.LEAST_LOADED)
    chosen = [
        q.lead_qualify_and_hand_off(lead_id=ready_lead(qualifier).pk, actor=qualifier).sales_rep for _ in range(3)
    ]
    assert set(chosen) == set(reps)


def test_closed_deals_do_not_count_as_load(qualifier, reps):
    set_strategy(Team.AssignmentStrategy.LEAST_LOADED)
    lead = ready_lead(qualifier)
    q.lead_qualify(lead_id=lead.pk, actor=qualifier)
    q.lead_hand_off(lead_id=lead.pk, actor=qualifier, sales_rep=reps[0])
    s.lead_lose(lead_id=lead.pk, actor=reps[0], reason=reason("lose", "refused_before_visit"))
    for rep in reps[1:]:
        other = ready_lead(qualifier)
        q.lead_qualify(lead_id=other.pk, actor=qualifier)
        q.lead_hand_off(lead_id=other.pk, actor=qualifier, sales_rep=rep)
    assert q.lead_qualify_and_hand_off(lead_id=ready_lead(qualifier).pk, actor=qualifier).sales_rep == reps[0]


def test_round_robin_goes_in_turn_regardless_of_load(qualifier, reps):
    set_strategy(Team.AssignmentStrategy.ROUND_ROBIN)
    lead = ready_lead(qualifier)
    q.lead_qualify(lead_id=lead.pk, actor=qualifier)
    q.lead_hand_off(lead_id=lead.pk, actor=qualifier, sales_rep=reps[0])  # load does not matter
    chosen = [
        q.lead_qualify_and_hand_off(lead_id=ready_lead(qualifier).pk, actor=qualifier).sales_rep for _ in range(6)
    ]
    assert chosen == reps + reps


def test_unavailable_and_inactive_reps_are_skipped(qualifier, reps):
    reps[0].profile.is_available = False
    reps[0].profile.save()
    reps[1].is_active = False
    reps[1].save()
    for strategy in (Team.AssignmentStrategy.ROUND_ROBIN, Team.AssignmentStrategy.LEAST_LOADED):
        set_strategy(strategy)
        for _ in range(3):
            lead = q.lead_qualify_and_hand_off(lead_id=ready_lead(qualifier).pk, actor=qualifier)
            assert lead.sales_rep == reps[2]


def test_nobody_available_keeps_the_lead_with_the_qualifier(qualifier, reps):
    for rep in reps:
        rep.profile.is_available = False
        rep.profile.save()
    lead = ready_lead(qualifier)
    with pytest.raises(TransitionRefused, match="No sales rep"):
        q.lead_qualify_and_hand_off(lead_id=lead.pk, actor=qualifier)
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.QUALIFYING  # nothing half-done


@pytest.mark.parametrize("strategy", [Team.AssignmentStrategy.LEAST_LOADED, Team.AssignmentStrategy.ROUND_ROBIN])
def test_a_burst_of_fifty_hand_offs_is_spread(qualifier, strategy):
    set_strategy(strategy)
    reps = [make_user(roles.SALES_REP, username=f"burst{i}") for i in range(5)]
    leads = [ready_lead(qualifier) for _ in range(50)]
    for lead in leads:
        q.lead_qualify_and_hand_off(lead_id=lead.pk, actor=qualifier)
    load = Counter(Lead.objects.filter(pk__in=[lead.pk for lead in leads]).values_list("sales_rep", flat=True))
    assert sorted(load.values()) == [10] * 5
    assert set(load) == {rep.pk for rep in reps}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_hand_offs_on_postgres_are_spread_by_least_load(transactional_db):
    """Ten qualifiers press "Qualify" at the same moment: the sales team row lock serialises the
    choice, so five reps get two leads each instead of all landing on the least loaded one."""
    import threading

    from django.db import connection

    reps = [make_user(roles.SALES_REP, username=f"pgrep{i}") for i in range(5)]
    people = [make_user(roles.QUALIFIER, username=f"pgq{i}") for i in range(10)]
    leads = [ready_lead(person) for person in people]
    barrier = threading.Barrier(len(people))
    errors = []

    def press(person, lead):
        try:
            barrier.wait(timeout=10)
            q.lead_qualify_and_hand_off(lead_id=lead.pk, actor=person)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=pair) for pair in zip(people, leads, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    load = Counter(Lead.objects.filter(pk__in=[lead.pk for lead in leads]).values_list("sales_rep", flat=True))
    assert sorted(load.values()) == [2] * 5 and set(load) == {rep.pk for rep in reps}


def test_the_notification_links_to_the_deal(qualifier, reps):
    lead = q.lead_qualify_and_hand_off(lead_id=ready_lead(qualifier).pk, actor=qualifier)
    note = Notification.objects.get(recipient=lead.sales_rep, kind=Notification.Kind.HANDOFF)
    assert note.url.startswith("/board/")


def test_manual_strategy_waits_for_the_team_lead(client, qualifier, reps):
    qlead = make_user(roles.QUALIFICATION_LEAD, username="lida")
    qualification_team(assignment_strategy=Team.AssignmentStrategy.MANUAL, lead=qlead)
    lead = q.lead_qualify_and_hand_off(lead_id=ready_lead(qualifier).pk, actor=qualifier, best_time_to_visit="утро")
    assert lead.status == LeadStatus.QUALIFIED
    assert Notification.objects.filter(recipient=qlead, lead=lead).exists()
    with pytest.raises(PermissionRefused):
        q.lead_send_to_sales(lead_id=lead.pk, actor=qualifier, sales_rep=reps[1])
    client.force_login(qlead)
    html = client.get(reverse("qualification:lead", args=[lead.pk])).content.decode()
    assert 'data-testid="hand-off"' in html
    response = client.post(
        reverse("qualification:hand-off", args=[lead.pk]), {"sales_rep": reps[1].pk, "best_time_to_visit": "утро"}
    )
    assert response.status_code == 302
    lead = Lead.objects.get(pk=lead.pk)
    assert lead.status == LeadStatus.HANDED_OFF and lead.sales_rep == reps[1]
    assert Notification.objects.filter(recipient=reps[1], kind=Notification.Kind.HANDOFF).exists()


def test_team_lead_may_choose_the_rep_while_qualifying(qualifier, reps):
    qlead = make_user(roles.QUALIFICATION_LEAD, username="lida")
    lead = ready_lead(qualifier)
    lead = q.lead_qualify_and_hand_off(lead_id=lead.pk, actor=qlead, sales_rep=reps[2])
    assert lead.sales_rep == reps[2]
    with pytest.raises(PermissionRefused):
        q.lead_qualify_and_hand_off(lead_id=ready_lead(qualifier).pk, actor=qualifier, sales_rep=reps[0])


def test_qualify_view_hands_off_and_returns_to_the_queue(client, qualifier, reps):
    lead = ready_lead(qualifier)
    client.force_login(qualifier)
    response = client.post(
        reverse("qualification:qualify", args=[lead.pk]), {"note": "n", "best_time_to_visit": "сб"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("qualification:index")
    assert "handed off to" in response.content.decode()
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.HANDED_OFF


def test_rep_sees_the_notification_in_the_bell(client, qualifier, reps):
    lead = q.lead_qualify_and_hand_off(lead_id=ready_lead(qualifier).pk, actor=qualifier)
    client.force_login(lead.sales_rep)
    html = client.get(reverse("notifications")).content.decode()
    assert 'data-testid="unread-count">1<' in html
    assert str(lead) in html


def test_my_handoffs_show_each_outcome(client, qualifier, reps):
    def handed(rep):
        lead = ready_lead(qualifier)
        q.lead_qualify(lead_id=lead.pk, actor=qualifier)
        return q.lead_hand_off(lead_id=lead.pk, actor=qualifier, sales_rep=rep)

    from decimal import Decimal

    pending = handed(reps[0])
    accepted = s.handoff_accept(lead_id=handed(reps[0]).pk, actor=reps[0])
    measured = s.lead_record_measurement(lead_id=handed(reps[1]).pk, actor=reps[1], quote_amount=Decimal("300000"))
    lost = s.lead_lose(lead_id=handed(reps[2]).pk, actor=reps[2], reason=reason("lose", "price"))
    won_lead = s.lead_record_measurement(lead_id=handed(reps[2]).pk, actor=reps[2], quote_amount=Decimal("500000"))
    from datetime import date

    won = s.lead_win(lead_id=won_lead.pk, actor=reps[2], deal_amount=Decimal("480000"), deal_date=date(2026, 11, 1))
    someone_elses = handed(reps[0])
    someone = make_user(roles.QUALIFIER)
    Lead.objects.filter(pk=someone_elses.pk).update(handed_off_by=someone, qualified_by=someone)

    client.force_login(qualifier)
    response = client.get(reverse("qualification:handoffs"))
    assert response.status_code == 200
    counts = response.context["counts"]
    assert (
        counts["total"],
        counts["pending"],
        counts["accepted"],
        counts["measured"],
        counts["won"],
        counts["lost"],
    ) == (
        5,
        1,
        1,
        1,
        1,
        1,
    )
    html = response.content.decode()
    for label in ("Awaiting acceptance", "Accepted", "Measured", "Won", "Lost"):
        assert f'data-testid="outcome">{label}<' in html
    assert "480\u00a0000" in html
    shown = {row.record.pk for row in response.context["table"].paginated_rows}
    assert shown == {pending.pk, accepted.pk, measured.pk, lost.pk, won.pk}


def test_my_handoffs_page_runs_constant_queries(client, qualifier, reps, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    q.lead_qualify_and_hand_off(lead_id=ready_lead(qualifier).pk, actor=qualifier)
    client.force_login(qualifier)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("qualification:handoffs"))
    for _ in range(6):
        q.lead_qualify_and_hand_off(lead_id=ready_lead(qualifier).pk, actor=qualifier)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("qualification:handoffs"))


def test_sales_team_from_reference_data_is_used(qualifier, reps):
    assert qualification_team().sales_team == sales_team()


def test_my_handoffs_include_the_ones_the_team_lead_handed_off(client, qualifier, reps):
    """Manual strategy: the team lead presses the hand-off, the qualifier keeps the lead in their feedback loop."""
    qlead = make_user(roles.QUALIFICATION_LEAD, username="lida")
    qualification_team(assignment_strategy=Team.AssignmentStrategy.MANUAL, lead=qlead)
    lead = q.lead_qualify_and_hand_off(lead_id=ready_lead(qualifier).pk, actor=qualifier)
    lead = q.lead_send_to_sales(lead_id=lead.pk, actor=qlead, sales_rep=reps[0])
    assert (lead.handed_off_by, lead.qualified_by) == (qlead, qualifier)
    client.force_login(qualifier)
    response = client.get(reverse("qualification:handoffs"))
    assert response.context["counts"]["total"] == 1 and response.context["counts"]["pending"] == 1
