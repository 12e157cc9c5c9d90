"""An XSS and formula-injection corpus in every field a client (or a person at a keyboard) controls,
put in through the real intake API, the public form and the services; then every page that shows
those fields must show them escaped, and every export must neutralise spreadsheet formulas.

Each text payload carries a tag ([name], [message]…), so a page is also checked to *show* the fields
it should (escaped), not merely to leave them out.
"""

import csv
import io
import re
from datetime import datetime
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from leadflow import roles
from leadflow.models import Lead, Source
from leadflow.services import api_token_issue
from qualification import services as q
from reports.exports import neutralise
from sales import services as s
from tests.factories import KITCHEN_PASSING_ANSWERS, UserFactory, kitchen_checklist, make_user, reason, sales_team

from .world import MSK, NOW

pytestmark = pytest.mark.django_db

User = get_user_model()

HTML_PAYLOADS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</textarea><svg onload=alert(1)>",
    "{{7*7}}",
    "javascript:alert(1)",
)
FORMULA_PAYLOADS = ('=HYPERLINK("http://x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)")
# What must never reach a page unescaped (the payloads' markup).
RAW_MARKERS = ("<script>alert", "<img src=x", "<svg onload", "</textarea><svg", "</script><script")
JS_URL = re.compile(r"""(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


def payload(tag, size=200):
    """`[tag]` + every HTML payload, cut to the field's length (the tag and <script> always fit)."""
    return (f"[{tag}]" + "".join(HTML_PAYLOADS))[:size]


def escaped(tag):
    """How `payload(tag)` starts once escaped in HTML."""
    return f"[{tag}]&lt;script&gt;alert(1)&lt;/script&gt;"


INTAKE_FIELDS = {
    "name": 200,
    "message": 2000,
    "city": 120,
    "utm_source": 200,
    "utm_medium": 200,
    "utm_campaign": 200,
}
# A valid address that still carries template and formula syntax (EmailField allows these characters).
EMAIL = "=x{{7*7}}'+1@example.com"


@pytest.fixture
def corpus():
    """Leads carrying the corpus in each state a page shows; people whose names carry it too."""
    cache.clear()  # the intake form's rate limit
    with time_machine.travel(NOW, tick=False) as clock:
        from django.apps import apps

        from sales.reference import ensure_objection_tags

        ensure_objection_tags(apps.get_model)
        kitchen_checklist()
        # people's names are typed by the admin: the same corpus, and formulas at the start for exports
        qualifier = make_user(
            roles.QUALIFIER, username="x_qual", first_name=FORMULA_PAYLOADS[0], last_name=payload("person", 150)
        )
        qlead = make_user(roles.QUALIFICATION_LEAD, username="x_qlead", first_name=FORMULA_PAYLOADS[3])
        rep = make_user(roles.SALES_REP, team=sales_team(), username="x_rep", first_name=FORMULA_PAYLOADS[1])
        manager = make_user(roles.SALES_MANAGER, team=sales_team(), username="x_manager")
        director = UserFactory(role=roles.DIRECTOR, team=None, username="x_director")
        admin = User.objects.create_superuser("x_admin", "x_admin@example.com", "pass")

        token = api_token_issue(source=Source.objects.get(code="avito"))
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

        def via_api(phone, **extra):
            body = {"phone": phone, "email": EMAIL, "product_interest": "custom"}
            body.update({field: payload(field, size) for field, size in INTAKE_FIELDS.items()})
            body.update(extra)
            response = api.post("/api/v1/leads/", body, format="json")
            assert response.status_code == 201, response.content
            return Lead.objects.get(pk=response.json()["id"])

        def via_form(phone):
            form = {"phone": phone, "consent": "on", "product_interest": "custom", "email": EMAIL}
            form.update({field: payload(field, size) for field, size in INTAKE_FIELDS.items()})
            response = Client().post(reverse("intake"), form)
            assert response.status_code == 302, response.content
            return Lead.objects.filter(phone=phone).get()

        def handed_off(lead):
            q.lead_claim(lead_id=lead.pk, actor=qualifier)
            q.call_attempt_log(lead_id=lead.pk, actor=qualifier, outcome="reached", note=payload("call_note"))
            q.lead_answers_save(lead_id=lead.pk, actor=qualifier, answers=KITCHEN_PASSING_ANSWERS)
            return q.lead_qualify_and_hand_off(
                lead_id=lead.pk,
                actor=qualifier,
                note=payload("handoff_note", 2000),
                best_time_to_visit=payload("best_time", 200),
            )

        disputed = via_api("+79160000001")
        handed_off(disputed)
        s.handoff_dispute(
            lead_id=disputed.pk, actor=rep, reason=reason("dispute", "modular"), comment=payload("dispute_comment")
        )

        measured = via_form("+79160000002")
        handed_off(measured)
        s.handoff_accept(lead_id=measured.pk, actor=rep)
        s.visit_schedule(
            lead_id=measured.pk,
            actor=rep,
            starts_at=datetime(2026, 12, 1, 12, 0, tzinfo=MSK),
            address=payload("visit_address", 300),
            note=payload("visit_note"),
        )
        clock.move_to(datetime(2026, 12, 1, 12, 30, tzinfo=MSK))  # the visit has started
        s.lead_record_measurement(
            lead_id=measured.pk,
            actor=rep,
            quote_amount=Decimal("350000"),
            objection_note=payload("objection_note"),
            next_step=payload("next_step", 300),
            note=payload("measurement_note"),
        )
        clock.move_to(NOW)

        lost = via_api("+79160000003")
        handed_off(lost)
        s.lead_lose(
            lead_id=lost.pk,
            actor=rep,
            reason=reason("lose", "price"),
            competitor=payload("competitor"),
            note=payload("lose_note"),
        )

        rejected = via_api("+79160000004")
        handed_off(rejected)
        dispute = s.handoff_dispute(
            lead_id=rejected.pk, actor=rep, reason=reason("dispute", "no_budget"), comment=payload("comment2")
        )
        s.dispute_reject(dispute_id=dispute.pk, actor=manager, note=payload("decision_note"))

        fresh = via_api("+79160000005")  # stays new in the queue
        calling = via_api("+79160000006")  # claimed: its free slots can be booked during the call
        q.lead_claim(lead_id=calling.pk, actor=qualifier)
        # formula payloads at the start of the fields exports carry (name, region = staff-entered)
        formula_leads = [
            via_api(f"+7916000001{i}", name=text, city=text, utm_source=text) for i, text in enumerate(FORMULA_PAYLOADS)
        ]
        for lead, text in zip(formula_leads, FORMULA_PAYLOADS, strict=True):
            Lead.objects.filter(pk=lead.pk).update(region=text)
        Lead.objects.filter(pk__in=[disputed.pk, measured.pk, lost.pk]).update(region=payload("region", 120))
    people = {"qualifier": qualifier, "qlead": qlead, "rep": rep, "manager": manager, "director": director}
    leads = {"disputed": disputed, "measured": measured, "lost": lost, "rejected": rejected}
    return {"people": {**people, "admin": admin}, "leads": {**leads, "fresh": fresh, "calling": calling}}


def _get(user, url):
    client = Client()
    client.force_login(user)
    with time_machine.travel(NOW, tick=False):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response


def assert_escaped(html, url, must_show=()):
    for marker in RAW_MARKERS:
        assert marker not in html, f"{url}: raw {marker!r} from the corpus"
    assert not JS_URL.search(html), f"{url}: a javascript: URL in an attribute"
    assert "[7*7]" not in html  # nobody evaluates template syntax from data (49 would be too vague)
    for tag in must_show:
        assert escaped(tag) in html, f"{url}: {tag} is not shown (escaped)"


# (viewer, url builder, tags the page must show escaped)
PAGES = [
    ("qualifier", lambda c: reverse("qualification:index"), ("name",)),
    ("qlead", lambda c: reverse("qualification:index"), ("name",)),
    (
        "qualifier",
        lambda c: reverse("qualification:lead", args=[c["leads"]["disputed"].pk]),
        (
            "name",
            "message",
            "city",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "call_note",
            "handoff_note",
            "best_time",
        ),
    ),
    ("qualifier", lambda c: reverse("qualification:lead", args=[c["leads"]["fresh"].pk]), ("name", "message")),
    ("qualifier", lambda c: reverse("qualification:handoffs"), ("name",)),
    ("qualifier", lambda c: reverse("sales:outcomes"), ("name",)),
    ("qualifier", lambda c: reverse("notifications"), ()),
    ("rep", lambda c: reverse("sales:index"), ("name",)),
    ("manager", lambda c: reverse("sales:index"), ("name",)),
    (
        "rep",
        lambda c: reverse("sales:deal", args=[c["leads"]["disputed"].pk]),
        ("name", "message", "handoff_note", "dispute_comment"),
    ),
    (
        "rep",
        lambda c: reverse("sales:deal", args=[c["leads"]["measured"].pk]),
        ("name", "visit_address", "objection_note", "next_step"),
    ),
    ("rep", lambda c: reverse("sales:deal", args=[c["leads"]["lost"].pk]), ("name", "competitor")),
    ("rep", lambda c: reverse("sales:closed"), ("name",)),
    ("rep", lambda c: reverse("sales:calendar") + "?week=2026-12-01", ("name",)),
    ("rep", lambda c: reverse("notifications"), ("name",)),
    ("manager", lambda c: reverse("sales:arbitration"), ("name", "dispute_comment", "decision_note")),
    ("qlead", lambda c: reverse("sales:arbitration"), ("name", "dispute_comment")),
    ("qlead", lambda c: reverse("sales:slots") + f"?lead={c['leads']['calling'].pk}", ("name",)),
    ("qlead", lambda c: reverse("qualification:sla-panel"), ()),
    ("director", lambda c: reverse("reports:funnel") + "?group_by=region", ("region",)),
    ("director", lambda c: reverse("reports:funnel") + "?group_by=qualifier", ("person",)),
    ("director", lambda c: reverse("reports:speed") + "?group_by=qualifier", ("person",)),
    ("director", lambda c: reverse("reports:handoff"), ("person",)),
    ("director", lambda c: reverse("reports:sales"), ()),
    ("director", lambda c: reverse("reports:economics"), ("person",)),
    ("director", lambda c: reverse("reports:pilot"), ()),
    ("qlead", lambda c: reverse("reports:my"), ()),
    ("manager", lambda c: reverse("reports:leads"), ("name", "city", "region")),
    (
        "admin",
        lambda c: reverse("admin:leadflow_lead_change", args=[c["leads"]["measured"].pk]),
        ("name", "message", "city", "utm_source", "region", "call_note"),
    ),
    ("admin", lambda c: reverse("admin:leadflow_lead_changelist"), ("name",)),
    ("admin", lambda c: reverse("admin:leadflow_inquiry_changelist"), ()),
    ("admin", lambda c: reverse("admin:leadflow_notification_changelist"), ()),
    ("admin", lambda c: reverse("admin:django_fsm_log_statelog_changelist"), ()),
]


@pytest.mark.parametrize(("viewer", "url", "must_show"), PAGES, ids=[f"{p[0]}-{i}" for i, p in enumerate(PAGES)])
def test_every_page_shows_the_corpus_escaped(corpus, viewer, url, must_show):
    url = url(corpus)
    html = _get(corpus["people"][viewer], url).content.decode()
    assert_escaped(html, url, must_show)


def test_template_syntax_in_data_is_shown_literally(corpus):
    url = reverse("qualification:lead", args=[corpus["leads"]["fresh"].pk])
    html = _get(corpus["people"]["qualifier"], url).content.decode()
    assert "{{7*7}}" in html


def test_intake_form_redisplays_rejected_input_escaped(corpus):
    form = {field: payload(field, size) for field, size in INTAKE_FIELDS.items()}
    form.update(phone="not a phone", email=EMAIL)  # invalid: the form comes back with what was typed
    cache.clear()
    response = Client().post(reverse("intake"), form)
    assert response.status_code == 200
    html = response.content.decode()
    assert_escaped(html, "intake")
    assert "[name]&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # the ?utm_* of an embedding page go into hidden inputs, escaped
    url = reverse("intake") + "?utm_source=%22%3E%3Cscript%3Ealert(1)%3C/script%3E"
    html = Client().get(url).content.decode()
    assert_escaped(html, url)
    assert "&quot;&gt;&lt;script&gt;alert(1)" in html


def test_import_report_shows_file_content_escaped(corpus):
    header = "phone;name;source;<script>alert(1)</script>\n"
    rows = "+79160000099;[imp]<script>alert(1)</script>;<img src=x onerror=alert(1)>;x\n"
    upload = SimpleUploadedFile("<svg onload=alert(1)>.csv", (header + rows).encode(), content_type="text/csv")
    client = Client()
    client.force_login(corpus["people"]["admin"])
    response = client.post(reverse("admin:leadflow_lead_import"), {"file": upload, "source": "import"})
    assert response.status_code == 200
    html = response.content.decode()
    assert_escaped(html, "import")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the ignored column, shown escaped


def test_chart_data_in_json_script_cannot_close_the_script(corpus):
    """Report charts carry labels (people's names, regions) as JSON in <script type="application/json">."""
    html = _get(corpus["people"]["director"], reverse("reports:funnel") + "?group_by=region").content.decode()
    blocks = re.findall(r'<script id="chart-[^"]+" type="application/json">(.*?)</script>', html, re.S)
    assert blocks, "no chart on the page"
    joined = "".join(blocks)
    assert "<" not in joined and ">" not in joined
    assert "\\u003Cscript\\u003Ealert(1)" in joined  # the label is there, as JSON escapes


# --- exports -------------------------------------------------------------------------------------

DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")
REPORT_PAGES = [
    ("reports:funnel", "group_by=region"),
    ("reports:funnel", "group_by=qualifier"),
    ("reports:funnel", "group_by=source"),
    ("reports:speed", "group_by=qualifier"),
    ("reports:speed", "group_by=source"),
    ("reports:handoff", ""),
    ("reports:sales", ""),
    ("reports:economics", ""),
    ("reports:pilot", ""),
    ("reports:my", ""),
    ("reports:leads", ""),
]


def _cells(fmt, content):
    if fmt == "csv":
        text = content.decode("utf-8-sig")
        return [cell for row in csv.reader(io.StringIO(text), delimiter=";") for cell in row]
    book = openpyxl.load_workbook(io.BytesIO(content))
    return [cell.value for row in book.active.iter_rows() for cell in row]


def test_every_report_export_neutralises_formulas(corpus):
    viewer = corpus["people"]["director"]
    client = Client()
    client.force_login(viewer)
    exported, seen_neutralised = 0, set()
    with time_machine.travel(NOW, tick=False):
        for name, query in REPORT_PAGES:
            page = client.get(reverse(name) + (f"?{query}" if query else ""))
            assert page.status_code == 200
            slugs = [table.slug for table in page.context["tables"]]
            for slug in slugs:
                for fmt in ("csv", "xlsx"):
                    url = f"{reverse(name)}?{query}&export={fmt}&table={slug}"
                    response = client.get(url)
                    assert response.status_code == 200, url
                    exported += 1
                    for cell in _cells(fmt, response.content):
                        if not isinstance(cell, str) or not cell:
                            continue
                        assert not (cell.startswith(DANGEROUS_START) and not NUMBER.match(cell)), (url, cell)
                        if cell.startswith("'") and cell[1:2] in "=+-@":
                            seen_neutralised.add(cell[1])
    assert exported >= 20
    # the corpus reached the exports (through people's names, regions and sources) and came out as text
    assert {"=", "+", "-", "@"} <= seen_neutralised, seen_neutralised


@pytest.mark.parametrize("text", [*FORMULA_PAYLOADS, "\t=1+1", "\r=1+1"])
def test_neutralise_prefixes_every_formula_start(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["Москва", "a=b", "", None, -5, Decimal("-2.5"), 3])
def test_neutralise_leaves_other_values_alone(value):
    assert neutralise(value) == value
