"""A fake PBX on 127.0.0.1, a Mango and a Zadarma account pointed at it, a qualifier with extension 101
holding a lead received at noon (Moscow)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from leadflow import roles
from leadflow.models import PbxAccount
from leadflow.services import lead_receive
from qualification.services import lead_claim
from tests.factories import make_user, qualification_team, source
from tests.fake_pbx import MANGO_KEY, MANGO_SALT, ZADARMA_KEY, ZADARMA_SECRET, FakePbx

MSK = ZoneInfo("Europe/Moscow")
RECEIVED = datetime(2026, 11, 25, 12, 0, tzinfo=MSK)
CLIENT = "+79123456789"


@pytest.fixture
def fake_pbx():
    pbx = FakePbx().start()
    yield pbx
    pbx.stop()


@pytest.fixture
def noon():
    """The clock stands at 12:05, five minutes after the lead arrived."""
    with time_machine.travel(RECEIVED + timedelta(minutes=5), tick=False) as traveller:
        yield traveller


@pytest.fixture
def mango(fake_pbx):
    return PbxAccount.objects.create(
        provider="mango", name="Mango", base_url=f"{fake_pbx.url}/vpbx/", api_key=MANGO_KEY, api_secret=MANGO_SALT
    )


@pytest.fixture
def zadarma(fake_pbx):
    return PbxAccount.objects.create(
        provider="zadarma", name="Zadarma", base_url=fake_pbx.url, api_key=ZADARMA_KEY, api_secret=ZADARMA_SECRET
    )


@pytest.fixture
def anna(db):
    qualification_team()
    user = make_user(roles.QUALIFIER, username="anna")
    user.profile.phone_extension = "101"
    user.profile.save()
    return user


@pytest.fixture
def lead(anna, noon):
    lead = lead_receive(source=source("website"), phone=CLIENT, received_at=RECEIVED).lead
    return lead_claim(lead_id=lead.pk, actor=anna)
