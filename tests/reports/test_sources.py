"""Source economics (issue 18 §1) on a data set computed by hand: the page and its export reproduce
every figure below exactly; «без метки» counted; VAT; permissions; queries; the spend import.

March 2025, Moscow. Margin rates: custom 35 %, unknown 30 %.

    lead  source / utm_campaign        product  reached                           deal
    Y1    Яндекс Директ / kuhni_search custom   qualified, handed off, measured   won 400 000
    Y2    Яндекс Директ / kuhni_search custom   qualified, handed off, measured   lost
    Y3    Яндекс Директ / kuhni_search custom   qualified, handed off             —
    Y4    Яндекс Директ / kuhni_search modular  disqualified                      —
    Y5    Яндекс Директ / (none)       unknown  qualified, handed off, measured   won 200 000
    W1,W2 Сайт / vk_target             custom   nothing yet                       —
    A1    Авито / (none)               custom   qualified, handed off, measured   won 100 000
    YF    Яндекс Директ / kuhni_search received in February, won: not in March's cohort

Spend entered (net of VAT is what the page counts):
    Яндекс Директ / kuhni_search  month 03.2025  120 000 incl. VAT 20 %  → 120 000 / 1.2  = 100 000.00
    Яндекс Директ / (none)        days 10.03 and 11.03: 6 000 + 4 000 excl. VAT         =  10 000.00
    Сайт / vk_target              month 03.2025   30 500 incl. VAT 22 %  → 30 500 / 1.22 =  25 000.00
    Сайт / kuhni_google           month 03.2025    5 000 excl. VAT (no leads)            =   5 000.00
    Яндекс Директ / kuhni_search  month 02.2025   50 000 and a day in April: not March's spend
"""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leadflow import roles
from leadflow.models import HandoffState, LeadStatus
from reports.importing import import_spend
from reports.models import BonusPlan, MarketingSpend, ProductMargin, net_of_vat
from reports.services import spend_record
from tests.factories import LeadFactory, make_user, qualification_team, sales_team, source

from .dataset import at

pytestmark = pytest.mark.django_db

MARCH = {"preset": "custom", "start": "2025-03-01", "end": "2025-03-31"}
NOW = at(4, 10, 12)
D = Decimal


def _lead(received, src, campaign, *, product="custom", reached=(), won=None, qualifier=None, rep=None):
    fields = {
        "received_at": received,
        "source": source(src),
        "utm_campaign": campaign,
        "utm_source": "yandex" if campaign else "",
        "product_interest": product,
    }
    if "qualified" in reached:
        fields.update(qualified_at=received, qualified_by=qualifier, status=LeadStatus.QUALIFIED)
    if "handed_off" in reached:
        fields.update(handed_off_at=received, sales_rep=rep, status=LeadStatus.HANDED_OFF)
        fields.update(accepted_at=received, handoff_state=HandoffState.ACCEPTED)
    if "measured" in reached:
        fields.update(measured_at=received, status=LeadStatus.MEASURED)
    if "lost" in reached:
        fields.update(status=LeadStatus.LOST, closed_at=at(3, 25, 12))
    if "disqualified" in reached:
        fields.update(status=LeadStatus.DISQUALIFIED, disqualified_at=received, closed_at=received)
    if won is not None:
        fields.update(status=LeadStatus.WON, deal_amount=D(won), deal_date=date(2025, 3, 28), closed_at=at(3, 28, 12))
    return LeadFactory(**fields)


