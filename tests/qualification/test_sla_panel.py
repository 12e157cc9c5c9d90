"""/queue/sla/: the qualification lead's live SLA panel."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from leadflow import roles
from leadflow.models import SLA_ENGINE, EngineHeartbeat, Lead, LeadStatus, Profile, SlaState
from leadflow.services import lead_receive
from qualification import services as q
from qualification import sla
from qualification.models import CallAttempt
from qualification.tasks import sla_sweep
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
    # 14 + the SLA engine's heartbeat + the qualifiers a lead can be reassigned to + the two-factor gate
    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(17):
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


# --- each lead links to its card and can be released or reassigned from the panel ----------------


@pytest.fixture
def held(floor):
    """The breached lead, claimed by anna (qualifying): it can be released as well as reassigned."""
    lead = Lead.objects.get(sla_state=SlaState.BREACHED)
    with time_machine.travel(NOW, tick=False):
        q.lead_claim(lead_id=lead.pk, actor=floor["anna"])
    return Lead.objects.get(pk=lead.pk)


def test_each_waiting_lead_links_to_its_card_and_offers_release_and_reassign(client, team, held):
    client.force_login(team.lead)
    with time_machine.travel(NOW, tick=False):
        response = client.get(URL)
    html = response.content.decode()
    panel = response.context["panel"]
    listed = panel.urgent + panel.pending
    assert len(listed) == 3
    for lead in listed:
        assert f'href="/queue/{lead.pk}/"' in html
        assert f'action="/queue/{lead.pk}/reassign/"' in html
    # release only for a lead someone holds; the unclaimed ones are in the pool already
    assert f'action="/queue/{held.pk}/release/"' in html
    assert html.count('data-testid="release"') == 1
    assert html.count('data-testid="reassign"') == 3
    assert {u.username for u in response.context["qualifiers"]} >= {"anna", "boris"}


def test_release_from_the_panel_puts_the_lead_back_and_returns_to_the_panel(client, team, held):
    client.force_login(team.lead)
    back = f"{URL}?team={team.pk}"
    with time_machine.travel(NOW, tick=False):
        response = client.post(f"/queue/{held.pk}/release/", {"next": back})
    assert response.status_code == 302
    assert response["Location"] == back
    lead = Lead.objects.get(pk=held.pk)
    assert (lead.status, lead.qualifier_id) == (LeadStatus.NEW, None)


def test_reassign_from_the_panel_gives_the_lead_to_another_and_returns_to_the_panel(client, team, held):
    boris = Profile.objects.get(user__username="boris").user
    client.force_login(team.lead)
    with time_machine.travel(NOW, tick=False):
        response = client.post(f"/queue/{held.pk}/reassign/", {"qualifier": boris.pk, "next": URL})
    assert response["Location"] == URL
    assert Lead.objects.get(pk=held.pk).qualifier == boris


def test_an_unclaimed_lead_is_reassigned_from_the_panel_too(client, team, floor):
    pending = Lead.objects.get(sla_state=SlaState.PENDING)
    anna = floor["anna"]
    client.force_login(team.lead)
    with time_machine.travel(NOW, tick=False):
        client.post(f"/queue/{pending.pk}/reassign/", {"qualifier": anna.pk, "next": URL})
    assert Lead.objects.get(pk=pending.pk).qualifier == anna


def test_a_next_outside_the_site_is_ignored(client, team, held):
    client.force_login(team.lead)
    with time_machine.travel(NOW, tick=False):
        response = client.post(f"/queue/{held.pk}/release/", {"next": "https://evil.example/"})
    assert response["Location"] == "/queue/"


def test_a_qualifier_can_neither_release_nor_reassign(client, team, held):
    boris = Profile.objects.get(user__username="boris").user
    client.force_login(boris)
    with time_machine.travel(NOW, tick=False):
        assert client.post(f"/queue/{held.pk}/release/", {"next": URL}).status_code == 403
        assert client.post(f"/queue/{held.pk}/reassign/", {"qualifier": boris.pk, "next": URL}).status_code == 403
        assert client.get(URL).status_code == 403
    lead = Lead.objects.get(pk=held.pk)
    assert (lead.status, lead.qualifier) == (LeadStatus.QUALIFYING, held.qualifier)


# --- the SLA engine's banner ----------------------------------------------------------------------


def _engine_last_ran(at):
    EngineHeartbeat.objects.filter(name=SLA_ENGINE).update(beat_at=at, watched_since=at - timedelta(days=1))


BANNER = 'data-testid="sla-engine-stopped"'


def test_the_panel_shows_a_red_banner_while_the_engine_is_stopped_and_not_after_the_next_sweep(
    client, team, floor, english
):
    client.force_login(team.lead)
    _engine_last_ran(NOW - timedelta(minutes=1))
    with time_machine.travel(NOW, tick=False):
        assert BANNER not in client.get(URL).content.decode()
    _engine_last_ran(NOW - timedelta(minutes=5))
    with time_machine.travel(NOW, tick=False):
        html = client.get(URL).content.decode()
    assert BANNER in html
    assert "SLA engine stopped since 13:55" in html  # Moscow time of the last sweep
    with time_machine.travel(NOW, tick=False):
        sla_sweep.delay()  # the worker and beat are back
        assert BANNER not in client.get(URL).content.decode()


def test_the_banner_is_in_russian(client, team, floor):
    _engine_last_ran(NOW - timedelta(minutes=5))
    client.force_login(team.lead)
    with time_machine.travel(NOW, tick=False):
        html = client.get(URL, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "SLA-движок остановлен с 13:55" in html
    assert "Проверьте Celery worker и beat" in html


def test_the_queue_shows_the_banner_to_the_team_lead_in_the_polled_table_but_not_to_a_qualifier(
    client, team, floor, english
):
    _engine_last_ran(NOW - timedelta(minutes=3))
    with time_machine.travel(NOW, tick=False):
        client.force_login(team.lead)
        assert "SLA engine stopped since 13:57" in client.get("/queue/").content.decode()
        polled = client.get("/queue/", HTTP_HX_REQUEST="true").content.decode()  # the table refreshes itself
        assert BANNER in polled
        client.force_login(floor["anna"])
        assert BANNER not in client.get("/queue/").content.decode()


def test_a_director_sees_the_banner_too(client, team, floor, english):
    _engine_last_ran(NOW - timedelta(minutes=3))
    client.force_login(make_user(roles.DIRECTOR, username="dir"))
    with time_machine.travel(NOW, tick=False):
        assert BANNER in client.get(URL).content.decode()
