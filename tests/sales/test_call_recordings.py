"""Call recordings served only to whoever may see the lead (issue 16 §3): the qualifier and team lead
of its team, the sales side once handed off, the director, the arbiters of its disputes; never to
another team, another rep or an anonymous visitor. The player on the lead card, the deal card and the
arbitration page (the hand-off call first)."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from leadflow import roles
from leadflow.models import Lead
from qualification.models import CallAttempt, CallRecording
from tests.factories import make_user, qualification_team, sales_team

pytestmark = pytest.mark.django_db

AUDIO = b"ID3\x03\x00" + bytes(range(256)) * 4


def recorded_call(lead, actor, *, minutes_before_handoff, outcome=CallAttempt.Outcome.REACHED, audio=AUDIO):
    attempt = CallAttempt.objects.create(
        lead=lead,
        actor=actor,
        outcome=outcome,
        called_at=(lead.handed_off_at or timezone.now()) - timedelta(minutes=minutes_before_handoff),
        duration_seconds=42,
        channel=CallAttempt.Channel.PBX,
        recording_ref=f"rec-{minutes_before_handoff}",
    )
    recording = CallRecording(attempt=attempt, content_type="audio/mpeg", size_bytes=len(audio), duration_seconds=42)
    recording.file.save("call.mp3", ContentFile(audio), save=False)
    recording.save()
    return recording


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def disputed(clock, deals, people):
    lead = Lead.objects.get(pk=deals.disputed().lead_id)
    return lead, recorded_call(lead, people["qualifier"], minutes_before_handoff=5)


def test_who_may_listen(disputed, people):
    lead, recording = disputed
    url = f"/queue/recordings/{recording.pk}/"
    allowed = {
        "the qualifier who handed it off": people["qualifier"],
        "the team lead (an arbiter)": people["qlead"],
        "the deal's rep": people["rep"],
        "the sales manager (an arbiter)": people["manager"],
        "the director": make_user(roles.DIRECTOR, username="director"),
    }
    for who, user in allowed.items():
        response = logged_in(user).get(url)
        assert response.status_code == 200, who
        assert response["Content-Type"] == "audio/mpeg"
        assert b"".join(response.streaming_content) == AUDIO
    refused = {
        "another qualifier of the team": people["other_qualifier"],
        "another team's qualifier": make_user(roles.QUALIFIER, team=qualification_team("Другая"), username="q3"),
        "another rep": people["other_rep"],
        "a rep of another team": make_user(roles.SALES_REP, team=sales_team("Санкт-Петербург"), username="rep3"),
    }
    for who, user in refused.items():
        assert logged_in(user).get(url).status_code == 403, who
    assert Client().get(url).status_code == 404  # anonymous: not even whether it exists


def test_a_range_request_answers_206_so_the_player_can_seek(disputed, people):
    _lead, recording = disputed
    client = logged_in(people["rep"])
    url = f"/queue/recordings/{recording.pk}/"
    whole = client.get(url)
    assert whole["Accept-Ranges"] == "bytes" and "public" not in whole["Cache-Control"]
    part = client.get(url, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 100-199/{len(AUDIO)}"
    assert part.content == AUDIO[100:200]
    tail = client.get(url, HTTP_RANGE="bytes=-10")
    assert (tail.status_code, tail.content) == (206, AUDIO[-10:])
    assert client.get(url, HTTP_RANGE=f"bytes={len(AUDIO)}-").status_code == 416


def test_the_player_on_the_lead_card_the_deal_card_and_arbitration(disputed, people):
    lead, handoff = disputed
    older = recorded_call(lead, people["qualifier"], minutes_before_handoff=60)
    after = recorded_call(lead, people["rep"], minutes_before_handoff=-30)  # the rep's call after the hand-off
    card = logged_in(people["qualifier"]).get(f"/queue/{lead.pk}/").content.decode()
    assert card.count('<audio controls preload="none"') == 3
    assert f'src="/queue/recordings/{handoff.pk}/"' in card
    deal = logged_in(people["rep"]).get(f"/board/deal/{lead.pk}/").content.decode()
    assert deal.count('<audio controls preload="none"') == 3
    page = logged_in(people["manager"]).get("/board/arbitration/").content.decode()
    players = [page.index(f'src="/queue/recordings/{r.pk}/"') for r in (handoff, after, older)]
    assert players == sorted(players)  # the hand-off call first, then the others newest first
    assert page.index("Звонок перед передачей в продажи") < players[0]
    assert 'href="/queue/recordings/' not in page and "/media/" not in page  # no public address anywhere


def test_pages_stay_at_their_query_count_with_recordings(disputed, people, django_assert_max_num_queries):
    lead, _recording = disputed
    for minutes in (10, 20, 30, 40):
        recorded_call(lead, people["qualifier"], minutes_before_handoff=minutes)
    client = logged_in(people["manager"])
    client.get("/board/arbitration/")
    with django_assert_max_num_queries(40) as captured:
        client.get("/board/arbitration/")
    recording_queries = [q for q in captured.captured_queries if "callrecording" in q["sql"]]
    assert len(recording_queries) == 1