@pytest.fixture
def economy(db):
    qualification_team(), sales_team()
    for product, percent in (("custom", "35"), ("unknown", "30"), ("modular", "25")):
        ProductMargin.objects.update_or_create(product_interest=product, defaults={"margin_percent": D(percent)})
    director = make_user(roles.DIRECTOR, username="director", first_name="Дмитрий", last_name="Директоров")
    q = make_user(roles.QUALIFIER, username="anna", first_name="Анна", last_name="Иванова")
    r = make_user(roles.SALES_REP, username="roman", first_name="Роман", last_name="Сидоров")
    # the pay statements of March: q 40 000 + 3 won hand-offs × 2 000 = 46 000 (the qualification team);
    # r 30 000 + 10 % of 700 000 = 100 000
    BonusPlan.objects.create(
        name="q", role=roles.QUALIFIER, user=q, fixed_monthly=D("40000"), bonus_per_won_deal=D("2000"),
        valid_from=date(2025, 1, 1),
    )  # fmt: skip
    BonusPlan.objects.create(
        name="r", role=roles.SALES_REP, user=r, fixed_monthly=D("30000"), revenue_share_percent=D("10"),
        valid_from=date(2025, 1, 1),
    )  # fmt: skip
    full = ("qualified", "handed_off", "measured")
    leads = {
        "Y1": _lead(at(3, 3, 10), "yandex_direct", "kuhni_search", reached=full, won="400000", qualifier=q, rep=r),
        "Y2": _lead(at(3, 4, 10), "yandex_direct", "kuhni_search", reached=(*full, "lost"), qualifier=q, rep=r),
        "Y3": _lead(at(3, 5, 10), "yandex_direct", "kuhni_search", reached=full[:2], qualifier=q, rep=r),
        "Y4": _lead(at(3, 6, 10), "yandex_direct", "kuhni_search", product="modular", reached=("disqualified",)),
        "Y5": _lead(
            at(3, 7, 10), "yandex_direct", "", product="unknown", reached=full, won="200000", qualifier=q, rep=r
        ),
        "W1": _lead(at(3, 8, 10), "website", "vk_target"),
        "W2": _lead(at(3, 9, 10), "website", "vk_target"),
        "A1": _lead(at(3, 10, 10), "avito", "", reached=full, won="100000", qualifier=q, rep=r),
        "YF": _lead(at(2, 20, 10), "yandex_direct", "kuhni_search", reached=full, won="900000"),
    }  # fmt: skip
    leads["YF"].closed_at = at(2, 27, 12)  # February's deal: not in March's statements either
    leads["YF"].save(update_fields=["closed_at"])
    spend = [
        ("yandex_direct", "kuhni_search", "month", date(2025, 3, 1), "120000", True, "20"),
        ("yandex_direct", "", "day", date(2025, 3, 10), "6000", False, "20"),
        ("yandex_direct", "", "day", date(2025, 3, 11), "4000", False, "20"),
        ("website", "vk_target", "month", date(2025, 3, 1), "30500", True, "22"),
        ("website", "kuhni_google", "month", date(2025, 3, 1), "5000", False, "0"),
        ("yandex_direct", "kuhni_search", "month", date(2025, 2, 1), "50000", True, "20"),
        ("yandex_direct", "kuhni_search", "day", date(2025, 4, 2), "7000", True, "20"),
    ]
    for src, campaign, granularity, day, amount, vat_included, rate in spend:
        spend_record(
            source=source(src), utm_campaign=campaign, granularity=granularity, day=day, amount=D(amount),
            vat_included=vat_included, vat_rate=D(rate), actor=director,
        )  # fmt: skip
    return {"director": director, "q": q, "r": r, "leads": leads}


