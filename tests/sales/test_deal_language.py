"""The rep's deal page shows the client's language by its Russian name (issue 18 §3)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_deal_page_shows_the_language(client, clock, people, deals):
    english = deals.handed_off(language="en")
    russian = deals.handed_off(language="", phone="+79160000002")
    client.force_login(people["rep"])
    page = client.get(reverse("sales:deal", args=[english.pk])).content.decode()
    assert '<dd class="col-7" data-testid="lead-language">Английский</dd>' in page
    assert 'data-testid="lead-language"' not in client.get(reverse("sales:deal", args=[russian.pk])).content.decode()
    client.force_login(people["other_rep"])
    assert client.get(reverse("sales:deal", args=[english.pk])).status_code == 403  # unchanged: not theirs
