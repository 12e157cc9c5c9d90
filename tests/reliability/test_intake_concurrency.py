"""N leads from 20 concurrent clients against a real threaded server on PostgreSQL, every delivery sent
twice with the same (source, external_id), the copies racing: exactly N leads, no 5xx, each pair
answered 201 + 200 (duplicate) with the same lead id, one inquiry and one "received" history row per lead.

RELIABILITY_N (default 1,000 leads = 2,000 posts) sets the size; bench/reliability_full.py runs 10,000.
With the per-lead SLA messages switched on (`SLA_CHECK_MESSAGES`; off by default since issue 14, when
the 15-second sweep alone serves the deadlines) the checks are published to a private redis-server for
real: once per lead, never for a duplicate.
"""

import os
from collections import Counter

import pytest
from django_fsm_log.models import StateLog

from leadflow.models import Inquiry, Lead, Source
from leadflow.services import api_token_issue

from . import intake_load

N = int(os.environ.get("RELIABILITY_N", "1000"))
CLIENTS = 20


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_n_leads_from_20_clients_each_sent_twice_make_exactly_n_leads(
    live_server, redis_server, celery_broker, settings
):
    settings.SLA_CHECK_MESSAGES = True
    celery_broker(redis_server.url(1))
    tokens = {code: api_token_issue(source=Source.objects.get(code=code)).key for code in intake_load.SOURCES}

    result = intake_load.run(live_server.url, tokens, N, clients=CLIENTS)
    print(f"\nintake concurrency: N={N}, {CLIENTS} clients: {result.summary()}")

    assert result.errors == []
    assert not [status for status in result.statuses if status >= 500], result.statuses
    assert result.statuses == Counter({201: N, 200: N}), result.statuses
    for i in range(N):
        (first_status, first), (second_status, second) = result.bodies[(i, 0)], result.bodies[(i, 1)]
        assert first["id"] == second["id"], (i, first, second)
        assert sorted([first_status, second_status]) == [200, 201], (i, first, second)
        repeat = first if first_status == 200 else second
        assert repeat["duplicate"] is True and repeat["attached"] is False, (i, repeat)

    assert Lead.objects.count() == N
    assert Inquiry.objects.count() == N
    assert Lead.objects.values("phone").distinct().count() == N
    pairs = set(Inquiry.objects.values_list("source__code", "external_id"))
    assert pairs == {
        (intake_load.delivery(i)["source"], intake_load.delivery(i)["body"]["external_id"]) for i in range(N)
    }
    assert StateLog.objects.filter(transition="received").count() == N
    assert redis_server.queue_length(db=1) == 2 * N  # warn + breach check published per lead, none twice
