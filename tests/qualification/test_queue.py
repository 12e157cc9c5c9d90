"""The queue page: who sees what, most urgent first, filters, sorting, polling partial, query count."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from leadflow import roles
from leadflow.models import Lead, SlaState, Team
from qualification import selectors
from qualification import services as q
from tests.factories import TeamFactory, make_user, queue_lead, source

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]  # assert on the English msgids


URL = reverse("qualification:index")


@pytest.fixture
def other_qualifier():
    return make_user(roles.QUALIFIER, username="olga")


def _ids(qs):
    return [lead.pk for lead in qs]


def test_in_time_leads_by_deadline_then_received_and_late_ones_after(qualifier):
    fresh = queue_lead(minutes_ago=1)
    breached = queue_lead(minutes_ago=30, sla_state=SlaState.BREACHED)
    warned = queue_lead(minutes_ago=16, sla_state=SlaState.WARNED)
    # same deadline: the one received earlier first
    same_deadline_late = queue_lead(minutes_ago=5, breach_minutes=20)
    same_deadline_early = queue_lead(
        received_at=same_deadline_late.received_at - timedelta(minutes=1),
        sla_breach_at=same_deadline_late.sla_breach_at,
        sla_warn_at=same_deadline_late.sla_warn_at,
    )
    order = _ids(selectors.queue_for_user(user=qualifier))
    # the breached lead can no longer be called in time: it waits behind every lead that still can
    assert order == [warned.pk, same_deadline_early.pk, same_deadline_late.pk, fresh.pk, breached.pk]


def test_due_callback_goes_to_the_top_of_its_qualifiers_queue_at_that_time(qualifier):
    import time_machine

    lead = queue_lead(minutes_ago=60)
    other = queue_lead(minutes_ago=10)
    q.lead_claim(lead_id=lead.pk, actor=qualifier)
    q.call_attempt_log(
        lead_id=lead.pk, actor=qualifier, outcome="callback", callback_at=timezone.now() + timedelta(hours=2)
    )
    # before the callback time it waits at the bottom
    assert _ids(selectors.queue_for_user(user=qualifier)) == [other.pk, lead.pk]
    with time_machine.travel(timezone.now() + timedelta(hours=2, minutes=1)):
        newer = queue_lead(minutes_ago=0, sla_state=SlaState.BREACHED)
        assert _ids(selectors.queue_for_user(user=qualifier))[0] == lead.pk
        assert newer.pk in _ids(selectors.queue_for_user(user=qualifier))


def test_qualifier_sees_unclaimed_and_own_but_not_others(qualifier, other_qualifier):
    unclaimed = queue_lead()
    mine = queue_lead()
    theirs = queue_lead()
    q.lead_claim(lead_id=mine.pk, actor=qualifier)
    q.lead_claim(lead_id=theirs.pk, actor=other_qualifier)
    other_team = TeamFactory(name="Регион", kind=Team.Kind.QUALIFICATION)
    foreign = queue_lead(qualification_team=other_team)
    visible = set(_ids(selectors.queue_for_user(user=qualifier)))
    assert visible == {unclaimed.pk, mine.pk}
    assert foreign.pk not in visible


def test_team_lead_sees_whole_team_with_holders(client, qlead, qualifier, other_qualifier):
    a, b, c = queue_lead(), queue_lead(), queue_lead()
    q.lead_claim(lead_id=a.pk, actor=qualifier)
    q.lead_claim(lead_id=b.pk, actor=other_qualifier)
    assert set(_ids(selectors.queue_for_user(user=qlead))) == {a.pk, b.pk, c.pk}
    client.force_login(qlead)
    html = client.get(URL).content.decode()
    assert "Held by" in html or "Держит" in html or "anna" in html
    assert 'data-testid="team-load"' in html


def test_filters_source_region_product_sla_and_date(client, qualifier):
    web = queue_lead(region="Москва", product_interest="custom")
    avito = queue_lead(source=source("avito"), region="Тверская обл.", product_interest="modular")
    breached = queue_lead(region="Москва", sla_state=SlaState.BREACHED)
    old = queue_lead(received_at=timezone.now() - timedelta(days=5), region="Москва")
    client.force_login(qualifier)

    def shown(**params):
        response = client.get(URL, params)
        assert response.status_code == 200
        table = response.context["table"]
        return {row.record.pk for row in table.paginated_rows}

    assert shown(source=source("avito").pk) == {avito.pk}
    assert shown(region="тверск") == {avito.pk}
    assert shown(product_interest="modular") == {avito.pk}
    assert shown(sla_state="breached") == {breached.pk}
    today = timezone.localdate().isoformat()
    assert old.pk not in shown(received_from=today)
    assert shown(received_to=(timezone.localdate() - timedelta(days=3)).isoformat()) == {old.pk}
    assert shown(q=web.phone[-6:]) == {web.pk}


def test_sorting_by_a_column_and_pagination(client, qualifier):
    leads = [queue_lead(minutes_ago=i, name=f"Клиент {i:02d}") for i in range(30)]
    client.force_login(qualifier)
    response = client.get(URL, {"sort": "name"})
    names = [row.record.name for row in response.context["table"].paginated_rows]
    assert names == sorted(names)
    assert len(names) == 25
    page2 = client.get(URL, {"sort": "name", "page": 2})
    assert len(list(page2.context["table"].paginated_rows)) == len(leads) - 25


def test_htmx_poll_returns_only_the_table_with_a_15s_guarded_trigger(client, qualifier):
    queue_lead()
    client.force_login(qualifier)
    full = client.get(URL).content.decode()
    # the guard is an htmx:confirm listener in queue.js (an eval'd trigger filter would break the CSP)
    assert 'hx-trigger="every 15s"' in full and 'data-poll-guard="queueMayRefresh"' in full
    partial = client.get(URL, HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<div id="queue-table"')
    assert "<nav" not in partial
    assert 'data-deadline="' in partial  # live countdown


def test_row_colour_follows_sla_state(client, qualifier):
    queue_lead(sla_state=SlaState.WARNED, minutes_ago=16)
    queue_lead(sla_state=SlaState.BREACHED, minutes_ago=25)
    client.force_login(qualifier)
    html = client.get(URL).content.decode()
    assert '<tr class="sla-warned' in html
    assert '<tr class="sla-breached' in html


@pytest.mark.parametrize("user_fixture", ["qualifier", "qlead"])
def test_queue_runs_a_constant_number_of_queries(client, request, django_assert_max_num_queries, user_fixture):
    user = request.getfixturevalue(user_fixture)
    holder = make_user(roles.QUALIFIER, username="holder")

    def add(n):
        for _ in range(n):
            lead = queue_lead()
            q.call_attempt_log(lead_id=lead.pk, actor=None, outcome="no_answer", check_holder=False)
        for _ in range(n):
            q.lead_claim(lead_id=queue_lead().pk, actor=holder if user_fixture == "qlead" else user)

    client.force_login(user)
    add(2)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    add(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(URL)
    assert len(list(response.context["table"].paginated_rows)) == 25


def test_people_outside_the_qualification_team_are_refused(client):
    rep = make_user(roles.SALES_REP)
    client.force_login(rep)
    assert client.get(URL).status_code == 403


def test_lead_model_untouched_by_page_view(client, qualifier):
    lead = queue_lead()
    client.force_login(qualifier)
    client.get(URL)
    assert Lead.objects.get(pk=lead.pk).status == "new"


# The queue page's query budget (docs/performance.md: 10 for a qualifier, 12 for the team lead with the
# "who holds what" strip, the SLA engine's heartbeat for its banner and the two-factor gate's one query,
# leadflow/two_factor/selectors.py). The queue order and its bucket badge are computed in the row query.
# +1 since click-to-call: is a PBX connected and does the person have an extension (one EXISTS, any queue size)
QUEUE_PAGE_QUERIES = {"qualifier": 8, "qlead": 11}


@pytest.mark.parametrize("user_fixture", ["qualifier", "qlead"])
def test_queue_page_keeps_its_query_budget(client, request, django_assert_num_queries, user_fixture):
    user = request.getfixturevalue(user_fixture)
    for minutes in (1, 30, 300):
        queue_lead(minutes_ago=minutes)
    held = queue_lead(minutes_ago=2)
    q.lead_claim(lead_id=held.pk, actor=user if user_fixture == "qualifier" else make_user(roles.QUALIFIER))
    q.call_attempt_log(lead_id=held.pk, actor=None, outcome="no_answer", check_holder=False)
    client.force_login(user)
    client.get(URL)  # sessions, content types and the like warm up once
    with django_assert_num_queries(QUEUE_PAGE_QUERIES[user_fixture]):
        response = client.get(URL)
    assert 'data-testid="queue-bucket"' in response.content.decode()


def test_queue_search_finds_a_phone_typed_the_russian_way(client, qualifier):
    """Issue 16 §5 reproduction: `8 958 463-19-54` must find `+79584631954` (it found nothing)."""
    lead = queue_lead(phone="+79584631954", name="Ирина")
    queue_lead(phone="+79161234567", name="Пётр")
    client.force_login(qualifier)
    for typed in ("8 958 463-19-54", "+7 (958) 463-19-54", "89584631954", "9584631954", "8 958 463"):
        table = client.get(URL, {"q": typed}).context["table"]
        assert {row.record.pk for row in table.paginated_rows} == {lead.pk}, typed
