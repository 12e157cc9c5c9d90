"""The queue table's rows (qualification.tables.QueueRows): the cells, links and data attributes the
queue showed when django-tables2 rendered it cell by cell, now formatted in one pass per row."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from leadflow.models import Lead
from qualification import services as q
from tests.factories import queue_lead

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]  # assert on the English msgids

URL = reverse("qualification:index")
NOW = timezone.now().replace(microsecond=0)


def _rows(client, user, **params):
    """{lead id: (the <tr …> tag, [the cells' inner HTML])} of the page `user` sees."""
    client.force_login(user)
    html = client.get(URL, params).content.decode()
    rows = {}
    for tr, body in re.findall(r"(<tr [^>]*data-lead-id[^>]*>)(.*?)</tr>", html, re.S):
        pk = int(re.search(r'data-lead-id="(\d+)"', tr)[1])
        rows[pk] = (tr, re.findall(r"<td[^>]*>(.*?)</td>", body, re.S))
    return rows


def _local(moment, fmt):
    return timezone.localtime(moment).strftime(fmt)


def test_a_qualifier_sees_an_unclaimed_lead_with_its_link_phone_and_take_button(client, qualifier):
    with time_machine.travel(NOW, tick=False):
        lead = queue_lead(minutes_ago=2, name="Анна <Ко>", city="Тверь", region="Тверская область")
        tr, cells = _rows(client, qualifier)[lead.pk]
    assert 'class="sla-pending even"' in tr and 'data-unclaimed=""' in tr and "data-callback-due" not in tr
    assert f'data-lead-name="#{lead.pk} Анна &lt;Ко&gt;"' in tr
    bucket, due, received, name, source, region, product, status, attempts, actions = cells  # no "Held by"
    assert 'data-bucket="2"' in bucket and "In time" in bucket
    assert f'data-deadline="{lead.sla_breach_at.isoformat()}"' in due and 'data-kind="sla"' in due
    assert _local(lead.sla_breach_at, "%H:%M") in due
    assert received == _local(lead.received_at, "%d.%m %H:%M")
    assert f'<a href="{reverse("qualification:lead", args=[lead.pk])}"' in name
    assert "Анна &lt;Ко&gt;" in name and lead.phone in name  # escaped
    assert source == str(lead.source)
    assert region == "Тверь, Тверская область"
    assert (product, attempts) == ("Custom", "0")
    assert "New" in status and "text-bg-primary" in status
    assert f'action="{reverse("qualification:claim", args=[lead.pk])}"' in actions
    assert 'name="csrfmiddlewaretoken" value="' in actions and "Take" in actions


def test_empty_values_show_a_dash_and_a_held_lead_opens(client, qualifier):
    with time_machine.travel(NOW, tick=False):
        lead = queue_lead(minutes_ago=2, name="", city="", region="")
        q.lead_claim(lead_id=lead.pk, actor=qualifier)
        q.call_attempt_log(
            lead_id=lead.pk, actor=qualifier, outcome="callback", callback_at=NOW + timedelta(minutes=30)
        )
    with time_machine.travel(NOW + timedelta(minutes=31), tick=False):
        tr, cells = _rows(client, qualifier)[lead.pk]
    assert 'class="sla-callback even"' in tr and 'data-callback-due=""' in tr and "data-unclaimed" not in tr
    bucket, due, _received, name, _source, region, _product, status, attempts, actions = cells
    assert 'data-bucket="1"' in bucket
    assert 'data-kind="callback"' in due and _local(NOW + timedelta(minutes=30), "%d.%m %H:%M") in due
    assert name == "—" and region == "—"  # django-tables2's default for an empty value
    assert "Qualifying" in status and attempts == "1"
    assert actions == (
        f'<a class="btn btn-sm btn-outline-secondary" href="{reverse("qualification:lead", args=[lead.pk])}">Open</a>'
    )


def test_the_team_lead_sees_who_holds_each_lead_and_since_when(client, qualifier, qlead):
    with time_machine.travel(NOW, tick=False):
        held = queue_lead(minutes_ago=5)
        free = queue_lead(minutes_ago=1)
        q.lead_claim(lead_id=held.pk, actor=qualifier)
        rows = _rows(client, qlead)
    held_cells, free_cells = rows[held.pk][1], rows[free.pk][1]
    assert len(held_cells) == 11  # the "Held by" column too
    holder = held_cells[8]
    assert holder.startswith(qualifier.get_full_name() or qualifier.username)
    claimed_at = Lead.objects.get(pk=held.pk).claimed_at
    assert f'for <span class="elapsed" data-since="{claimed_at.isoformat()}"></span>' in holder
    assert free_cells[8] == "—"
    assert 'data-unclaimed=""' in rows[free.pk][0] and "data-unclaimed" not in rows[held.pk][0]


def test_rows_alternate_even_and_odd_and_an_empty_queue_says_so(client, qualifier):
    with time_machine.travel(NOW, tick=False):
        first, second = queue_lead(minutes_ago=3), queue_lead(minutes_ago=1)
        rows = _rows(client, qualifier)
        assert " even" in rows[first.pk][0] and " odd" in rows[second.pk][0]
        html = client.get(URL, {"q": "nobody-has-this-name"}).content.decode()
    assert '<tr><td colspan="10">The queue is empty. New leads appear here by themselves.</td></tr>' in html
