"""Two bookings of one rep's slot at the same moment: exactly one wins (row lock on PostgreSQL)."""

import threading

import pytest
from django.db import connection

from leadflow.exceptions import TransitionRefused
from sales import services as s
from sales.models import Visit
from tests.sales.conftest import msk

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_bookings_of_one_slot(clock, people, deals):
    leads = [deals.accepted(), deals.accepted()]
    barrier = threading.Barrier(2)
    outcomes = []

    def book(lead):
        try:
            barrier.wait(timeout=5)
            s.visit_schedule(lead_id=lead.pk, actor=people["rep"], starts_at=msk(2026, 12, 2, 12, 0))
            outcomes.append("booked")
        except TransitionRefused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=book, args=(lead,)) for lead in leads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(outcomes) == ["booked", "refused"]
    assert Visit.objects.filter(rep=people["rep"], status=Visit.Status.SCHEDULED).count() == 1


def test_concurrent_reassignments_into_one_rep_slot(clock, people, deals):
    """Two deals booked Monday 10:00 with two reps, both reassigned to a third at once: one moves, one is refused."""
    from leadflow import roles
    from tests.factories import make_user

    third = make_user(roles.SALES_REP, username="rep3", first_name="Олег", last_name="Третий")
    leads = [
        deals.scheduled(rep=people["rep"], starts_at=msk(2026, 12, 7, 10, 0)),
        deals.scheduled(rep=people["other_rep"], starts_at=msk(2026, 12, 7, 10, 0)),
    ]
    barrier = threading.Barrier(2)
    outcomes = []

    def reassign(lead):
        try:
            barrier.wait(timeout=5)
            s.deal_reassign(lead_id=lead.pk, actor=people["manager"], sales_rep=third)
            outcomes.append("moved")
        except TransitionRefused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=reassign, args=(lead,)) for lead in leads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(outcomes) == ["moved", "refused"]
    assert Visit.objects.filter(rep=third, status=Visit.Status.SCHEDULED).count() == 1
