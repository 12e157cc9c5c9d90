"""Personal data as 152-ФЗ expects (issue 12 §3): consent on intake, retention, a person's export and erasure."""

import io
import itertools
import json
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django_fsm_log.models import StateLog
from rest_framework.test import APIClient

from leadflow import roles
from leadflow.importing import import_leads
from leadflow.models import Inquiry, Lead, LeadEvent, LeadStatus, Notification, SecurityEvent, Source
from leadflow.phones import mask_phone
from leadflow.privacy.services import leads_anonymise, personal_data_erase
from leadflow.services import api_token_issue, lead_receive
from leadflow.tasks import personal_data_retention
from qualification.models import CallAttempt, HandoffSummary
from sales.models import Visit
from tests.factories import LeadFactory, make_user, source
from tests.test_pages_language import offences, visible_text

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=MSK)
PHONE = "+79123456789"
FORM = {
    "name": "Мария Петрова",
    "phone": "8 (912) 345-67-89",
    "email": "maria@example.com",
    "city": "Москва",
    "product_interest": "custom",
    "message": "Угловая кухня",
    "consent": "on",
    "website": "",
}


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def history(lead, event):
    return StateLog.objects.filter(object_id=lead.pk, transition=event.value)


# --- consent on the intake form -------------------------------------------------------------------


def test_form_links_the_consent_to_the_policy_page(client):
    page = client.get(reverse("intake")).content.decode()
    assert 'href="/privacy/"' in page
    assert "Я согласен(на) на" in page  # Russian, with the policy as the link
    policy = client.get("/privacy/")
    assert policy.status_code == 200
    assert "Политика обработки персональных данных" in policy.content.decode()


@override_settings(PRIVACY_POLICY_URL="https://kitchens.example.ru/privacy", PRIVACY_POLICY_VERSION="2026-05")
def test_the_policy_link_is_configurable(client, frozen):
    assert 'href="https://kitchens.example.ru/privacy"' in client.get(reverse("intake")).content.decode()
    client.post(reverse("intake"), FORM)
    assert Inquiry.objects.get().consent_policy == "https://kitchens.example.ru/privacy (v2026-05)"


def test_without_consent_nothing_is_saved_and_the_typed_values_stay(client):
    response = client.post(reverse("intake"), {**FORM, "consent": ""})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Мы можем перезвонить вам только с вашего согласия." in page
    assert 'data-testid="error-consent"' in page
    assert 'value="Мария Петрова"' in page and "Угловая кухня" in page
    assert not Lead.objects.exists() and not Inquiry.objects.exists()


def test_the_consent_is_stored_with_the_inquiry(client, frozen):
    response = client.post(reverse("intake"), FORM)
    assert response.status_code == 302
    inquiry = Inquiry.objects.get()
    assert inquiry.consent_at == NOW
    assert inquiry.consent_policy == "/privacy/ (v1)"
    assert inquiry.consent_basis == "согласие на форме сайта (галочка)"


def test_an_api_lead_carries_its_sources_consent_basis():
    avito = source("avito")
    avito.consent_basis = "согласие на сайте партнёра"
    avito.save()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(source=avito).key}")
    response = api.post("/api/v1/leads/", {"name": "Анна", "phone": PHONE, "external_id": "a-1"}, format="json")
    assert response.status_code == 201
    inquiry = Inquiry.objects.get()
    assert (inquiry.consent_basis, inquiry.consent_at) == ("согласие на сайте партнёра", None)


def test_an_imported_lead_carries_its_sources_consent_basis():
    Source.objects.filter(code="import").update(consent_basis="договор")
    import_leads(io.BytesIO(f"phone,name\n{PHONE},Анна\n".encode()), filename="leads.csv", default_source="import")
    assert Inquiry.objects.get().consent_basis == "договор"


# --- retention ------------------------------------------------------------------------------------


PHONES = itertools.count(1)


