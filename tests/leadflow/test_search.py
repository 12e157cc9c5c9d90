"""One search box for every role (issue 16 §5): the leads a person may see, open and closed, by name,
phone in any format, e-mail and external id; an empty result says what was searched."""

import pytest
from django.test import Client

from leadflow import roles
from leadflow.models import Lead, LeadStatus
from tests.factories import make_user, qualification_team, queue_lead

pytestmark = pytest.mark.django_db


def found(user, q):
    client = Client()
    client.force_login(user)
    response = client.get("/search/", {"q": q})
    assert response.status_code == 200
    return {lead.pk for lead in response.context["found"] or []}, response.content.decode()


@pytest.fixture
def world():
    anna = make_user(roles.QUALIFIER, username="anna")
    other_team = make_user(roles.QUALIFIER, team=qualification_team("Другая"), username="olga")
    irina = queue_lead(phone="+79584631954", name="Ирина Петрова", email="irina@example.ru", external_id="AV-77123")
    closed = queue_lead(phone="+79161234567", name="Пётр Закрытый")
    Lead.objects.filter(pk=closed.pk).update(status=LeadStatus.DISQUALIFIED, qualifier=anna)
    return {"anna": anna, "other_team": other_team, "irina": irina, "closed": closed}


def test_a_phone_in_any_format_finds_the_lead(world):
    for typed in ("8 958 463-19-54", "+7 (958) 463-19-54", "89584631954", "9584631954", "8 958 463", "463-19-54"):
        assert found(world["anna"], typed)[0] == {world["irina"].pk}, typed


def test_name_email_external_id_and_closed_leads(world):
    anna = world["anna"]
    assert found(anna, "ирина")[0] == {world["irina"].pk}
    assert found(anna, "IRINA@example")[0] == {world["irina"].pk}
    assert found(anna, "av-77123")[0] == {world["irina"].pk}
    assert found(anna, "Закрытый")[0] == {world["closed"].pk}  # closed leads are found too
    marketplace = queue_lead(phone="+79035550000", external_id="9161112233")  # an id that reads as a phone
    assert found(anna, "9161112233")[0] == {marketplace.pk}
    _ids, page = found(anna, "ирина")
    assert f'href="/queue/{world["irina"].pk}/"' in page


def test_another_team_finds_nothing_and_is_told_what_was_searched(world):
    ids, page = found(world["other_team"], "8 958 463-19-54")
    assert ids == set()
    assert "По запросу «8 958 463-19-54» ничего не найдено." in page
    assert "как +79584631954" in page and "открытых и закрытых" in page


def test_the_search_box_is_in_every_page_header_and_anonymous_is_sent_to_login(world):
    client = Client()
    assert client.get("/search/", {"q": "ирина"}).status_code == 302
    client.force_login(world["anna"])
    assert 'data-testid="nav-search"' in client.get("/queue/").content.decode()


def test_one_query_for_the_results(world, django_assert_max_num_queries):
    for n in range(20):
        queue_lead(phone=f"+7958463{n:04d}", name=f"Клиент {n}")
    client = Client()
    client.force_login(world["anna"])
    client.get("/search/", {"q": "8 958 463"})
    with django_assert_max_num_queries(15):
        assert len(client.get("/search/", {"q": "8 958 463"}).context["found"]) == 21
