"""Exports: who may download which table (issue 12 §3), and every export is logged for the director.

Every export URL × every role: team figures for team leads, managers and the director; the list of
leads with contacts for the same managers (their scope) and the director; own figures for everyone.
"""

import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leadflow import access, roles
from leadflow.exceptions import PermissionRefused
from reports.exports import export_response
from reports.models import ExportLog
from reports.tables import Column, ReportTable
from tests.factories import LeadFactory, make_user

from . import dataset

pytestmark = pytest.mark.django_db

MARCH = {"preset": "custom", "start": "2025-03-01", "end": "2025-03-31"}
ROLES = ["q1", "qlead", "r1", "manager", "director"]
MANAGERS = {"qlead", "manager", "director"}
# (page, table slug) of every team-figures export on the report pages
TEAM_EXPORTS = [
    ("funnel", "stages"),
    ("funnel", "by-group"),
    ("funnel", "conversion-matrix"),
    ("funnel", "stage-times"),
    ("speed", "by-group"),
    ("speed", "by-week"),
    ("speed", "heatmap"),
    ("handoff", "qualifiers"),
    ("sales", "reps"),
    ("sales", "objections"),
    ("sales", "lost-reasons"),
    ("economics", "payroll-by-team"),
    ("economics", "unit-costs"),
    ("economics", "statements"),
    ("economics", "double-credit"),
    ("pilot", "rates"),
    ("pilot", "comparison"),
    ("my", "team-month"),
]

WITH_TOTAL_ROW = {("funnel", "by-group"), ("speed", "by-group"), ("handoff", "qualifiers"), ("sales", "reps")}


def _get(client, user, page, slug, fmt="csv", **extra):
    client.force_login(user)
    return client.get(reverse(f"reports:{page}"), {**MARCH, **extra, "export": fmt, "table": slug})


def _rows(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("page", "slug"), TEAM_EXPORTS)
def test_team_figures_are_exported_by_leads_managers_and_the_director_only(client, data, role, page, slug):
    user = data["people"][role]
    response = _get(client, user, page, slug)
    if role in MANAGERS:
        assert response.status_code == 200
        log = ExportLog.objects.get()
        assert (log.actor, log.what, log.fmt, log.contains_contacts) == (user, f"{page}/{slug}", "csv", False)
        body = _rows(response)[1:]
        assert log.rows == len(body) - (1 if (page, slug) in WITH_TOTAL_ROW else 0)
    else:
        # a qualifier or a rep: 403 on the team pages; their "My stats" has no team table at all
        assert response.status_code == (404 if page == "my" else 403)
        assert not ExportLog.objects.exists()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_leads_with_contacts_are_exported_by_managers_in_their_scope_only(client, data, role, fmt):
    user = data["people"][role]
    response = _get(client, user, "leads", "leads", fmt)
    if role not in MANAGERS:
        assert response.status_code == 403
        assert not ExportLog.objects.exists()
        return
    assert response.status_code == 200
    log = ExportLog.objects.get()
    expected = {"qlead": 10, "manager": 10, "director": 10}[role]
    assert (log.actor, log.what, log.fmt, log.contains_contacts, log.rows) == (
        user,
        "leads/leads",
        fmt,
        True,
        expected,
    )
    assert "start=2025-03-01" in log.filters and "export" not in log.filters
    if fmt == "csv":
        rows = _rows(response)
        assert len(rows) == expected + 1
        phones = {row[3] for row in rows[1:]}
        assert all(phone.startswith("'+7") for phone in phones)  # '+' starts a formula: kept as text


def test_the_leads_export_keeps_to_the_managers_scope(client, data):
    """A lead of another qualification team and sales team is in the director's export only."""
    from tests.factories import TeamFactory

    other = TeamFactory(name="Квалификация Казань")
    LeadFactory(qualification_team=other, received_at=dataset.at(3, 3, 10), phone="+79990000001")
    for role, seen in (("qlead", False), ("manager", False), ("director", True)):
        response = _get(client, data["people"][role], "leads", "leads")
        assert ("+79990000001" in response.content.decode("utf-8-sig")) is seen, role


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_everyone_exports_their_own_figures(client, data, role, fmt):
    user = data["people"][role]
    response = _get(client, user, "my", "own", fmt)
    assert response.status_code == 200
    log = ExportLog.objects.get()
    assert (log.actor, log.what, log.rows, log.contains_contacts) == (user, "my/own", 2, False)