def person_lead(*, status, closed_days_ago, phone=None, **fields):
    """A lead with the person on every row that can hold them: inquiry, call, hand-off note, visit, history."""
    closed_at = NOW - timedelta(days=closed_days_ago) if closed_days_ago is not None else None
    fields.setdefault("received_at", (closed_at or NOW) - timedelta(days=3))
    lead = LeadFactory(
        status=status,
        closed_at=closed_at,
        phone=phone or f"+7916{next(PHONES):07d}",
        email="ivan@example.com",
        address="ул. Ленина, 1, кв. 5",
        message="Перезвоните Ивану после 18",
        outcome_note="Иван выбрал другую фабрику",
        region="Москва",
        **fields,
    )
    Inquiry.objects.create(lead=lead, source=lead.source, message="Кухня", payload={"phone": lead.phone})
    CallAttempt.objects.create(lead=lead, outcome=CallAttempt.Outcome.REACHED, note="Иван, жена Ольга")
    rep = make_user(roles.SALES_REP)
    HandoffSummary.objects.create(
        lead=lead, sales_rep=rep, created_by=rep, note="Звонить жене", best_time_to_visit="вечер", budget="400000"
    )
    Visit.objects.create(
        lead=lead, rep=rep, starts_at=NOW, ends_at=NOW + timedelta(hours=1), address="ул. Ленина, 1", note="код 15"
    )
    Notification.objects.create(recipient=rep, lead=lead, text=f"Новая передача: {lead.name}")
    StateLog.objects.create(
        content_type_id=_lead_ct(), object_id=lead.pk, source_state="new", state="new", transition="received",
        description=f"Принято: {lead.name}",
    )  # fmt: skip
    return lead


def _lead_ct():
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(Lead).pk


def fresh(lead):
    return Lead.objects.get(pk=lead.pk)  # refresh_from_db cannot set the protected status


def assert_anonymised(lead):
    lead = fresh(lead)
    assert lead.anonymised_at is not None
    assert (lead.name, lead.email, lead.address, lead.message, lead.outcome_note) == ("", "", "", "", "")
    assert lead.phone == f"anon-{lead.pk}"
    assert lead.region == "Москва"  # the reports group by it
    inquiry = lead.inquiries.get()
    assert (inquiry.message, inquiry.payload) == ("", {})
    assert lead.call_attempts.get().note == ""
    summary = lead.handoff_summaries.get()
    assert (summary.note, summary.best_time_to_visit, summary.budget) == ("", "", "400000")
    visit = lead.visits.get()
    assert (visit.address, visit.note) == ("", "")
    assert Notification.objects.get(lead=lead).text == f"Лид #{lead.pk}"
    assert not StateLog.objects.filter(object_id=lead.pk, description__contains="Иван").exists()
    assert history(lead, LeadEvent.PERSONAL_DATA_REMOVED).count() == 1


def test_retention_picks_only_old_disqualified_and_lost_leads(frozen):
    old_disqualified = person_lead(status=LeadStatus.DISQUALIFIED, closed_days_ago=400)
    old_lost = person_lead(status=LeadStatus.LOST, closed_days_ago=366)
    recent_lost = person_lead(status=LeadStatus.LOST, closed_days_ago=300)
    old_won = person_lead(status=LeadStatus.WON, closed_days_ago=500, deal_amount=Decimal("300000"))
    still_open = person_lead(status=LeadStatus.QUALIFYING, closed_days_ago=None, received_at=NOW - timedelta(days=900))

    report = leads_anonymise()

    assert report.by_status == {"disqualified": 1, "lost": 1}
    assert report.anonymised == 2
    assert report.oldest_closed_at == old_disqualified.closed_at
    assert report.newest_closed_at == old_lost.closed_at
    assert_anonymised(old_disqualified)
    assert_anonymised(old_lost)
    for kept in (recent_lost, old_won, still_open):
        kept = fresh(kept)
        assert kept.anonymised_at is None and kept.name and kept.phone.startswith("+7")
        assert kept.call_attempts.get().note == "Иван, жена Ольга"


