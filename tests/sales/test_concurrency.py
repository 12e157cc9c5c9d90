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