# the hand-computed rows: (source, campaign shown) → figures; "—" is None
EXPECTED = {
    ("Авито", "без метки"): {
        # no spend entered: every unit cost and ROMI are “—”; margin 100 000 × 35 % = 35 000
        "spend": D("0"), "leads": 1, "cost_per_lead": None, "qualified": 1, "qualified_share": 1.0,
        "handed_off": 1, "cost_per_handoff": None, "measured": 1, "cost_per_measurement": None, "won": 1,
        "cac": None, "revenue": D("100000.00"), "margin": D("35000.00"), "romi": None,
    },
    ("Сайт", "kuhni_google"): {
        # spend without leads: 5 000; ROMI (0 − 5 000) / 5 000 = −1
        "spend": D("5000.00"), "leads": 0, "cost_per_lead": None, "qualified": 0, "qualified_share": None,
        "handed_off": 0, "cost_per_handoff": None, "measured": 0, "cost_per_measurement": None, "won": 0,
        "cac": None, "revenue": D("0.00"), "margin": D("0.00"), "romi": -1.0,
    },
    ("Сайт", "vk_target"): {
        # 25 000 / 2 leads = 12 500; nothing further yet; ROMI −1
        "spend": D("25000.00"), "leads": 2, "cost_per_lead": D("12500.00"), "qualified": 0, "qualified_share": 0.0,
        "handed_off": 0, "cost_per_handoff": None, "measured": 0, "cost_per_measurement": None, "won": 0,
        "cac": None, "revenue": D("0.00"), "margin": D("0.00"), "romi": -1.0,
    },
    ("Яндекс Директ", "без метки"): {
        # 10 000 / 1 = 10 000 at every stage; margin 200 000 × 30 % = 60 000; ROMI (60 000 − 10 000) / 10 000 = 5
        "spend": D("10000.00"), "leads": 1, "cost_per_lead": D("10000.00"), "qualified": 1, "qualified_share": 1.0,
        "handed_off": 1, "cost_per_handoff": D("10000.00"), "measured": 1, "cost_per_measurement": D("10000.00"),
        "won": 1, "cac": D("10000.00"), "revenue": D("200000.00"), "margin": D("60000.00"), "romi": 5.0,
    },
    ("Яндекс Директ", "kuhni_search"): {
        # 100 000 / 4 = 25 000; 3 of 4 qualified = 75 %; 100 000 / 3 = 33 333.33; / 2 = 50 000; / 1 = 100 000;
        # margin 400 000 × 35 % = 140 000; ROMI (140 000 − 100 000) / 100 000 = 0.4
        "spend": D("100000.00"), "leads": 4, "cost_per_lead": D("25000.00"), "qualified": 3, "qualified_share": 0.75,
        "handed_off": 3, "cost_per_handoff": D("33333.33"), "measured": 2, "cost_per_measurement": D("50000.00"),
        "won": 1, "cac": D("100000.00"), "revenue": D("400000.00"), "margin": D("140000.00"), "romi": 0.4,
    },
}  # fmt: skip
TOTAL = {
    # spend 0 + 5 000 + 25 000 + 10 000 + 100 000 = 140 000; leads 1 + 0 + 2 + 1 + 4 = 8 → 17 500 per lead;
    # qualified 5 of 8 = 62.5 %; hand-offs 5 → 28 000; measured 4 → 35 000; won 3 → 46 666.67;
    # revenue 700 000; margin 35 000 + 60 000 + 140 000 = 235 000; ROMI (235 000 − 140 000) / 140 000 = 0.678571…
    "spend": D("140000.00"), "leads": 8, "cost_per_lead": D("17500.00"), "qualified": 5, "qualified_share": 0.625,
    "handed_off": 5, "cost_per_handoff": D("28000.00"), "measured": 4, "cost_per_measurement": D("35000.00"),
    "won": 3, "cac": D("46666.67"), "revenue": D("700000.00"), "margin": D("235000.00"), "romi": 95000 / 140000,
}  # fmt: skip


def _get(client, user, params=None, **extra):
    client.force_login(user)
    with time_machine.travel(NOW, tick=False):
        return client.get(reverse("reports:sources"), {**MARCH, **(params or {})}, **extra)


def _table(response, slug):
    return next(table for table in response.context["tables"] if table.slug == slug)


def _figures(row):
    return {key: row[key] for key in TOTAL}


def test_net_of_vat():
    assert net_of_vat(D("120000"), vat_included=True, vat_rate=D("20")) == D("100000.00")
    assert net_of_vat(D("30500"), vat_included=True, vat_rate=D("22")) == D("25000.00")
    assert net_of_vat(D("1000"), vat_included=True, vat_rate=D("20")) == D("833.33")  # 833.333… half up
    assert net_of_vat(D("1000"), vat_included=False, vat_rate=D("20")) == D("1000.00")
    assert net_of_vat(D("1000"), vat_included=True, vat_rate=D("0")) == D("1000.00")


def test_the_page_reproduces_the_hand_computed_rows_and_total(client, economy):
    response = _get(client, economy["director"])
    assert response.status_code == 200
    table = _table(response, "by-campaign")
    rows = {(row["source"], row["label"]): _figures(row) for row in table.rows}
    assert list(rows) == list(EXPECTED)  # sorted by source name, «без метки» first; nothing dropped
    assert rows == EXPECTED
    assert _figures(table.footer) == TOTAL
    for key in ("spend", "leads", "qualified", "handed_off", "measured", "won", "revenue", "margin"):
        assert table.footer[key] == sum(row[key] for row in table.rows), key  # the total is the sum of the rows


