"""seed_demo --preset NAME: a believable installation of that business, in its own words."""

from datetime import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Max, Min

from leadflow import vertical
from leadflow.models import Lead, Reason
from presets import schema
from qualification.models import Checklist, LeadAnswer
from sales.models import Measurement, MeasurementKit

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 11, 14, 30, tzinfo=ZoneInfo("Europe/Moscow"))


def seed(**options):
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


@pytest.mark.parametrize("name", ["clinic", "realty", "b2b"])
def test_seeded_business_speaks_its_own_words(name):
    preset = schema.load(name)
    seed(leads=300, preset=name)

    assert vertical.current().code == name
    preset_codes = {kind: {r["code"] for r in items} for kind, items in preset["reasons"].items()}
    closed = Lead.objects.filter(disqualify_reason__isnull=False)
    used = set(closed.values_list("disqualify_reason__kind", "disqualify_reason__code"))
    used |= set(Lead.objects.filter(lose_reason__isnull=False).values_list("lose_reason__kind", "lose_reason__code"))
    assert used and all(code in preset_codes[kind] for kind, code in used)
    assert not Reason.objects.filter(is_active=True, code="modular").exists() or name == "kitchens"

    messages = set(Lead.objects.values_list("message", flat=True))
    vocabulary = set().union(*preset["demo"]["messages"].values()) | {"Входящий звонок"}
    assert messages <= vocabulary
    assert not any("кухн" in message.lower() for message in messages)

    checklist = Checklist.objects.get(is_active=True)
    assert checklist.title == preset["checklist"]["title"]
    assert LeadAnswer.objects.exists()
    assert set(LeadAnswer.objects.values_list("criterion__checklist", flat=True)) == {checklist.pk}

    quoted = Lead.objects.filter(quote_amount__isnull=False)
    quotes = quoted.aggregate(low=Min("quote_amount"), high=Max("quote_amount"))
    assert preset["demo"]["quote"]["min"] <= quotes["low"] <= quotes["high"] <= preset["demo"]["quote"]["max"]
    assert Measurement.objects.exists()
    assert MeasurementKit.objects.get(team__isnull=True, is_active=True).title == preset["visit_form"]["title"]


def test_kitchens_stay_the_default():
    seed(leads=100)
    assert vertical.current().code == "kitchens"
    assert Reason.objects.get(kind="disqualify", code="modular").is_active
    assert Checklist.objects.get(is_active=True).version == 1
