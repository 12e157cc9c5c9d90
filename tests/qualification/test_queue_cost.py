"""What the queue page costs (issue 14 §2): the filter form as the queue opens is rendered once per
language and process (leadflow.hotcache), and is still the form each request would render."""

import re

import pytest
from django.urls import reverse

from leadflow.models import Source
from tests.factories import queue_lead

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]  # assert on the English msgids

URL = reverse("qualification:index")


def _filters(html):
    return re.search(r'<form method="get" class="card.*?</form>', html, re.S).group(0)


def test_the_cached_filter_form_is_the_form_of_the_request(client, qualifier):
    queue_lead()
    client.force_login(qualifier)
    opened = _filters(client.get(URL).content.decode())
    assert _filters(client.get(URL, {"page": 1}).content.decode()) == opened  # a page alone: the same form
    searched = _filters(client.get(URL, {"q": "912", "sla_state": "warned"}).content.decode())
    assert 'value="912"' in searched and '<option value="warned" selected>' in searched
    assert _filters(client.get(URL).content.decode()) == opened  # a filtered request does not replace it


def test_a_new_source_is_in_the_filter_at_once(client, qualifier):
    client.force_login(qualifier)
    client.get(URL)
    Source.objects.create(code="vk", name="ВКонтакте-реклама")
    assert "ВКонтакте-реклама" in _filters(client.get(URL).content.decode())
