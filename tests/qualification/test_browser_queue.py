"""A qualifier's journey in a real browser: Next lead, a call, the checklist, qualify and hand off;
then the rep logs in and finds the notification. Saves docs/screenshots/queue.png and lead_card.png."""

from datetime import timedelta

import pytest
from django.utils import timezone

from leadflow import roles
from leadflow.models import Inquiry, Lead, LeadStatus, SlaState
from qualification import services as q
from tests.factories import kitchen_checklist, make_user, queue_lead, source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _demo_queue():
    """A realistic morning: one in warning (the most urgent: still in time), a breached lead, fresh ones."""
    rows = [
        (17, "Марина Соколова", "avito", "Москва", "Москва", "custom", SlaState.WARNED),
        (24, "Дмитрий Орлов", "yandex_direct", "Химки", "Московская обл.", "custom", SlaState.BREACHED),
        (9, "Елена Кузнецова", "website", "Москва", "Москва", "unknown", SlaState.PENDING),
        (6, "Игорь Лебедев", "call_tracking", "Мытищи", "Московская обл.", "custom", SlaState.PENDING),
        (3, "Ольга Морозова", "website", "Тверь", "Тверская обл.", "modular", SlaState.PENDING),
        (1, "Сергей Волков", "yandex_direct", "Москва", "Москва", "custom", SlaState.PENDING),
    ]
    leads = []
    for minutes, name, src, city, region, product, state in rows:
        leads.append(
            queue_lead(
                minutes_ago=minutes,
                name=name,
                source=source(src),
                city=city,
                region=region,
                product_interest=product,
                sla_state=state,
                utm_source="yandex" if src == "yandex_direct" else "",
                utm_campaign="kitchens-msk" if src == "yandex_direct" else "",
                message="Нужна угловая кухня 3,2 м, ремонт в новостройке" if minutes == 17 else "",
            )
        )
    first = leads[0]
    Inquiry.objects.create(
        lead=first, source=first.source, received_at=first.received_at, channel="api", message=first.message
    )
    Inquiry.objects.create(
        lead=first,
        source=source("website"),
        received_at=first.received_at + timedelta(minutes=12),
        channel="form",
        message="Повторная заявка с сайта: перезвоните, пожалуйста",
        is_repeat=True,
    )
    return leads


def test_qualifier_works_a_lead_end_to_end_and_the_rep_is_notified(page):
    kitchen_checklist()
    make_user(roles.QUALIFIER, username="anna", first_name="Анна", last_name="Смирнова")
    colleague = make_user(roles.QUALIFIER, username="olga", first_name="Ольга", last_name="Петрова")
    rep = make_user(roles.SALES_REP, username="roman", first_name="Роман", last_name="Ковалёв")
    leads = _demo_queue()
    q.lead_claim(lead_id=queue_lead(minutes_ago=30, name="Чужой лид").pk, actor=colleague)

    page.login("anna")
    assert page.url.endswith("/queue/")
    table = page.locator("[data-testid=queue-table]")
    assert table.locator("tbody tr").count() == len(leads)  # the colleague's lead is not shown
    assert "Чужой лид" not in table.inner_text()
    first_row = table.locator("tbody tr").first
    assert "Марина Соколова" in first_row.inner_text()  # most urgent first: the earliest deadline still ahead
    assert "sla-warned" in first_row.get_attribute("class")
    assert first_row.locator("[data-testid=queue-bucket]").inner_text() == "Успеваем"
    assert not first_row.locator("[data-testid=countdown]").inner_text().startswith("\u2212")
    late_row = table.locator("tbody tr").last  # already late: after every lead that can still be saved
    assert "Дмитрий Орлов" in late_row.inner_text() and "sla-breached" in late_row.get_attribute("class")
    assert late_row.locator("[data-testid=queue-bucket]").inner_text() == "Опоздали"
    countdown = late_row.locator("[data-testid=countdown]")
    assert countdown.inner_text().startswith("\u2212")  # overdue, ticking
    page.mouse.move(5, 5)
    page.save_screenshot("queue")

    page.click("[data-testid=next-lead]")
    page.wait_for_url("**/queue/*/")
    lead = Lead.objects.get(name="Марина Соколова")
    assert page.url.endswith(f"/queue/{lead.pk}/")
    assert page.locator("[data-testid=tel-link]").get_attribute("href") == f"tel:{lead.phone}"
    assert "Повторная заявка" in page.locator("[data-testid=inquiries]").inner_text()

    # the call
    page.click("label[for=outcome-reached]")
    page.fill("[data-testid=call-form] textarea[name=note]", "Дозвонились, удобно говорить")
    page.click("[data-testid=log-call]")
    page.wait_for_load_state()
    assert "Дозвонились" in page.locator("[data-testid=attempts]").inner_text()
    assert page.locator("[data-testid=qualify]").is_disabled()
    assert page.locator("[data-testid=qualify-blockers]").is_visible()

    # the checklist
    page.select_option("#id_product_type", "custom")
    page.select_option("#id_need_confirmed", "yes")
    page.fill("#id_budget", "450000")
    page.fill("#id_timeline", "2")
    page.select_option("#id_region_served", "yes")
    page.select_option("#id_decision_maker", "yes")
    page.click("[data-testid=save-answers]")
    page.wait_for_load_state()
    assert page.locator("[data-testid=qualify]").is_enabled()
    page.fill("#qualify_best_time_to_visit", "будни после 18:00")
    page.fill("#qualify_note", "Угловая кухня 3,2 м, новостройка, ремонт заканчивают в мае")
    page.mouse.move(5, 5)
    page.save_screenshot("lead_card")

    page.click("[data-testid=qualify]")
    page.wait_for_url("**/queue/")
    lead = Lead.objects.get(pk=lead.pk)
    assert lead.status == LeadStatus.HANDED_OFF
    assert lead.sales_rep == rep
    assert lead.first_call_at is not None

    # the rep
    page.click("nav form button")
    page.wait_for_load_state()
    page.login("roman")
    assert page.locator("[data-testid=unread-count]").inner_text() == "1"
    page.click("[data-testid=bell]")
    notification = page.locator("[data-testid=notification]").first
    assert "Марина Соколова" in notification.inner_text()
    assert "будни после 18:00" in notification.inner_text()