def test_the_log_keeps_the_client_address(client, data):
    client.force_login(data["people"]["manager"])
    client.get(reverse("reports:leads"), {**MARCH, "export": "csv", "table": "leads"}, REMOTE_ADDR="203.0.113.7")
    assert ExportLog.objects.get().ip == "203.0.113.7"


def test_the_log_is_one_insert_whatever_the_number_of_rows(client, data):
    client.force_login(data["people"]["director"])
    params = {**MARCH, "export": "xlsx", "table": "leads"}
    client.get(reverse("reports:leads"), MARCH)  # the first visit with a new period remembers it in the session
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("reports:leads"), params).status_code == 200
    for i in range(40):
        LeadFactory(received_at=dataset.at(3, 1 + i % 28, 11))
    with CaptureQueriesContext(connection) as big:
        assert client.get(reverse("reports:leads"), params).status_code == 200
    assert len(big) == len(small)
    inserts = [q["sql"] for q in big.captured_queries if q["sql"].startswith('INSERT INTO "reports_exportlog"')]
    assert len(inserts) == 1
    assert ExportLog.objects.order_by("pk").last().rows == 50


@pytest.mark.parametrize("role", ["q1", "r1"])
def test_a_contacts_table_is_refused_to_qualifiers_and_reps_whatever_the_view(rf, data, role):
    """The rule holds in export_response itself: a page that forgot to check still cannot leak contacts."""
    request = rf.get("/any/")
    request.user = data["people"][role]
    table = ReportTable("clients", "Clients", [Column("phone", "Phone", "text")], [{"phone": "+79120000000"}])
    table.export_kind = access.EXPORT_CONTACTS
    with pytest.raises(PermissionRefused):
        export_response(request, table, "csv", basename="any")
    assert not ExportLog.objects.exists()


@pytest.mark.parametrize(
    ("role", "own", "team", "contacts"),
    [
        (roles.QUALIFIER, True, False, False),
        (roles.SALES_REP, True, False, False),
        (roles.QUALIFICATION_LEAD, True, True, True),
        (roles.SALES_MANAGER, True, True, True),
        (roles.DIRECTOR, True, True, True),
    ],
)
def test_may_export_by_kind(role, own, team, contacts):
    user = make_user(role)
    answers = {}
    for kind in (access.EXPORT_OWN, access.EXPORT_TEAM, access.EXPORT_CONTACTS):
        try:
            access.ensure_may_export(user, kind=kind)
            answers[kind] = True
        except PermissionRefused:
            answers[kind] = False
    assert answers == {access.EXPORT_OWN: own, access.EXPORT_TEAM: team, access.EXPORT_CONTACTS: contacts}
    assert access.may_export_contacts(user) is contacts


def test_the_director_reads_the_log_in_the_admin_and_nobody_edits_it(client, data):
    director = data["people"]["director"]
    _get(client, data["people"]["manager"], "leads", "leads")
    director.is_staff = True
    director.save()
    director.user_permissions.add(*Permission.objects.filter(codename__endswith="_exportlog"))
    client.force_login(director)
    changelist = client.get(reverse("admin:reports_exportlog_changelist"))
    assert changelist.status_code == 200
    assert "leads/leads" in changelist.content.decode()
    log = ExportLog.objects.get()
    change = client.post(reverse("admin:reports_exportlog_change", args=[log.pk]), {"rows": 1})
    assert change.status_code == 403 or ExportLog.objects.get().rows == log.rows
    assert client.get(reverse("admin:reports_exportlog_add")).status_code == 403
    assert client.get(reverse("admin:reports_exportlog_delete", args=[log.pk])).status_code == 403


def test_view_only_staff_do_not_see_the_log_in_the_admin(client, data):
    manager = data["people"]["manager"]
    manager.is_staff = True
    manager.save()
    manager.user_permissions.add(*Permission.objects.filter(codename="view_exportlog"))
    client.force_login(manager)
    assert client.get(reverse("admin:reports_exportlog_changelist")).status_code == 403


def test_the_director_reads_the_log_on_the_reports_page(client, data):
    _get(client, data["people"]["manager"], "leads", "leads")
    client.force_login(data["people"]["director"])
    page = client.get(reverse("reports:exports-log"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "leads/leads" in body and "Мария Продажина" in body
    for role in ("q1", "qlead", "r1", "manager"):
        client.force_login(data["people"][role])
        assert client.get(reverse("reports:exports-log")).status_code == 403
