"""The admin: every core model registered, the lead page shows history and inquiries, history is append-only."""

import io

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation
from django_fsm_log.models import StateLog

from leadflow import roles, services
from leadflow.models import (
    ApiToken,
    Inquiry,
    Lead,
    LeadStatus,
    Notification,
    Profile,
    Reason,
    Source,
    Team,
    WorkingHours,
    api_key_hash,
)
from leadflow.services import api_token_issue
from qualification import services as q
from tests.factories import make_user, source

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def superuser():
    return User.objects.create_superuser("boss", "boss@example.com", "pass")


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def lead():
    """A lead with real history: received, a repeat inquiry, claimed."""
    website = source("website")
    lead = services.lead_receive(source=website, phone="+79123456789", name="Анна", external_id="w-1").lead
    services.lead_receive(source=source("avito"), phone="+79123456789", external_id="a-9", message="повторно")
    qualifier = make_user(roles.QUALIFIER, username="qual1", first_name="Вера", last_name="Звонова")
    q.lead_claim(lead_id=lead.pk, actor=qualifier)
    return Lead.objects.get(pk=lead.pk)


@pytest.mark.parametrize(
    "model", [Team, WorkingHours, Profile, Source, ApiToken, Reason, Lead, Inquiry, Notification, StateLog, User]
)
def test_every_core_model_is_registered(model):
    assert admin.site.is_registered(model)


@pytest.mark.parametrize(
    "model", [Team, WorkingHours, Profile, Source, ApiToken, Reason, Lead, Inquiry, Notification, StateLog, User]
)
def test_changelists_render(admin_client, lead, model):
    Notification.objects.create(recipient=User.objects.get(username="boss"), kind="info", text="hello", lead=lead)
    api_token_issue(source=source("website"), name="site")
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    response = admin_client.get(url)
    assert response.status_code == 200, url