def test_by_source_and_by_month_add_up_to_the_same_total(client, economy):
    response = _get(client, economy["director"])
    by_source = {row["label"]: row for row in _table(response, "by-source").rows}
    # Яндекс Директ = kuhni_search + без метки: spend 110 000, 5 leads, won 2, margin 200 000,
    # ROMI (200 000 − 110 000) / 110 000 = 0.8181…
    yandex = by_source["Яндекс Директ"]
    assert (yandex["spend"], yandex["leads"], yandex["won"], yandex["margin"]) == (D("110000.00"), 5, 2, D("200000.00"))
    assert yandex["romi"] == pytest.approx(90000 / 110000)
    months = _table(response, "by-month")
    assert [row["label"] for row in months.rows] == ["03.2025"]
    assert _figures(months.rows[0]) == TOTAL
    assert months.chart.kind == "line" and months.chart.series[0][0] == "romi"


def test_the_page_shows_the_figures_as_people_read_them(client, economy):
    body = _get(client, economy["director"]).content.decode()
    assert "без метки" in body
    assert "33\u00a0333 ₽" in body  # the cost per hand-off of kuhni_search
    assert "67,9 %" in body  # the total ROMI, 0.678571… as a percent
    assert "500,0 %" in body  # ROMI of Яндекс Директ без метки


def test_the_export_has_the_same_figures(client, economy):
    response = _get(client, economy["director"], {"export": "csv", "table": "by-campaign"})
    assert response.status_code == 200
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    header, rows = lines[0], lines[1:]
    exported = {(row[0], row[1]): dict(zip(header, row, strict=True)) for row in rows}
    search = exported[("Яндекс Директ", "kuhni_search")]
    assert search["Расход без НДС"] == "100000.00"
    assert search["Стоимость передачи"] == "33333.33"
    assert search["ROMI"] == "0.4"
    total = exported[("Итого", "Итого")]
    assert (total["Расход без НДС"], total["Лиды"], total["Стоимость сделки (CAC)"]) == ("140000.00", "8", "46666.67")
    assert total["Валовая маржа"] == "235000.00"
    assert total["ROMI"] == "0.6786"
    assert ("Авито", "без метки") in exported


