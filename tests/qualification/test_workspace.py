"""What the workspace's keys and alerts read from the pages (issue 16 §5): the rows the alerts watch, the
targets of the keys, the help list in Russian, the toggle and its local sound file."""

import wave
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone

from qualification import services as q
from tests.factories import kitchen_checklist, queue_lead

pytestmark = pytest.mark.django_db

URL = reverse("qualification:index")


def test_rows_say_unclaimed_and_callback_due_for_the_alerts(client, qualifier):
    fresh = queue_lead(name="Свободная")
    later = queue_lead(name="Позже")
    due = queue_lead(name="Пора")
    for lead, minutes in ((later, 30), (due, 1)):
        q.lead_claim(lead_id=lead.pk, actor=qualifier)
        q.call_attempt_log(
            lead_id=lead.pk,
            actor=qualifier,
            outcome="callback",
            callback_at=timezone.now() + timedelta(minutes=minutes),
        )
    client.force_login(qualifier)
    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):  # the first callback is due
        html = client.get(URL, HTTP_HX_REQUEST="true").content.decode()
    rows = {lead.pk: _row(html, lead.pk) for lead in (fresh, later, due)}
    assert "data-unclaimed" in rows[fresh.pk] and "data-callback-due" not in rows[fresh.pk]
    assert "data-unclaimed" not in rows[later.pk] and "data-callback-due" not in rows[later.pk]
    assert "data-callback-due" in rows[due.pk] and f'data-lead-name="#{due.pk} Пора"' in rows[due.pk]


def _row(html, lead_id):
    start = html.index(f'data-lead-id="{lead_id}"')
    return html[html.rindex("<tr", 0, start) : html.index(">", start)]


def test_the_queue_has_the_keys_the_help_and_the_alerts_toggle(client, qualifier):
    client.force_login(qualifier)
    html = client.get(URL).content.decode()
    assert 'data-testid="next-lead" data-shortcut="next"' in html
    assert 'id="shortcuts-help"' in html and "Горячие клавиши" in html and "Следующий лид" in html
    assert "data-alerts-toggle" in html and "Звук и уведомления: выкл." in html
    assert 'data-sound="/static/leadflow/sounds/chime.wav"' in html
    assert "Новый лид в очереди" in html and "Пора перезвонить" in html
    assert "leadflow/workspace.js" in html
    assert "пауза, пока вы печатаете в поле" in html


def test_the_card_marks_the_keys_only_where_the_qualifier_may_act(client, qualifier, qlead):
    kitchen_checklist()
    lead = queue_lead()
    q.lead_claim(lead_id=lead.pk, actor=qualifier)
    card = reverse("qualification:lead", args=[lead.pk])
    client.force_login(qualifier)
    html = client.get(card).content.decode()
    for name in ("next", "call", "log", "qualify", "disqualify", "book"):
        assert f'data-shortcut="{name}"' in html, name
    client.force_login(qlead)  # the team lead looks at someone else's lead: may act, has no "next lead"
    html = client.get(card).content.decode()
    assert 'data-shortcut="next"' not in html and 'data-shortcut="qualify"' in html


def test_the_chime_is_a_short_local_wav():
    path = Path(finders.find("leadflow/sounds/chime.wav"))
    assert path.is_file() and str(path).startswith(str(settings.BASE_DIR))
    with wave.open(str(path)) as sound:
        seconds = sound.getnframes() / sound.getframerate()
    assert 0.2 < seconds < 1.0
