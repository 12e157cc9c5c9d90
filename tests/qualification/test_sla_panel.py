"""/queue/sla/: the qualification lead's live SLA panel."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from leadflow import roles
from leadflow.models import Lead, Profile, SlaState
from leadflow.services import lead_receive
from qualification import services as q
from qualification import sla
from qualification.models import CallAttempt
from tests.factories import make_user, qualification_team, source

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 25, 14, 0, tzinfo=MSK)
URL = "/queue/sla/"


@pytest.fixture
def team():
    team = qualification_team(sla_warn_minutes=15, sla_breach_minutes=20)
    team.lead = make_user(roles.QUALIFICATION_LEAD, username="tl")
    team.save()
    return team


@pytest.fixture
def floor(team):
    """Two qualifiers on shift, one away; leads in every SLA state, some called today."""
    anna = make_user(roles.QUALIFIER, username="anna")
    make_user(roles.QUALIFIER, username="boris")
    away = make_user(roles.QUALIFIER, username="away")
    Profile.objects.filter(user=away).update(is_available=False)
    phones = iter(f"+7912777{n:04d}" for n in range(1000))

    def receive(minutes_ago):
        return lead_receive(
            source=source("website"), phone=next(phones), received_at=NOW - timedelta(minutes=minutes_ago)
        ).lead

    def called(minutes_ago, after):
        lead = receive(minutes_ago)
        q.call_attempt_log(
            lead_id=lead.pk,
            actor=anna,
            outcome=CallAttempt.Outcome.REACHED,
            called_at=lead.received_at + timedelta(minutes=after),
            check_holder=False,
        )
        return lead

    with time_machine.travel(NOW, tick=False):
        receive(5)  # pending
        receive(16)  # warned by the sweep
        receive(40)  # breached by the sweep
        called(120, after=4)
        called(100, after=10)
        called(90, after=30)  # met late
        sla.sla_sweep()
    return {"anna": anna}


def test_panel_shows_shift_states_breaches_and_median(client, team, floor, django_assert_max_num_queries):
    client.force_login(team.lead)
    # 15 = 14 + the two-factor gate's query for a team lead (leadflow/two_factor/selectors.py)
    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(15):
        response = client.get(URL)
    assert response.status_code == 200
    panel = response.context["panel"]
    assert {u.username for u in panel.on_shift} == {"anna", "boris"}
    assert panel.counts == {"pending": 1, "warned": 1, "breached": 1}
    assert [lead.sla_state for lead in panel.urgent] == ["breached", "warned"]
    assert panel.breaches_today == 2  # the uncalled one and the one called late
    assert (panel.called_today, panel.met_today, panel.met_share_today) == (3, 2, 67)
    assert panel.median_today == timedelta(minutes=10)
    assert panel.median_today_minutes == "10:00"
    html = response.content.decode()
    assert 'data-testid="count-breached">1<' in html
    assert 'hx-trigger="every 30s"' in html


def test_median_of_an_even_count_is_the_mean_of_the_middle_two(team):
    with time_machine.travel(NOW, tick=False):
        for n, after in enumerate([2, 4, 6, 100]):
            lead = lead_receive(source=source("website"), phone=f"+7912888{n:04d}", received_at=NOW).lead
            Lead.objects.filter(pk=lead.pk).update(first_call_at=NOW + timedelta(minutes=after))
    assert sla.median_duration(Lead.objects.all(), start="received_at", end="first_call_at") == timedelta(minutes=5)
    assert sla.median_duration(Lead.objects.none(), start="received_at", end="first_call_at") is None


def test_a_closed_team_shows_nobody_on_shift_and_the_next_opening(client, team, floor):
    client.force_login(team.lead)
    with time_machine.travel(datetime(2026, 11, 25, 22, 0, tzinfo=MSK), tick=False):
        panel = client.get(URL).context["panel"]
    assert panel.on_shift == []
    assert not panel.is_open
    assert panel.next_opening == datetime(2026, 11, 26, 9, 0, tzinfo=MSK)


def test_a_qualifier_may_not_open_the_panel(client, team):
    client.force_login(make_user(roles.QUALIFIER, username="q"))
    response = client.get(URL)
    assert response.status_code == 403
    assert "qualification lead" in response.content.decode() or "руковод" in response.content.decode()


def test_a_director_switches_between_teams(client, team):
    other = qualification_team(name="Екатеринбург", time_zone="Asia/Yekaterinburg")
    director = make_user(roles.DIRECTOR, username="dir")
    client.force_login(director)
    assert client.get(URL).context["panel"].team in {team, other}
    assert client.get(URL, {"team": other.pk}).context["panel"].team == other
    assert client.get(URL, {"team": team.pk}).context["panel"].team == team


def test_a_team_lead_sees_only_their_team(client, team):
    other = qualification_team(name="Екатеринбург")
    client.force_login(team.lead)
    assert client.get(URL, {"team": other.pk}).context["panel"].team == team


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_a_late_call_that_beat_the_breach_check_still_counts_as_a_breach(client, team, floor):
    late = Lead.objects.get(sla_state=SlaState.MET_LATE)
    assert late.first_call_at > late.sla_breach_at
    client.force_login(team.lead)
    with time_machine.travel(NOW, tick=False):
        assert client.get(URL).context["panel"].breaches_today == 2