def test_the_xlsx_export_has_the_same_total(client, economy):
    from openpyxl import load_workbook

    response = _get(client, economy["director"], {"export": "xlsx", "table": "by-campaign"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    header, total = rows[0], dict(zip(rows[0], rows[-1], strict=True))
    assert header[:3] == ("Источник", "Кампания", "Расход без НДС")
    assert (total["Расход без НДС"], total["Лиды"], total["Валовая маржа"]) == (140000, 8, 235000)
    assert total["Стоимость сделки (CAC)"] == pytest.approx(46666.67)


def test_a_product_without_a_margin_rate_counts_no_margin_and_the_page_says_so(client, economy):
    ProductMargin.objects.filter(product_interest="unknown").delete()
    response = _get(client, economy["director"])
    unmarked = next(
        row for row in _table(response, "by-campaign").rows if row["source"] == "Яндекс Директ" and not row["campaign"]
    )
    assert unmarked["margin"] == D("0.00")  # Y5's 200 000 of an unknown product: no rate, no margin
    assert unmarked["romi"] == -1.0
    assert "Нет ставки маржи для: Неизвестно" in response.content.decode()


def test_the_two_tier_model_against_the_counterfactual(client, economy):
    assumptions = {"rep_hourly": "1500", "minutes_per_lead": "20", "deals_kept_percent": "75"}
    response = _get(client, economy["director"], assumptions)
    two = response.context["two"]
    # two-tier: (140 000 spend + 46 000 qualification pay) / 3 deals = 62 000
    assert two["qualification_pay"] == D("46000.00")
    assert two["two_tier_per_deal"] == D("62000.00")
    # counterfactual: 8 leads × 20 min / 60 × 1 500 ₽ = 4 000; (140 000 + 4 000) / (3 × 75 %) = 144 000 / 2.25 = 64 000
    assert two["rep_cost"] == D("4000.00")
    assert two["counterfactual_per_deal"] == D("64000.00")
    body = response.content.decode()
    assert "62\u00a0000 ₽" in body and "64\u00a0000 ₽" in body
    # without assumptions the rep's hour comes from the reps' pay: 100 000 / (1 rep × 164 h) = 609.756… → 609.76
    default = _get(client, economy["director"]).context["two"]
    assert default["rep_hourly"] == D("609.76")
    assert default["minutes_per_lead"] == D("12")


def test_wrong_assumptions_say_so_in_russian_and_keep_the_defaults(client, economy):
    response = _get(client, economy["director"], {"minutes_per_lead": "-5"})
    assert response.status_code == 200
    assert "Убедитесь, что это значение больше либо равно 0." in response.content.decode()
    assert response.context["two"]["minutes_per_lead"] == D("12")


def test_every_count_links_to_its_leads(client, economy):
    client.force_login(economy["director"])
    with time_machine.travel(NOW, tick=False):
        table = _table(client.get(reverse("reports:sources"), MARCH), "by-campaign")
        search = next(row for row in table.rows if row["label"] == "kuhni_search")
        unmarked = next(row for row in table.rows if row["source"] == "Яндекс Директ" and row["campaign"] == "")
        for figure, row, expected in (
            ("sources.qualified", search, {"Y1", "Y2", "Y3"}),
            ("sources.leads", unmarked, {"Y5"}),
            ("sources.won", None, {"Y1", "Y5", "A1"}),
        ):
            params = {**MARCH, "figure": figure}
            if row is not None:
                params.update(group_by=row["dim"][0], dim=row["dim"][1])
            response = client.get(reverse("reports:leads"), params)
            listed = {lead["pk"] for lead in response.context["tables"][0].rows}
            assert listed == {economy["leads"][key].pk for key in expected}, figure


@pytest.mark.parametrize(
    "role, status",
    [
        (roles.DIRECTOR, 200),
        (roles.QUALIFICATION_LEAD, 403),
        (roles.SALES_MANAGER, 403),
        (roles.QUALIFIER, 403),
        (roles.SALES_REP, 403),
        ("admin", 200),
    ],
)
def test_who_sees_the_company_spend(client, economy, role, status):
    if role == "admin":
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.create_superuser("root", "root@example.com", "pass")
    else:
        user = make_user(role, username=f"who_{role}")
    assert _get(client, user).status_code == status
    assert _get(client, user, {"export": "csv", "table": "by-campaign"}).status_code == status
    client.force_login(user)
    assert client.get(reverse("reports:spend-import")).status_code == status
    tab = 'href="/reports/sources/'
    if role in (roles.QUALIFICATION_LEAD, roles.SALES_MANAGER):  # the other dashboards do not offer the tab
        assert tab not in client.get(reverse("reports:funnel"), MARCH).content.decode()


def test_team_leads_cannot_drill_into_the_spend_page_figures(client, economy):
    qlead = make_user(roles.QUALIFICATION_LEAD, username="qlead")
    client.force_login(qlead)
    assert client.get(reverse("reports:leads"), {**MARCH, "figure": "sources.leads"}).status_code == 404


def test_the_query_count_does_not_grow_with_rows(client, economy, django_assert_max_num_queries):
    client.force_login(economy["director"])
    with time_machine.travel(NOW, tick=False):
        client.get(reverse("reports:sources"), MARCH)  # the period goes into the session once
        with CaptureQueriesContext(connection) as small:
            client.get(reverse("reports:sources"), MARCH)
        for i in range(30):  # 30 more campaigns with spend and leads
            _lead(at(3, 1 + i % 28, 12), "website", f"camp{i}", reached=("qualified",))
            spend_record(
                source=source("website"), utm_campaign=f"camp{i}", granularity="month", day=date(2025, 3, 1),
                amount=D("1000"), actor=economy["director"],
            )  # fmt: skip
        with CaptureQueriesContext(connection) as big:
            response = client.get(reverse("reports:sources"), MARCH)
    assert len(_table(response, "by-campaign").rows) == len(EXPECTED) + 30
    assert len(big) == len(small)
    with django_assert_max_num_queries(20), time_machine.travel(NOW, tick=False):
        client.get(reverse("reports:sources"), MARCH)


# --- the spend import --------------------------------------------------------------------------------

GOOD_AND_BAD = (
    "Дата;Месяц;Источник;utm_campaign;Сумма;НДС;Ставка НДС\n"
    "05.04.2025;;yandex_direct;kuhni_search;12 000,00;с НДС;20\n"  # row 2: good, day
    ";04.2025;Сайт;vk_target;30500;с НДС;22 %\n"  # row 3: good, month, source by name
    "06.04.2025;;yandex_direct;;1500.50;без НДС;\n"  # row 4: good, без метки
    "07.04.2025;;tiktok;x;100;;\n"  # row 5: unknown source
    "08.04.2025;;avito;;сто рублей;;\n"  # row 6: not an amount
    ";;avito;;100;;\n"  # row 7: no date nor month
    "31.02.2025;;avito;;100;;\n"  # row 8: no such date
    "09.04.2025;;avito;;-5;;\n"  # row 9: negative
    "09.04.2025;;avito;;100;может быть;\n"  # row 10: VAT unclear
    "10.04.2025;;website;vk_target;100;;\n"  # row 11: a day inside the month of row 3
)


def _upload(content, name="spend.csv"):
    file = io.BytesIO(content.encode("utf-8"))
    file.name = name
    return file


def test_import_saves_good_rows_and_reports_every_bad_row_in_russian(economy):
    with time_machine.travel(NOW, tick=False):
        report = import_spend(_upload(GOOD_AND_BAD), actor=economy["director"])
    outcomes = {row.row: row.outcome for row in report.rows}
    assert outcomes == {2: "created", 3: "created", 4: "created", **dict.fromkeys(range(5, 12), "error")}
    messages = {row.row: " ".join(row.messages) for row in report.rows if row.outcome == "error"}
    assert "Неизвестный источник «tiktok»" in messages[5]
    assert "Не сумма: «сто рублей»" in messages[6]
    assert "Укажите дату (день) или месяц расхода." in messages[7]
    assert "Не дата: «31.02.2025»" in messages[8]
    assert "Сумма не может быть отрицательной." in messages[9]
    assert "с НДС" in messages[10] and "может быть" in messages[10]
    assert "уже внесён за 04.2025" in messages[11]
    april = MarketingSpend.objects.filter(day__gte=date(2025, 4, 1), day__lt=date(2025, 5, 1))
    saved = {(row.source.code, row.utm_campaign, row.granularity, row.day): row.amount_net for row in april}
    assert saved == {
        ("yandex_direct", "kuhni_search", "day", date(2025, 4, 2)): D("5833.33"),  # the fixture's, untouched
        ("yandex_direct", "kuhni_search", "day", date(2025, 4, 5)): D("10000.00"),  # 12 000 / 1.2
        ("website", "vk_target", "month", date(2025, 4, 1)): D("25000.00"),  # 30 500 / 1.22
        ("yandex_direct", "", "day", date(2025, 4, 6)): D("1500.50"),
    }


def test_importing_the_same_file_again_does_not_double_the_spend(economy):
    before = MarketingSpend.objects.count()
    first = import_spend(_upload(GOOD_AND_BAD), actor=economy["director"])
    second = import_spend(_upload(GOOD_AND_BAD), actor=economy["director"])
    assert first.summary["created"] == 3
    assert (second.summary["created"], second.summary["unchanged"], second.summary["error"]) == (0, 3, 7)
    assert MarketingSpend.objects.count() == before + 3
    changed = GOOD_AND_BAD.replace("12 000,00", "18 000,00")
    third = import_spend(_upload(changed), actor=economy["director"])
    assert third.summary["updated"] == 1
    assert MarketingSpend.objects.get(day=date(2025, 4, 5)).amount_net == D("15000.00")  # replaced, not added


def test_import_reads_xlsx(economy):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["date", "source", "campaign", "amount", "vat"])
    sheet.append([date(2025, 5, 3), "yandex_direct", "kuhni_search", 2400, "incl"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = import_spend(buffer.getvalue(), actor=economy["director"], filename="spend.xlsx")
    assert [row.outcome for row in report.rows] == ["created"]
    assert MarketingSpend.objects.get(day=date(2025, 5, 3)).amount_net == D("2000.00")


def test_the_upload_page_shows_the_report_and_refuses_a_file_without_the_columns(client, economy):
    client.force_login(economy["director"])
    response = client.post(reverse("reports:spend-import"), {"file": _upload(GOOD_AND_BAD)})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="import-summary"' in body and "3 новых" in body
    assert body.count('data-outcome="error"') == 7
    response = client.post(reverse("reports:spend-import"), {"file": _upload("a;b\n1;2\n")})
    assert "В первой строке должны быть названия столбцов" in response.content.decode()


def test_the_admin_refuses_a_month_over_entered_days_in_russian(client, economy):
    from django.contrib.auth.models import Permission

    director = economy["director"]
    director.is_staff = True
    director.save(update_fields=["is_staff"])
    director.user_permissions.add(*Permission.objects.filter(content_type__app_label="reports"))
    client.force_login(director)
    response = client.post(
        reverse("admin:reports_marketingspend_add"),
        {
            "source": source("yandex_direct").pk, "utm_campaign": "", "granularity": "month", "day": "2025-03-15",
            "amount": "1000", "vat_included": "on", "vat_rate": "20", "note": "",
        },
    )  # fmt: skip
    assert response.status_code == 200
    assert "уже внесён за 10.03.2025" in response.content.decode()
    response = client.post(
        reverse("admin:reports_marketingspend_add"),
        {
            "source": source("avito").pk, "utm_campaign": "", "granularity": "month", "day": "2025-03-15",
            "amount": "-1", "vat_rate": "20", "note": "",
        },
    )  # fmt: skip
    assert "Убедитесь, что это значение больше либо равно 0." in response.content.decode()
    assert not MarketingSpend.objects.filter(source__code="avito").exists()


# --- in the browser -----------------------------------------------------------------------------------

QUARTER = "?preset=custom&start=2025-01-01&end=2025-03-31"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_director_sees_the_page_on_a_laptop_and_a_phone_and_imports_spend(page, economy):
    page.login("director")
    page.goto(f"{page.base_url}/reports/sources/{QUARTER}")
    page.wait_for_function("() => window.reportCharts && window.reportCharts.length >= 2")
    line = page.evaluate(
        "() => Chart.getChart(document.querySelector('canvas[data-chart=chart-by-month]')).config.type"
    )
    assert line == "line"
    campaigns = page.locator("[data-testid=table-by-campaign] tbody tr")
    assert campaigns.count() == len(EXPECTED)
    assert page.locator("[data-testid=table-by-campaign] tbody").get_by_text("без метки").count() == 2
    # the quarter adds February: YF's margin 900 000 × 35 % = 315 000 and 50 000 / 1.2 = 41 666.67 of spend;
    # (235 000 + 315 000 − 140 000 − 41 666.67) / 181 666.67 = 2.0275… → 202,8 %
    assert page.locator("[data-testid=kpi-romi]").inner_text() == "202,8 %"
    page.save_screenshot("reports_sources_1440")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.wait_for_function("() => window.reportCharts && window.reportCharts.length >= 2")
    assert page.locator("[data-testid=kpi-cac]").is_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390  # the wide tables scroll inside
    page.save_screenshot("reports_sources_390")

    page.set_viewport_size({"width": 1440, "height": 900})
    page.click("[data-testid=spend-import-link]")
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "spend.csv", "mimeType": "text/csv", "buffer": GOOD_AND_BAD.encode("utf-8")}],
    )
    page.click("[data-testid=spend-upload] button")
    page.wait_for_selector("[data-testid=import-summary]")
    assert "3 новых" in page.locator("[data-testid=import-summary]").inner_text()
    assert page.locator("tr[data-outcome=error]").count() == 7
    assert "Неизвестный источник «tiktok»" in page.locator("tr[data-outcome=error]").first.inner_text()
    page.save_screenshot("reports_spend_import")
    assert MarketingSpend.objects.filter(imported_from="spend.csv").count() == 3
