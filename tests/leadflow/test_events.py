"""One vocabulary for lead events (issue 11 §2): LeadEvent, the transitions' own words, human history rows."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import translation
from django_fsm_log.models import StateLog

from leadflow import roles
from leadflow.models import Lead, LeadEvent, LeadStatus
from leadflow.services import history_record, lead_receive
from leadflow.workhours import time_zone_label
from qualification import services as q
from qualification.exceptions import TransitionRefused
from sales.templatetags.sales_board import event_label
from tests.factories import KITCHEN_PASSING_ANSWERS, kitchen_checklist, make_user, queue_lead, source

pytestmark = pytest.mark.django_db


@pytest.fixture
def qualifier():
    return make_user(roles.QUALIFIER, username="anna", first_name="Анна", last_name="Кузнецова")


@pytest.fixture
def held_lead(qualifier):
    kitchen_checklist()
    lead = queue_lead()
    return q.lead_claim(lead_id=lead.pk, actor=qualifier)


def test_every_transition_names_its_event_and_its_words():
    lead = Lead()
    names = {t.name for t in lead.get_all_status_transitions()}
    assert names == {
        "claim",
        "release",
        "qualify",
        "disqualify",
        "hand_off",
        "return_to_qualification",
        "record_measurement",
        "win",
        "lose",
        "reopen",
    }
    for name in names:
        custom = lead.transition_meta(name).custom
        assert custom["event"] == LeadEvent(name), name  # the logged code is the method name
        assert custom["action"], name
        for condition in lead.transition_meta(name).conditions:
            assert condition in custom.get("refused", {}), (name, condition.__name__)


def test_the_board_and_the_card_read_an_event_with_the_same_word():
    with translation.override("ru"):
        assert event_label("claim") == str(LeadEvent.CLAIM.label) == "Взят в работу"
        assert str(Lead().transition_meta("claim").custom["action"]) == "Взять лид"


def test_every_event_has_a_russian_label():
    with translation.override("en"):
        english = {e.value: str(e.label) for e in LeadEvent}
    with translation.override("ru"):
        untranslated = [e.value for e in LeadEvent if str(e.label) == english[e.value]]
    assert untranslated == []


def test_a_stored_code_without_a_member_reads_as_an_event_not_as_the_code():
    with translation.override("ru"):
        assert str(LeadEvent.label_of("legacy_thing")) == "Событие"
        assert event_label("legacy_thing") == "Событие"


def test_history_record_takes_only_a_lead_event(held_lead):
    with pytest.raises(TypeError):
        history_record(lead=held_lead, event="call_attempt")
    row = history_record(lead=held_lead, event=LeadEvent.CALL_ATTEMPT)
    assert StateLog.objects.get(pk=row.pk).transition == "call_attempt"  # the stored code is unchanged


def test_a_refusal_names_the_guard_that_fails(held_lead, qualifier):
    q.lead_answers_save(lead_id=held_lead.pk, actor=qualifier, answers=dict(KITCHEN_PASSING_ANSWERS, budget="1000"))
    with translation.override("ru"), pytest.raises(TransitionRefused) as refused:
        q.lead_qualify(lead_id=held_lead.pk, actor=qualifier)
    assert str(refused.value) == "«Квалифицировать» пока невозможно: пройдены не все обязательные критерии."


def test_checklist_row_shows_questions_not_criterion_codes(held_lead, qualifier):
    with translation.override("ru"):
        q.lead_answers_save(lead_id=held_lead.pk, actor=qualifier, answers=dict(KITCHEN_PASSING_ANSWERS, budget="1000"))
    row = StateLog.objects.get(
        content_type=ContentType.objects.get_for_model(Lead),
        object_id=held_lead.pk,
        transition=LeadEvent.CHECKLIST_ANSWERED,
    )
    assert "product_type" not in row.description and "=" not in row.description
    assert "Бюджет на кухню: 1" in row.description and "✗" in row.description


def test_received_row_names_the_channel_in_words():
    with translation.override("ru"):
        result = lead_receive(source=source("website"), phone="+79161234567", channel="form")
    row = StateLog.objects.get(object_id=result.lead.pk, transition=LeadEvent.RECEIVED)
    assert "(form)" not in row.description
    assert row.description.endswith("(форма на сайте)")


def test_time_zone_reads_as_a_city_and_offset():
    with translation.override("ru"):
        assert time_zone_label("Europe/Moscow") == "Москва (UTC+3)"
        assert time_zone_label("Asia/Kolkata") == "UTC+5:30"


def test_lead_card_names_the_holder_in_the_nominative(client, held_lead, qualifier):
    client.force_login(qualifier)
    page = client.get(reverse("qualification:lead", args=[held_lead.pk]), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Ответственный: Анна Кузнецова" in page
    assert "в работе у" not in page
    assert held_lead.status == LeadStatus.QUALIFYING
