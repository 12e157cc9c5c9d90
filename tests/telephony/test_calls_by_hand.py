"""Manual logging stays, marked as such in the history and counted per qualifier on the speed page."""

import pytest
from django.test import Client
from django_fsm_log.models import StateLog

from leadflow import roles
from leadflow.models import LeadEvent
from qualification.services import call_attempt_log
from reports.selectors.speed import calls_by_hand
from tests.factories import make_user
from tests.fake_pbx import mango_form, mango_outbound_call

from .conftest import CLIENT, RECEIVED

pytestmark = pytest.mark.django_db


def test_manual_and_pbx_calls_are_told_apart_in_history_and_in_the_speed_report(mango, anna, lead, noon):
    from datetime import timedelta

    for kind, payload in mango_outbound_call(
        entry_id="E1", extension="101", client=CLIENT, start=RECEIVED + timedelta(minutes=3)
    ):
        Client().post(f"/api/v1/pbx/mango/{mango.pk}/events/{kind}", mango_form(payload))
    call_attempt_log(lead_id=lead.pk, actor=anna, outcome="no_answer", note="с мобильного")
    descriptions = list(
        StateLog.objects.for_(lead).filter(transition=LeadEvent.CALL_ATTEMPT).values_list("description", flat=True)
    )
    assert any("(by hand)" in d or "(вручную)" in d for d in descriptions)
    assert any("(PBX)" in d or "(АТС)" in d for d in descriptions)

    from leadflow.models import Lead

    rows, total = calls_by_hand(leads=Lead.objects.all())
    assert [(row["label"], row["calls"], row["by_hand"]) for row in rows][0][1:] == (2, 1)
    assert total["by_hand_share"] == pytest.approx(0.5)

    director = make_user(roles.DIRECTOR, username="dir")
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    client.force_login(director)
    page = client.get("/reports/speed/").content.decode()
    assert "Доля вручную" in page
