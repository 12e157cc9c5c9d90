"""The "Next lead" claim on PostgreSQL in one statement (qualification/services/next_lead.py, issue 14 §3): the
same lead, the same columns and the same history row as the ORM path, one statement, no lead twice."""

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django_fsm_log.models import StateLog

from leadflow import access, roles
from leadflow.models import Lead, LeadStatus, Profile
from leadflow.models.lead import has_qualifier
from qualification import selectors
from qualification import services as q
from qualification.exceptions import AlreadyClaimed, PermissionRefused
from qualification.services.claims import _claim_next_skip_locked
from qualification.services.next_lead import claim_next_in_one_statement
from tests.factories import TeamFactory, make_user, qualification_team, queue_lead
from tests.qualification.test_queue_order import NOW, _mixed_pool

pytestmark = [pytest.mark.postgres, pytest.mark.django_db, pytest.mark.usefixtures("english")]

LEAD_FIELDS = [f.attname for f in Lead._meta.concrete_fields]
HISTORY_FIELDS = [f.attname for f in StateLog._meta.concrete_fields if f.attname != "id"]


def _press(claim, *, actor, team_id):
    """Run one claim path in a savepoint that is rolled back: (returned lead's fields, the lead's row
    in the database, the history rows written), so both paths start from the same state."""
    before = set(StateLog.objects.values_list("pk", flat=True))
    with transaction.atomic():
        lead = claim(actor=actor, team_id=team_id)
        returned = lead and {name: getattr(lead, name) for name in LEAD_FIELDS}
        row = lead and Lead.objects.filter(pk=lead.pk).values(*LEAD_FIELDS).get()
        history = list(StateLog.objects.exclude(pk__in=before).order_by("pk").values(*HISTORY_FIELDS))
        transaction.set_rollback(True)
    return returned, row, history


@pytest.mark.parametrize("language", ["en", "ru"])
def test_one_statement_claims_what_the_orm_path_claims_and_writes_the_same(qualifier, qlead, language):
    """At moments where the queue order changes (deadlines pass, callbacks fall due), both paths take
    the same lead and leave the same columns and history row: content type, object id, transition,
    source and target state, actor, description (in the actor's language), timestamps."""
    _mixed_pool(qualifier=qualifier, qlead=qlead)
    team_id = access.team_id_of(qualifier)
    taker = make_user(roles.QUALIFIER, username="taker")
    for offset in (0, 1, 6, 7, 15, 40, 24 * 60):
        with time_machine.travel(NOW + timedelta(minutes=offset), tick=False), translation.override(language):
            expected = selectors.claimable_leads(team_id=team_id).first()
            fast = _press(claim_next_in_one_statement, actor=taker, team_id=team_id)
            orm = _press(_claim_next_skip_locked, actor=taker, team_id=team_id)
        assert fast[0]["id"] == expected.pk, offset
        assert fast == orm, offset
        returned, row, (history,) = fast
        assert returned == row
        assert (row["status"], row["qualifier_id"]) == (LeadStatus.QUALIFYING, taker.pk)
        assert row["claimed_at"] == row["last_activity_at"] == row["updated_at"] == history["timestamp"]
        assert history["object_id"] == row["id"] and history["by_id"] == taker.pk
        assert (history["transition"], history["source_state"], history["state"]) == ("claim", "new", "qualifying")
        assert history["description"] == ("Следующий лид" if language == "ru" else "Next lead")


def _callback_due_at_noon(qualifier):
    with time_machine.travel(NOW - timedelta(minutes=30), tick=False):
        mine = queue_lead()
        q.lead_claim(lead_id=mine.pk, actor=qualifier)
        q.call_attempt_log(lead_id=mine.pk, actor=qualifier, outcome="callback", callback_at=NOW - timedelta(minutes=5))
        queue_lead(minutes_ago=3)  # a claimable lead that must not be taken meanwhile
    return mine


def test_a_due_callback_is_given_back_unchanged_by_both_paths(qualifier):
    mine = _callback_due_at_noon(qualifier)
    team_id = access.team_id_of(qualifier)
    with time_machine.travel(NOW, tick=False):
        fast = _press(claim_next_in_one_statement, actor=qualifier, team_id=team_id)
        orm = _press(_claim_next_skip_locked, actor=qualifier, team_id=team_id)
    assert fast == orm
    returned, row, history = fast
    assert returned["id"] == mine.pk and returned == row
    assert history == []  # no claim: it is theirs already


def test_a_due_callback_of_another_team_is_refused_by_both_paths(qualifier):
    """A qualifier moved to another team still holding a due callback: `_claim_locked`'s team check."""
    _callback_due_at_noon(qualifier)
    other = TeamFactory(name="Другая", kind="qualification")
    Profile.objects.filter(user=qualifier).update(team=other)
    qualifier = type(qualifier).objects.get(pk=qualifier.pk)
    for claim in (claim_next_in_one_statement, _claim_next_skip_locked):
        with time_machine.travel(NOW, tick=False), pytest.raises(PermissionRefused):
            claim(actor=qualifier, team_id=other.pk)


