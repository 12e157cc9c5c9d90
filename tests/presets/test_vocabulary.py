"""The visit's name follows the installation's vertical in the Russian interface (one helper,
leadflow.vertical): "замер" in a kitchen installation, "приём" in a clinic, "встреча" in B2B."""

import re

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from leadflow import hotcache, vertical
from presets.services import preset_apply
from tests.factories import make_user

pytestmark = pytest.mark.django_db

KITCHEN_WORD = re.compile(r"замер", re.IGNORECASE)


def ru(msgid):
    with translation.override("ru"):
        vertical.vocabulary_activate()
        return gettext(msgid)


def test_kitchens_keep_the_catalog_as_it_is():
    assert ru("Schedule the measurement") == "Назначьте замер"
    assert ru("Measured") == "Замер проведён"


def test_clinic_speaks_of_the_appointment():
    preset_apply(name="clinic")
    assert ru("Schedule the measurement") == "Назначьте приём"
    assert ru("Reached measurement") == "Дошли до приёма"
    assert ru("Measured") == "Приём проведён"
    assert ru("measurement visit") == "первичный приём"


def test_b2b_agrees_a_feminine_meeting():
    preset_apply(name="b2b")
    assert ru("Measurement booked for %(when)s with %(rep)s, %(address)s").startswith("Встреча назначена на")
    assert ru("Schedule the measurement") == "Назначьте встречу"


def test_back_to_kitchens_restores_every_word():
    preset_apply(name="realty")
    assert ru("Schedule the measurement") == "Назначьте показ"
    preset_apply(name="kitchens")
    assert ru("Schedule the measurement") == "Назначьте замер"


@pytest.mark.parametrize("name", ["clinic", "realty", "b2b"])
def test_no_russian_string_keeps_the_kitchen_visit(name):
    """Every msgstr of the catalog: none mentions "замер" once another vertical is applied."""
    preset_apply(name=name)
    with translation.override("ru"):
        vertical.vocabulary_activate()
        catalog = translation.trans_real.translation("ru")._catalog
        left = [value for _key, value in catalog.items() if isinstance(value, str) and KITCHEN_WORD.search(value)]
    assert left == []


def test_reading_the_profile_costs_no_query_once_cached(django_assert_num_queries):
    preset_apply(name="clinic")
    assert vertical.current().visit_name == "Первичный приём"  # read once from the database
    hotcache.clear()  # another request, later: the shared cache answers
    with django_assert_num_queries(0):
        assert vertical.current().visit_name == "Первичный приём"


def test_the_calendar_of_a_clinic_says_appointment(client):
    preset_apply(name="clinic")
    client.force_login(make_user("sales_manager"))
    page = client.get(reverse("sales:calendar"), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "приём" in page.lower()
    assert not KITCHEN_WORD.search(page)


def test_a_clinic_has_appointments_not_trips():
    preset_apply(name="clinic")
    assert ru("measurement visits") == "приёмы"
    assert ru("Walls, windows, water and gas, photos and the quote: a form for the phone.").startswith("Жалобы, план")


def test_a_celery_task_speaks_the_vertical_too():
    """Visit reminders and digests are written by the worker, outside any request."""
    from celery.signals import task_prerun

    preset_apply(name="clinic")
    with translation.override("ru"):
        vertical.vocabulary_activate(vertical.DEFAULT)  # the worker's catalog as it starts: the kitchen words
        assert gettext("Schedule the measurement") == "Назначьте замер"
        task_prerun.send(sender=None, task_id="t1", task=None, args=(), kwargs={})
        assert gettext("Schedule the measurement") == "Назначьте приём"
