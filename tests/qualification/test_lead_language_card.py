"""The lead card and the deal page show the client's language by its Russian name, only when said."""

import pytest
from django.urls import reverse

from leadflow import roles
from tests.factories import make_user, queue_lead

pytestmark = pytest.mark.django_db


def test_the_card_shows_the_language_in_russian(client, qualifier):
    lead = queue_lead(language="en")
    client.force_login(qualifier)
    page = client.get(reverse("qualification:lead", args=[lead.pk])).content.decode()
    assert '<dd class="col-8" data-testid="lead-language">Английский</dd>' in page
    assert "Язык" in page


def test_no_language_row_when_not_said(client, qualifier):
    lead = queue_lead(language="")
    client.force_login(qualifier)
    response = client.get(reverse("qualification:lead", args=[lead.pk]))
    assert response.status_code == 200
    assert 'data-testid="lead-language"' not in response.content.decode()


def test_a_sales_rep_still_cannot_open_the_qualification_card(client):
    lead = queue_lead(language="en")
    client.force_login(make_user(roles.SALES_REP))
    assert client.get(reverse("qualification:lead", args=[lead.pk])).status_code == 403