@override_settings(PERSONAL_DATA_RETENTION_DAYS=30)
def test_the_retention_period_is_a_setting(frozen):
    lead = person_lead(status=LeadStatus.LOST, closed_days_ago=45)
    assert leads_anonymise().anonymised == 1
    assert_anonymised(lead)


def test_a_dry_run_reports_and_changes_nothing(frozen):
    lead = person_lead(status=LeadStatus.DISQUALIFIED, closed_days_ago=400)
    rows = StateLog.objects.count()
    report = leads_anonymise(dry_run=True)
    assert (report.total, report.anonymised, report.dry_run) == (1, 0, True)
    lead = fresh(lead)
    assert lead.anonymised_at is None and lead.name and lead.phone.startswith("+7")
    assert lead.inquiries.get().payload == {"phone": lead.phone}
    assert StateLog.objects.count() == rows


def test_the_command_prints_the_dry_run_report(frozen):
    lead = person_lead(status=LeadStatus.LOST, closed_days_ago=400)
    person_lead(status=LeadStatus.DISQUALIFIED, closed_days_ago=380)
    out = io.StringIO()
    call_command("anonymise_leads", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "dry run: nothing changed" in text
    assert "disqualified: 1" in text and "lost: 1" in text and "total: 2" in text
    lead = fresh(lead)
    assert lead.anonymised_at is None
    call_command("anonymise_leads", stdout=io.StringIO())
    assert Lead.objects.filter(anonymised_at__isnull=False).count() == 2


def test_the_beat_task_is_batched_idempotent_and_safe_to_run_twice(frozen, settings):
    leads = [person_lead(status=LeadStatus.DISQUALIFIED, closed_days_ago=400 + n) for n in range(3)]
    assert leads_anonymise(batch_size=2).anonymised == 3  # two batches
    assert personal_data_retention() == 0  # nothing left: the second run changes nothing
    assert "personal-data-retention" in settings.CELERY_BEAT_SCHEDULE
    for lead in leads:
        assert_anonymised(lead)  # one history row each, not two


def test_a_new_inquiry_from_the_real_number_never_attaches_to_an_anonymised_lead(frozen):
    website = source("website")
    first = lead_receive(source=website, phone=PHONE, name="Иван").lead
    Lead.objects.filter(pk=first.pk).update(status=LeadStatus.LOST, closed_at=NOW - timedelta(days=400))
    leads_anonymise()
    again = lead_receive(source=website, phone=PHONE, name="Иван")
    assert again.created and again.lead.pk != first.pk
    first = fresh(first)
    assert first.inquiries.count() == 1
    assert Lead.objects.filter(phone=PHONE).count() == 1


# --- the reports do not move -----------------------------------------------------------------------


def report_figures(period_a, period_b, march, everyone, people):
    from reports.selectors import (
        economics,
        funnel,
        handoff_quality,
        lead_base,
        own_stats,
        pilot_comparison,
        sales_per_rep,
        speed,
        statements,
    )
    from reports.selectors.economics import months_of

    figures = {}
    for group_by in ("team", "qualifier", "source", "region"):
        figures[f"funnel-{group_by}"] = funnel(leads=lead_base(report_filter=march, scope=everyone), group_by=group_by)
    for group_by in ("team", "qualifier", "hour"):
        figures[f"speed-{group_by}"] = speed(leads=lead_base(report_filter=march, scope=everyone), group_by=group_by)
    figures["handoff"] = handoff_quality(report_filter=march, scope=everyone)
    figures["sales"] = sales_per_rep(report_filter=march, scope=everyone)
    figures["economics"] = economics(report_filter=march, scope=everyone)
    figures["statements"] = statements(months=months_of(march.period), scope=everyone)
    figures["pilot"] = pilot_comparison(period_a=period_a, period_b=period_b, report_filter=march, scope=everyone)
    figures["own"] = own_stats(user=people["q1"])
    return figures


def test_reports_over_anonymised_leads_stay_exactly_the_same():
    from reports.selectors import ReportFilter, Scope
    from tests.reports import dataset
    from tests.reports.conftest import FEBRUARY, MARCH
    from tests.reports.conftest import NOW as REPORTS_NOW

    with time_machine.travel(REPORTS_NOW, tick=False):
        data = dataset.build()
        march, everyone = ReportFilter(period=MARCH), Scope()
        before = report_figures(FEBRUARY, MARCH, march, everyone, data["people"])

        with time_machine.travel(REPORTS_NOW + timedelta(days=400), tick=False):
            report = leads_anonymise()
        # L3 lost, L5 L6 disqualified (March); F1 disqualified, F2 lost (February)
        assert report.by_status == {"disqualified": 3, "lost": 2}
        assert Lead.objects.filter(anonymised_at__isnull=False, name="").count() == 5

        after = report_figures(FEBRUARY, MARCH, march, everyone, data["people"])
    assert after.keys() == before.keys()
    for name in before:
        assert after[name] == before[name], name


# --- a person's requests: export and erasure (the director only) -----------------------------------


@pytest.fixture
def director(client):
    user = make_user(roles.DIRECTOR)
    client.force_login(user)
    return user


@pytest.mark.parametrize("role", [roles.QUALIFIER, roles.QUALIFICATION_LEAD, roles.SALES_REP, roles.SALES_MANAGER])
def test_only_the_director_handles_requests(client, role):
    lead = person_lead(status=LeadStatus.LOST, closed_days_ago=10, phone=PHONE)
    client.force_login(make_user(role))
    assert client.get(reverse("privacy:requests")).status_code == 403
    assert client.post(reverse("privacy:requests"), {"phone": PHONE}).status_code == 403
    assert client.post(reverse("privacy:export"), {"phone": PHONE}).status_code == 403
    assert client.post(reverse("privacy:erase"), {"phone": PHONE, "confirm": "on"}).status_code == 403
    lead = fresh(lead)
    assert lead.anonymised_at is None
    assert not SecurityEvent.objects.exists()


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("privacy:requests"))
    assert response.status_code == 302 and "/login/" in response.url


