"""The board, the calendar and the slot page run a constant number of queries whatever the deal count."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from qualification.models import Criterion, LeadAnswer
from sales import selectors
from sales import services as s
from tests.factories import sales_team
from tests.sales.conftest import msk

pytestmark = pytest.mark.django_db


# Free times of one rep this week (Wednesday to Saturday), 90-minute visits with a 60-minute buffer.
FREE_TIMES = [msk(2026, 12, day, hour, minute) for day in (2, 3, 4, 5) for hour, minute in ((9, 0), (11, 30), (14, 0))]


def _fill(deals, people, n):
    """n deals of each kind, spread over both reps, with qualification answers and visits."""
    budget = Criterion.objects.filter(code="budget", checklist__is_active=True).first()
    booked = deals.people.setdefault("_booked", {"rep": 0, "other_rep": 0})
    for i in range(n):
        key = "rep" if i % 2 else "other_rep"
        rep = people[key]
        lead = deals.handed_off(rep=rep)
        LeadAnswer.objects.create(lead=lead, criterion=budget, checklist_version=1, value=300000 + i, passed=True)
        deals.scheduled(rep=rep, starts_at=FREE_TIMES[booked[key]])
        booked[key] += 1
        deals.measured(rep=rep, quote=Decimal("300000"))
        deals.disputed(rep=rep)


def _count(client, url, params=None):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(ctx)


@pytest.mark.parametrize("who", ["rep", "manager"])
def test_board_queries_do_not_grow_with_deals(client, clock, people, deals, who):
    client.force_login(people[who])
    _fill(deals, people, 2)
    few = _count(client, reverse("sales:index"))
    _fill(deals, people, 8)
    many = _count(client, reverse("sales:index"))
    assert few == many
    assert many <= 16  # the board selector: 8 (test below); session, user, groups, nav, signature, reps


def test_board_selector_query_count(clock, people, deals, django_assert_num_queries):
    _fill(deals, people, 5)
    # the open columns' first pages and counts (one window query), the closed ones' counts, the latest
    # won, the latest lost; the cards' leads, answers, visits, disputes
    with django_assert_num_queries(8):
        columns = selectors.board_columns()
    assert sum(len(column.cards) for column in columns) == 20


@pytest.mark.parametrize("who", [None, "rep"])
def test_the_page_carries_the_signature_its_poll_compares(clock, people, deals, django_assert_num_queries, who):
    """The board page computes the signature from its own queries: it must be the poll's, or every
    first poll would redraw the board."""
    _fill(deals, people, 3)
    closed = deals.measured(rep=people["rep"], name="Закрытая")
    s.lead_win(
        lead_id=closed.pk, actor=people["rep"], deal_amount=Decimal("360000"), deal_date=msk(2026, 12, 1, 0, 0).date()
    )
    rep = people[who] if who else None
    with django_assert_num_queries(9):  # the columns' eight and the visits' stamp
        _columns, signature = selectors.board_page(rep=rep)
    assert signature == selectors.board_signature(rep=rep)
    deals.handed_off(rep=people["rep"])
    assert selectors.board_page(rep=rep)[1] == selectors.board_signature(rep=rep) != signature


def test_a_long_column_shows_one_page_and_its_count(clock, people, deals, django_assert_num_queries):
    """The board never renders every card: a column shows its first page, counts all, loads the rest."""
    _fill(deals, people, 3)
    small = {"new": 2, "scheduled": 2, "measured": 2, "won": 2, "lost": 2}
    with django_assert_num_queries(8):
        columns = {column.key: column for column in selectors.board_columns(per_column=small)}
    # per round: a pending and a disputed hand-off ("new"), a booked visit, a measured deal
    assert columns["new"].total == 6 and len(columns["new"].cards) == 2 and columns["new"].more == 4
    assert columns["scheduled"].total == 3 and len(columns["scheduled"].cards) == 2
    assert columns["measured"].total == 3 and len(columns["measured"].cards) == 2
    shown = [card.lead.pk for card in columns["new"].cards]
    with django_assert_num_queries(6):  # count, ids, leads, answers, visits, disputes
        rest, total = selectors.board_column_cards(column="new", offset=2, limit=3)
    assert total == 6 and len(rest) == 3 and not {card.lead.pk for card in rest} & set(shown)
    assert {card.column for card in rest} == {"new"}
    # the column's order: the oldest hand-off first, the same on every page
    every, _total = selectors.board_column_cards(column="new", offset=0, limit=10)
    assert [card.lead.pk for card in every][:5] == shown + [card.lead.pk for card in rest]


def test_calendar_queries_do_not_grow_with_visits(client, clock, people, deals):
    client.force_login(people["manager"])
    _fill(deals, people, 2)
    few = _count(client, reverse("sales:calendar"))
    _fill(deals, people, 8)
    many = _count(client, reverse("sales:calendar"))
    assert few == many


def test_free_slots_in_three_queries(clock, people, deals, django_assert_num_queries):
    _fill(deals, people, 4)
    team = sales_team()
    # working hours, reps, visits
    with django_assert_num_queries(3):
        slots = selectors.visit_free_slots(sales_team=team, start=msk(2026, 12, 2, 0, 0).date(), days=7)
    assert slots


def test_arbitration_and_closed_pages_do_not_grow(client, clock, people, deals):
    client.force_login(people["manager"])
    _fill(deals, people, 2)
    few = (_count(client, reverse("sales:arbitration")), _count(client, reverse("sales:closed")))
    _fill(deals, people, 5)
    many = (_count(client, reverse("sales:arbitration")), _count(client, reverse("sales:closed")))
    assert few == many
