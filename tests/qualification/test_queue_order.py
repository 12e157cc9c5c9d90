"""Issue 10 §2: the queue order that saves fresh leads (docs/sla.md, "Queue order").

1 a promised callback due now; 2 awaiting the first call, deadline still ahead (earliest deadline first);
3 awaiting the first call, deadline passed (oldest first); 4 first-call SLA settled (by due time).
"""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from leadflow import roles
from leadflow.models import Lead, LeadStatus
from qualification import selectors
from qualification import services as q
from tests.factories import make_user, queue_lead

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(english):
    """Assert on the English msgids, whatever translations exist."""


@pytest.fixture
def qualifier():
    return make_user(roles.QUALIFIER, username="anna")


@pytest.fixture
def qlead():
    return make_user(roles.QUALIFICATION_LEAD, username="lida")


def _ids(qs):
    return [lead.pk for lead in qs]


def _met_yesterday_and_released(*, qualifier, qlead):
    """A lead called yesterday (SLA met, the client did not answer) and put back into the pool."""
    with time_machine.travel(timezone.now() - timedelta(days=1)):
        lead = queue_lead(minutes_ago=3)
        q.lead_claim(lead_id=lead.pk, actor=qualifier)
        q.call_attempt_log(lead_id=lead.pk, actor=qualifier, outcome="no_answer")
        q.lead_release(lead_id=lead.pk, actor=qlead)
    lead = Lead.objects.get(pk=lead.pk)
    assert (lead.status, lead.qualifier_id, lead.sla_state) == (LeadStatus.NEW, None, "met")
    return lead


def test_next_lead_gives_a_fresh_lead_before_yesterdays_released_one(qualifier, qlead):
    """The issue's reproduction: yesterday's lead (SLA met, back in the pool) + seven fresh leads whose
    clocks run. "Next lead" must give a fresh one, the one whose deadline comes first."""
    yesterdays = _met_yesterday_and_released(qualifier=qualifier, qlead=qlead)
    fresh = [queue_lead(minutes_ago=minutes) for minutes in (1, 2, 3, 4, 5, 6, 7)]
    colleague = make_user(roles.QUALIFIER, username="olga")

    assert q.lead_claim_next(actor=colleague).pk == fresh[-1].pk  # received 7 min ago: earliest deadline
    taken = [q.lead_claim_next(actor=colleague).pk for _ in range(6)]
    assert taken == [lead.pk for lead in reversed(fresh[:-1])]
    assert q.lead_claim_next(actor=colleague).pk == yesterdays.pk  # only once the fresh ones are taken
