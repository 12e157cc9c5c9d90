"""The first-run wizard (/setup/): the director picks the business and the teams with their hours."""

import pytest
from django.urls import reverse

from leadflow import vertical
from leadflow.models import Team
from presets.services import preset_apply
from qualification.models import Checklist
from tests.factories import make_user

pytestmark = pytest.mark.django_db

URL = "/setup/"
VALID = {
    "preset": "clinic",
    "qualification_name": "Колл-центр (Тверь)",
    "qualification_days": ["0", "1", "2", "3", "4"],
    "qualification_opens": "08:00",
    "qualification_closes": "20:00",
    "sales_name": "Клиника на Профсоюзной",
    "sales_days": ["0", "1", "2", "3", "4", "5"],
    "sales_opens": "09:00",
    "sales_closes": "21:00",
}


@pytest.fixture
def director(client):
    user = make_user("director")
    client.force_login(user)
    return user


def test_the_director_sees_every_business_in_russian(client, director):
    page = client.get(URL).content.decode()
    for title in (
        "Кухни на заказ",
        "Частная клиника",
        "Недвижимость: офис продаж новостроек",
        "B2B-услуги с крупным чеком",
    ):
        assert title in page
    assert "Команда квалификации" in page


@pytest.mark.parametrize("role", ["qualifier", "qualification_lead", "sales_rep", "sales_manager"])
def test_only_the_director_sets_up(client, role):
    client.force_login(make_user(role))
    assert client.get(URL).status_code == 403
    assert client.post(URL, VALID).status_code == 403
    assert not Team.objects.filter(name=VALID["sales_name"]).exists()


def test_wrong_input_is_refused_in_russian_and_kept(client, director):
    data = {**VALID, "qualification_closes": "07:00", "sales_name": VALID["qualification_name"]}
    response = client.post(URL, data)
    page = response.content.decode()
    assert response.status_code == 400
    assert "Команда заканчивает работу позже, чем начинает." in page
    assert "У двух команд должны быть разные названия." in page
    assert 'value="Колл-центр (Тверь)"' in page and 'value="07:00"' in page
    assert not Team.objects.filter(name=VALID["qualification_name"]).exists()
    assert vertical.current().code == "kitchens"


def test_a_team_name_of_the_other_kind_is_refused(client, director):
    response = client.post(URL, {**VALID, "sales_name": "Квалификация"})
    assert response.status_code == 400
    assert "«Квалификация» — команда другого типа." in response.content.decode()


def test_setting_up_a_clinic(client, director):
    response = client.post(URL, VALID)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Частная клиника" in page and "создана команда: Колл-центр (Тверь)" in page
    callcentre = Team.objects.get(name="Колл-центр (Тверь)")
    assert callcentre.sales_team.name == "Клиника на Профсоюзной"
    assert sorted(callcentre.working_hours.values_list("weekday", flat=True)) == [0, 1, 2, 3, 4]
    assert Checklist.objects.get(team=callcentre, is_active=True).title.startswith("Стоматология")
    assert vertical.current().visit_name == "Первичный приём"
    again = client.post(URL, VALID).content.decode()
    assert "Всё уже было настроено так: ничего не изменилось." in again


def test_admin_index_links_to_the_wizard_until_set_up(client):
    client.force_login(make_user("director", is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:index")).content.decode()
    assert "Система ещё не настроена." in page and 'href="/setup/"' in page
    preset_apply(name="realty")
    page = client.get(reverse("admin:index")).content.decode()
    assert "Система ещё не настроена." not in page
    assert "Бизнес: Недвижимость: офис продаж новостроек (визит: Показ объекта)." in page


def test_the_public_form_asks_what_kitchen_only_in_a_kitchen_installation(client):
    assert "Какая кухня вас интересует?" in client.get("/intake/").content.decode()
    preset_apply(name="clinic")
    page = client.get("/intake/").content.decode()
    assert "Какая кухня вас интересует?" not in page and "кухн" not in page.lower()
