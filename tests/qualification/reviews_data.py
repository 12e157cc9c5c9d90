"""A week of answered calls with recordings for the call review tests (issue 16 §4).

Week of Monday 2 March 2026 (Moscow). Team "Квалификация": qualifiers anna (5 answered calls with a
recording, 1 without, 1 unanswered), boris (2 with a recording); the lead olga; a second team with its
own lead; a sales rep and manager; the director. One of anna's leads of the previous week was handed off
and disputed; the dispute is upheld on Wednesday of the week.
"""

import io
import wave
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile

from leadflow import roles
from leadflow.models import Reason, Team
from qualification.models import CallAttempt, CallRecording
from qualification.services import call_script_publish
from sales.models import Dispute
from tests.factories import LeadFactory, TeamFactory, make_user, qualification_team, reason

MSK = ZoneInfo("Europe/Moscow")
MONDAY = datetime(2026, 3, 2, tzinfo=MSK)
STEPS = [
    {"code": "greeting", "title": "Приветствие", "hint": "Назвал себя и компанию"},
    {"code": "product_type", "title": "Своя или модульная", "hint": ""},
    {"code": "budget", "title": "Бюджет", "hint": ""},
    {"code": "measurement", "title": "Запись на замер", "hint": ""},
]


def silent_wav(seconds=2, rate=8000):
    """A real (silent) WAV file: the browser's <audio> loads it and knows its duration."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(1)
        audio.setframerate(rate)
        audio.writeframes(b"\x80" * rate * seconds)
    return buffer.getvalue()


AUDIO = silent_wav()


def answered_call(lead, qualifier, at, *, recording=True, outcome=CallAttempt.Outcome.REACHED):
    attempt = CallAttempt.objects.create(
        lead=lead, actor=qualifier, outcome=outcome, called_at=at, duration_seconds=95, channel=CallAttempt.Channel.PBX
    )
    if recording:
        record = CallRecording(attempt=attempt, content_type="audio/wav", size_bytes=len(AUDIO), duration_seconds=2)
        record.file.save("call.wav", ContentFile(AUDIO), save=True)
    return attempt


def build():
    team = qualification_team()
    other = TeamFactory(name="Квалификация-2", kind=Team.Kind.QUALIFICATION)
    people = {
        "anna": make_user(roles.QUALIFIER, username="anna", first_name="Анна", last_name="Иванова"),
        "boris": make_user(roles.QUALIFIER, username="boris", first_name="Борис", last_name="Петров"),
        "olga": make_user(roles.QUALIFICATION_LEAD, username="olga", first_name="Ольга", last_name="Лидова"),
        "other_lead": make_user(roles.QUALIFICATION_LEAD, team=other, username="pavel"),
        "rep": make_user(roles.SALES_REP, username="roman"),
        "manager": make_user(roles.SALES_MANAGER, username="maria"),
        "director": make_user(roles.DIRECTOR, username="dmitry"),
    }
    people["admin"] = make_user(None, username="admin", is_superuser=True, is_staff=True)
    anna, boris = people["anna"], people["boris"]
    script = call_script_publish(team=team, title="Первый звонок", text="…", steps=STEPS, actor=people["olga"])
    calls = {"anna": [], "boris": []}
    for day in range(5):
        lead = LeadFactory(qualification_team=team, qualifier=anna, received_at=MONDAY + timedelta(days=day, hours=9))
        calls["anna"].append(answered_call(lead, anna, MONDAY + timedelta(days=day, hours=10)))
    lead = LeadFactory(qualification_team=team, qualifier=anna, received_at=MONDAY + timedelta(hours=9))
    no_recording = answered_call(lead, anna, MONDAY + timedelta(hours=11), recording=False)
    unanswered = answered_call(lead, anna, MONDAY + timedelta(hours=12), outcome=CallAttempt.Outcome.NO_ANSWER)
    for day in range(2):
        lead = LeadFactory(qualification_team=team, qualifier=boris, received_at=MONDAY + timedelta(days=day, hours=9))
        calls["boris"].append(answered_call(lead, boris, MONDAY + timedelta(days=day, hours=10)))
    # last week's hand-off, disputed and upheld this Wednesday: its call (no recording) must be reviewed
    disputed = LeadFactory(qualification_team=team, handed_off_by=anna, received_at=MONDAY - timedelta(days=5))
    handoff_call = answered_call(disputed, anna, MONDAY - timedelta(days=5) + timedelta(hours=1), recording=False)
    Dispute.objects.create(
        lead=disputed,
        reason=reason(Reason.Kind.DISPUTE, "modular"),
        comment="Модульная",
        raised_by=people["rep"],
        raised_at=MONDAY - timedelta(days=4),
        qualifier=anna,
        sales_rep=people["rep"],
        decision=Dispute.Decision.UPHELD,
        decided_at=MONDAY + timedelta(days=2, hours=15),
    )
    return {
        "team": team,
        "other": other,
        "script": script,
        "people": people,
        "calls": calls,
        "no_recording": no_recording,
        "unanswered": unanswered,
        "handoff_call": handoff_call,
    }