def test_lead_changelist_searches_by_phone_and_has_the_import_button(admin_client, lead):
    response = admin_client.get(reverse("admin:leadflow_lead_changelist"), {"q": "+79123456789"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [lead]
    assert reverse("admin:leadflow_lead_import") in response.content.decode()


def test_lead_change_page_shows_history_and_inquiries(admin_client, lead):
    response = admin_client.get(reverse("admin:leadflow_lead_change", args=[lead.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    inline_sets = {formset.opts.__class__.__name__: formset for formset in response.context["inline_admin_formsets"]}
    history = inline_sets["LeadHistoryInline"].formset.queryset
    assert [row.transition for row in history] == ["received", "repeat_inquiry", "claim"]
    inquiries = inline_sets["InquiryInline"].formset.queryset
    assert [(i.external_id, i.is_repeat) for i in inquiries] == [("w-1", False), ("a-9", True)]
    assert "qual1" in html  # who claimed it
    assert "повторно" in html
    # status is shown but cannot be edited here
    assert 'name="status"' not in html
    assert "Qualifying" in html or "qualifying" in html


def test_status_cannot_be_changed_through_the_admin(admin_client, lead):
    url = reverse("admin:leadflow_lead_change", args=[lead.pk])
    response = admin_client.post(
        url,
        {
            "name": "Анна Смирнова",
            "phone": "8 (912) 345-67-89",
            "email": "",
            "city": "",
            "region": "",
            "address": "",
            "product_interest": "custom",
            "message": "",
            "status": "won",
            "inquiries-TOTAL_FORMS": "0",
            "inquiries-INITIAL_FORMS": "0",
            "django_fsm_log-statelog-content_type-object_id-TOTAL_FORMS": "0",
            "django_fsm_log-statelog-content_type-object_id-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    lead = Lead.objects.get(pk=lead.pk)  # refresh_from_db cannot reset a protected FSM field
    assert lead.name == "Анна Смирнова"
    assert lead.status == LeadStatus.QUALIFYING
    assert lead.phone == "+79123456789"


def test_admin_phone_edit_is_normalised_and_validated(admin_client, lead):
    url = reverse("admin:leadflow_lead_change", args=[lead.pk])
    data = {
        "name": "Анна",
        "phone": "garbage",
        "product_interest": "custom",
        "inquiries-TOTAL_FORMS": "0",
        "inquiries-INITIAL_FORMS": "0",
        "django_fsm_log-statelog-content_type-object_id-TOTAL_FORMS": "0",
        "django_fsm_log-statelog-content_type-object_id-INITIAL_FORMS": "0",
    }
    with translation.override("en"):
        response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "phone" in response.context["adminform"].form.errors


def test_leads_cannot_be_added_or_deleted_in_admin(admin_client, lead):
    assert admin_client.get(reverse("admin:leadflow_lead_add")).status_code == 403
    assert admin_client.get(reverse("admin:leadflow_lead_delete", args=[lead.pk])).status_code == 403


def test_history_is_append_only(admin_client, lead):
    row = StateLog.objects.for_(lead).first()
    assert admin_client.get(reverse("admin:django_fsm_log_statelog_add")).status_code == 403
    assert admin_client.get(reverse("admin:django_fsm_log_statelog_delete", args=[row.pk])).status_code == 403
    change = admin_client.get(reverse("admin:django_fsm_log_statelog_change", args=[row.pk]))
    assert change.status_code == 200  # view only
    assert 'name="_save"' not in change.content.decode()
    admin_client.post(reverse("admin:django_fsm_log_statelog_change", args=[row.pk]), {"transition": "forged"})
    row.refresh_from_db()
    assert row.transition != "forged"


def test_inquiries_are_read_only(admin_client, lead):
    inquiry = Inquiry.objects.first()
    assert admin_client.get(reverse("admin:leadflow_inquiry_add")).status_code == 403
    assert admin_client.get(reverse("admin:leadflow_inquiry_delete", args=[inquiry.pk])).status_code == 403


def test_team_page_edits_working_hours_inline(admin_client):
    team = Team.objects.get(name="Квалификация")
    response = admin_client.get(reverse("admin:leadflow_team_change", args=[team.pk]))
    assert response.status_code == 200
    assert "working_hours-TOTAL_FORMS" in response.content.decode()


def test_user_page_has_the_profile_inline(admin_client):
    user = make_user(roles.SALES_REP, username="rep1")
    response = admin_client.get(reverse("admin:auth_user_change", args=[user.pk]))
    assert response.status_code == 200
    assert "profile-TOTAL_FORMS" in response.content.decode()
    assert admin_client.get(reverse("admin:auth_user_add")).status_code == 200


def test_changelist_query_count_does_not_grow_with_leads(admin_client, lead, django_assert_max_num_queries):
    for i in range(20):
        services.lead_receive(source=source("website"), phone=f"+7912000{i:04d}")
    with django_assert_max_num_queries(12):
        admin_client.get(reverse("admin:leadflow_lead_changelist"))


# --- import from the admin ----------------------------------------------------------------------


def test_import_upload_form_and_report(admin_client):
    url = reverse("admin:leadflow_lead_import")
    assert admin_client.get(url).status_code == 200
    csv = "phone,name,external_id\n8 912 345-67-89,Анна,x-1\nnonsense,Борис,x-2\n".encode()
    upload = SimpleUploadedFile("leads.csv", csv, content_type="text/csv")
    response = admin_client.post(url, {"file": upload, "source": "avito"})
    assert response.status_code == 200
    report = response.context["report"]
    assert [(r.row, r.outcome) for r in report.rows] == [(2, "ok"), (3, "error")]
    html = response.content.decode()
    assert 'data-outcome="error"' in html
    assert "nonsense" in html
    assert Lead.objects.get().source.code == "avito"


def test_import_refuses_a_file_without_a_phone_column(admin_client):
    upload = SimpleUploadedFile("leads.csv", b"name\nA\n", content_type="text/csv")
    response = admin_client.post(reverse("admin:leadflow_lead_import"), {"file": upload, "source": "import"})
    assert response.status_code == 200
    assert "file" in response.context["form"].errors
    assert not Lead.objects.exists()


def test_import_needs_the_add_lead_permission(client):
    staff = User.objects.create_user("clerk", password="pass", is_staff=True)
    client.force_login(staff)
    assert client.get(reverse("admin:leadflow_lead_import")).status_code == 403


# --- manage.py create_intake_token --------------------------------------------------------------


def test_create_intake_token_prints_a_working_key():
    out = io.StringIO()
    call_command("create_intake_token", "call_tracking", "--name", "Calltouch", stdout=out, stderr=io.StringIO())
    key = out.getvalue().strip()
    token = ApiToken.objects.get(key_hash=api_key_hash(key))
    assert (token.source.code, token.name, token.is_active) == ("call_tracking", "Calltouch", True)


def test_create_a_telephony_token_for_the_pbx_webhook():
    out = io.StringIO()
    call_command("create_intake_token", "--telephony", "--name", "Mango", stdout=out, stderr=io.StringIO())
    token = ApiToken.objects.get(key_hash=api_key_hash(out.getvalue().strip()))
    assert (token.kind, token.source, token.name) == ("telephony", None, "Mango")
    with pytest.raises(CommandError, match="no source"):
        call_command("create_intake_token", "website", "--telephony")


def test_admin_refuses_an_intake_token_without_a_source(admin_client):
    response = admin_client.post(
        reverse("admin:leadflow_apitoken_add"), {"kind": "intake", "name": "site", "is_active": "on"}
    )
    assert response.status_code == 200  # the form again, with the error
    assert response.context["adminform"].form.errors["source"]
    assert not ApiToken.objects.exists()


def test_create_intake_token_unknown_source_lists_the_known_ones():
    with pytest.raises(CommandError, match="website"):
        call_command("create_intake_token", "nope")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_lead_history_in_the_admin_in_a_real_browser(page, transactional_db):
    User.objects.create_superuser("boss", "boss@example.com", "pass")
    website = source("website")
    lead = services.lead_receive(source=website, phone="+79123456789", name="Анна", external_id="w-1").lead
    services.lead_receive(source=source("avito"), phone="+79123456789", external_id="a-9", message="повторно")
    qualifier = make_user(roles.QUALIFIER, username="qual1", first_name="Вера", last_name="Звонова")
    q.lead_claim(lead_id=lead.pk, actor=qualifier)
    page.login("boss")
    page.goto(f"{page.base_url}{reverse('admin:leadflow_lead_changelist')}")
    page.save_screenshot("admin_lead_list")
    page.goto(f"{page.base_url}{reverse('admin:leadflow_lead_change', args=[lead.pk])}")
    history = page.locator("#django_fsm_log-statelog-content_type-object_id-group")
    page.save_screenshot("admin_lead_history")
    assert history.locator("tbody tr.has_original").count() == 3
    text = history.inner_text()
    assert "Вера Звонова" in text  # who
    assert "На квалификации" in text  # the claim's target status, by its name


@pytest.mark.django_db
def test_the_sla_engine_heartbeat_is_visible_and_read_only_in_the_admin(admin_client):
    response = admin_client.get("/admin/leadflow/engineheartbeat/")
    assert response.status_code == 200
    assert "sla-engine" in response.content.decode()
    assert admin_client.get("/admin/leadflow/engineheartbeat/add/").status_code == 403