def test_queue_refreshes_itself_under_the_pointer_but_not_while_typing_in_a_field(page):
    """The 15 s poll swaps in new rows, also with the pointer resting on the table (issue 16 §5); while the
    qualifier types in a filter it waits (browser clock, no sleep)."""
    kitchen_checklist()
    make_user(roles.QUALIFIER, username="anna")
    queue_lead(minutes_ago=5, name="Первый")
    page.clock.install()
    page.login("anna")
    polls = []
    page.on("request", lambda request: polls.append(request.url) if request.headers.get("hx-request") else None)
    rows = page.locator("[data-testid=queue-table] tbody tr")
    assert rows.count() == 1
    queue_lead(minutes_ago=30, name="Второй", sla_breach_at=timezone.now() - timedelta(minutes=10))

    page.hover("[data-testid=queue-table] tbody tr")  # reading the queue: it stays fresh
    page.clock.run_for(16_000)
    page.wait_for_function("() => document.querySelectorAll('[data-testid=queue-table] tbody tr').length === 2")
    assert len(polls) == 1
    assert "Второй" in rows.last.inner_text()  # the late newcomer goes below the lead still in time

    queue_lead(minutes_ago=1, name="Третий")
    page.click("#id_q")
    page.keyboard.type("+7912")  # typing a filter: the poll waits
    page.clock.run_for(46_000)
    assert len(polls) == 1 and rows.count() == 2
    page.locator("h1").click()  # out of the field
    page.clock.run_for(16_000)
    page.wait_for_function("() => document.querySelectorAll('[data-testid=queue-table] tbody tr').length === 3")
    assert len(polls) == 2


def test_team_lead_sees_who_holds_what_and_releases(page):
    kitchen_checklist()
    make_user(roles.QUALIFICATION_LEAD, username="lida", first_name="Лидия", last_name="Иванова")
    anna = make_user(roles.QUALIFIER, username="anna", first_name="Анна", last_name="Смирнова")
    olga = make_user(roles.QUALIFIER, username="olga", first_name="Ольга", last_name="Петрова")
    leads = _demo_queue()
    q.lead_claim(lead_id=leads[0].pk, actor=anna)
    q.lead_claim(lead_id=leads[1].pk, actor=olga)
    page.login("lida")
    table = page.locator("[data-testid=queue-table]")
    held_row = table.locator(f"tr[data-lead-id='{leads[0].pk}']")
    assert "Анна Смирнова" in held_row.inner_text()
    assert "Ольга Петрова" in page.locator("[data-testid=team-load]").inner_text()
    page.mouse.move(5, 5)
    page.save_screenshot("queue_team")
    held_row.locator("a").first.click()
    page.click("[data-testid=release]")
    page.wait_for_url("**/queue/")
    lead = Lead.objects.get(pk=leads[0].pk)
    assert lead.status == LeadStatus.NEW and lead.qualifier is None