def test_the_director_finds_a_person_by_any_spelling_of_the_phone(client, director):
    person_lead(status=LeadStatus.LOST, closed_days_ago=10, phone=PHONE, name="Иван Иванов")
    person_lead(status=LeadStatus.LOST, closed_days_ago=10, name="Другой")
    page = client.post(reverse("privacy:requests"), {"phone": "8 912 345 67 89"}).content.decode()
    assert "Иван Иванов" in page and "Другой" not in page
    assert "Выгрузить всё, что мы храним (JSON)" in page
    assert not offences(visible_text(page))  # no English, no raw keys on the Russian page


def test_the_export_is_everything_about_the_phone_and_is_logged(client, director, frozen):
    lead = person_lead(status=LeadStatus.LOST, closed_days_ago=10, phone=PHONE, name="Иван Иванов")
    person_lead(status=LeadStatus.LOST, closed_days_ago=10, name="Другой")
    response = client.post(reverse("privacy:export"), {"phone": "+7 912 345-67-89"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="personal-data-79123456789-')
    data = json.loads(response.content)
    assert data["phone"] == PHONE
    [row] = data["leads"]
    assert (row["id"], row["name"], row["address"]) == (lead.pk, "Иван Иванов", "ул. Ленина, 1, кв. 5")
    assert row["inquiries"][0]["payload"] == {"phone": PHONE}
    assert row["call_attempts"][0]["note"] == "Иван, жена Ольга"
    assert row["visits"][0]["address"] == "ул. Ленина, 1"
    assert row["handoff_summaries"][0]["note"] == "Звонить жене"
    assert any("Иван" in entry["description"] for entry in row["history"])
    event = SecurityEvent.objects.get()
    assert (event.kind, event.actor) == (SecurityEvent.Kind.PERSONAL_DATA_EXPORTED, director)
    assert "+7 912 ***-**-89" in event.detail and PHONE not in event.detail and "345" not in event.detail


def test_erasure_needs_the_confirmation(client, director):
    lead = person_lead(status=LeadStatus.LOST, closed_days_ago=10, phone=PHONE)
    response = client.post(reverse("privacy:erase"), {"phone": PHONE})
    assert response.status_code == 200
    assert "Отметьте подтверждение, чтобы удалить данные." in response.content.decode()
    lead = fresh(lead)
    assert lead.anonymised_at is None and not SecurityEvent.objects.exists()


def test_erasure_anonymises_every_closed_lead_of_the_phone_and_is_logged(client, director):
    lost = person_lead(status=LeadStatus.LOST, closed_days_ago=10, phone=PHONE)
    won = person_lead(status=LeadStatus.WON, closed_days_ago=20, phone=PHONE, deal_amount=Decimal("250000"))
    other = person_lead(status=LeadStatus.LOST, closed_days_ago=10)
    response = client.post(reverse("privacy:erase"), {"phone": "8 912 345-67-89", "confirm": "on"}, follow=True)
    assert "лидов: 2" in response.content.decode()
    assert_anonymised(lost)
    assert_anonymised(won)
    won = fresh(won)
    assert won.deal_amount == Decimal("250000")  # the figures stay
    other = fresh(other)
    assert other.anonymised_at is None
    event = SecurityEvent.objects.get()
    assert (event.kind, event.actor) == (SecurityEvent.Kind.PERSONAL_DATA_ERASED, director)
    assert event.detail.startswith("+7 912 ***-**-89")
    assert [history(lead, LeadEvent.PERSONAL_DATA_REMOVED).get().by for lead in (lost, won)] == [director, director]


def test_erasure_is_refused_while_a_lead_of_the_phone_is_open(client, director):
    closed = person_lead(status=LeadStatus.LOST, closed_days_ago=10, phone=PHONE)
    working = person_lead(status=LeadStatus.QUALIFYING, closed_days_ago=None, phone=PHONE)
    response = client.post(reverse("privacy:erase"), {"phone": PHONE, "confirm": "on"}, follow=True)
    assert f"#{working.pk}" in response.content.decode()
    for lead in (closed, working):
        lead = fresh(lead)
        assert lead.anonymised_at is None
    assert not SecurityEvent.objects.exists()


def test_the_erase_service_checks_the_rule_itself():
    from leadflow.exceptions import PermissionRefused

    lead = person_lead(status=LeadStatus.LOST, closed_days_ago=10, phone=PHONE)
    with pytest.raises(PermissionRefused):
        personal_data_erase(phone=PHONE, actor=make_user(roles.SALES_MANAGER))
    lead = fresh(lead)
    assert lead.anonymised_at is None


def test_the_security_log_masks_the_phone():
    assert mask_phone("+79123456789") == "+7 912 ***-**-89"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_consent_on_a_phone_in_a_real_browser(page):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{page.base_url}{reverse('intake')}")
    page.fill("#id_name", "Мария")
    page.fill("#id_phone", "8 (912) 345-67-89")
    page.click("button[type=submit]")
    error = page.locator('[data-testid="error-consent"]')
    assert error.is_visible() and error.inner_text() == "Мы можем перезвонить вам только с вашего согласия."
    assert page.input_value("#id_name") == "Мария"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing sticks out on a phone
    assert page.get_attribute('[data-testid="privacy-policy"]', "href") == "/privacy/"
    page.save_screenshot("intake_consent_phone")
    assert not Lead.objects.exists()
    page.check("#id_consent")
    page.click("button[type=submit]")
    page.wait_for_selector('[data-testid="intake-done"]')
    assert Inquiry.objects.get().consent_at is not None