def test_the_statement_covers_every_rule_of_the_claim_transition():
    """The statement holds the claim's rules by construction (source new, the actor as qualifier, the
    caller checked `can_qualify`) instead of running `lead_transition`: a new source, guard or permission
    on `Lead.claim` must go into qualification/services/next_lead.py too."""
    claims = [t for t in Lead().get_all_status_transitions() if t.name == "claim"]
    assert [(t.source, t.target, t.conditions, t.permission) for t in claims] == [
        (LeadStatus.NEW, LeadStatus.QUALIFYING, [has_qualifier], roles.can_qualify)
    ]


def test_an_empty_pool_gives_none_and_writes_nothing(qualifier):
    team_id = access.team_id_of(qualifier)
    assert _press(claim_next_in_one_statement, actor=qualifier, team_id=team_id) == (None, None, [])


@pytest.mark.django_db(transaction=True)
def test_next_lead_is_one_statement_in_autocommit(transactional_db):
    """No BEGIN, no COMMIT, no second statement: the pick (FOR UPDATE SKIP LOCKED), the claim's UPDATE
    and the history INSERT in one (the ORM path was BEGIN, pick, INSERT, UPDATE, COMMIT)."""
    qualification_team()
    qualifier = make_user(roles.QUALIFIER, username="solo")
    first, second = queue_lead(minutes_ago=2), queue_lead(minutes_ago=1)
    assert q.lead_claim_next(actor=qualifier).pk == first.pk  # reads the profile and roles, compiles
    with CaptureQueriesContext(connection) as ctx:
        lead = q.lead_claim_next(actor=qualifier)
    assert lead.pk == second.pk
    (sql,) = [query["sql"] for query in ctx.captured_queries]
    assert "FOR UPDATE" in sql and "SKIP LOCKED" in sql
    assert 'UPDATE "leadflow_lead"' in sql and 'INSERT INTO "django_fsm_log_statelog"' in sql
    assert StateLog.objects.filter(object_id=second.pk, transition="claim", by=qualifier).count() == 1


@pytest.mark.django_db(transaction=True)
def test_no_lead_is_claimed_twice_when_next_lead_races_direct_claims(transactional_db):
    """Real transactions, one connection per thread: qualifiers press "Next lead" until the pool is
    empty while others take leads by id (`lead_claim`, the row lock) and the ORM path runs too. Every
    lead is taken exactly once, by whoever holds it, with exactly one claim row in its history."""
    qualification_team()
    leads = [queue_lead(minutes_ago=i).pk for i in range(40)]
    pressers = [make_user(roles.QUALIFIER, username=f"press{i}") for i in range(8)]
    grabbers = [make_user(roles.QUALIFIER, username=f"grab{i}") for i in range(3)]
    orm_user = make_user(roles.QUALIFIER, username="orm")
    team_id = access.team_id_of(orm_user)
    barrier = threading.Barrier(len(pressers) + len(grabbers) + 1)
    taken = []  # (user id, lead id)

    def run(body):
        try:
            barrier.wait(timeout=10)
            body()
        finally:
            connection.close()  # each thread has its own connection: close it before teardown

    def press(user):
        while (lead := q.lead_claim_next(actor=user)) is not None:
            taken.append((user.pk, lead.pk))

    def grab(user, offset):
        for lead_id in leads[offset :: len(grabbers)]:
            with contextlib.suppress(AlreadyClaimed):
                taken.append((user.pk, q.lead_claim(lead_id=lead_id, actor=user).pk))

    def orm_press():
        while True:
            with transaction.atomic():
                lead = _claim_next_skip_locked(actor=orm_user, team_id=team_id)
            if lead is None:
                return
            taken.append((orm_user.pk, lead.pk))

    bodies = [lambda u=u: press(u) for u in pressers]
    bodies += [lambda u=u, i=i: grab(u, i) for i, u in enumerate(grabbers)]
    bodies.append(orm_press)
    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        running = [pool.submit(run, body) for body in bodies]
    for done in running:
        done.result(timeout=60)  # re-raises a thread's error
    claimed = [lead_id for _, lead_id in taken]
    assert sorted(claimed) == sorted(leads)  # every lead once, none twice
    holders = dict(Lead.objects.filter(pk__in=leads).values_list("pk", "qualifier_id"))
    assert all(holders[lead_id] == user_id for user_id, lead_id in taken)
    history = list(StateLog.objects.filter(transition="claim").values_list("object_id", "by_id"))
    assert sorted(history) == sorted((lead_id, user_id) for user_id, lead_id in taken)
