"""Crawl the admin as each role of the demo company and print what each could see that it should not.

Logs in as every demo user (qualifiers, team lead, reps, sales manager, director, admin), opens the
admin index, every changelist it links to (every page of it) and the change page of every row listed
(up to ADMIN_CRAWL_OBJECTS per model), and checks each row against the person's teams, read from the
row itself (`leadflow.access.row_team_id`), not through the admin's scopes. Expected: zero rows.

    .venv/bin/python bench/admin_crawl.py            # a scratch SQLite database with the demo seeded
    DATABASE_URL=postgres://… .venv/bin/python bench/admin_crawl.py   # that database (seeded if empty)

Read-only: only GET requests. ADMIN_CRAWL_LEADS (600) sizes the scratch demo.
"""

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import print_table  # noqa: E402

ROLES = ("qualifier1", "qlead", "rep1", "salesmanager", "director", "admin", "qlead_b")
OBJECTS_PER_MODEL = int(os.environ.get("ADMIN_CRAWL_OBJECTS", "25"))


def main():
    scratch = None
    if not os.environ.get("DATABASE_URL"):
        scratch = tempfile.mkdtemp(prefix="admin-crawl-")
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch}/crawl.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadflow.settings")
    os.environ.setdefault("AXES_ENABLED", "false")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client then keeps each page's context (the changelist's rows)
    call_command("migrate", verbosity=0)
    call_command("seed_demo", if_empty=True, leads=int(os.environ.get("ADMIN_CRAWL_LEADS", "600")), verbosity=0)
    second_company_side()

    rows, offenders = [], []
    for username in ROLES:
        started = time.perf_counter()
        pages, seen, wrong = crawl(username, offenders)
        rows.append([username, pages, seen, wrong, f"{time.perf_counter() - started:.1f} s"])
    print_table(
        "Admin crawl: what each role could see that it should not (0 expected)",
        ["user", "pages", "rows seen", "should not see", "time"],
        rows,
    )
    for line in offenders[:50]:
        print("  ", line)
    return 1 if offenders else 0


def second_company_side():
    """The demo is one qualification team feeding one sales team, so every staff member's teams cover
    every row. Add a second pair (Kazan) with its own team lead and leads, so the crawl has rows that
    the demo's people must not see, and the other way round. Idempotent."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission

    from demo.people import ADMIN_APPS
    from leadflow.models import Lead, Notification, Profile, Source, Team
    from leadflow.services import lead_receive, notification_send

    sales_b, _ = Team.objects.get_or_create(name="Продажи (Казань)", defaults={"kind": Team.Kind.SALES})
    team_b, _ = Team.objects.get_or_create(
        name="Квалификация (Казань)", defaults={"kind": Team.Kind.QUALIFICATION, "sales_team": sales_b}
    )
    lead_b, created = get_user_model().objects.get_or_create(
        username="qlead_b", defaults={"first_name": "Ильдар", "last_name": "Сафин", "is_staff": True}
    )
    if created:
        lead_b.groups.add(Group.objects.get(name="qualification_lead"))
        lead_b.user_permissions.add(
            *Permission.objects.filter(content_type__app_label__in=ADMIN_APPS, codename__startswith="view_")
        )
        Profile.objects.update_or_create(user=lead_b, defaults={"team": team_b})
        Team.objects.filter(pk=team_b.pk).update(lead=lead_b)
        website = Source.objects.get(code="website")
        for i in range(20):
            lead = lead_receive(source=website, phone=f"+7843200{i:04d}", name=f"Казань {i}").lead
            Lead.objects.filter(pk=lead.pk).update(qualification_team=team_b)
        notification_send(recipient=lead_b, kind=Notification.Kind.INFO, text="Казань: проверка")


def crawl(username, offenders):
    from django.contrib import admin
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from leadflow import access

    user = get_user_model().objects.get(username=username)
    client = Client()
    client.force_login(user)
    index = client.get(reverse("admin:index"))
    pages, seen, wrong = 1, 0, 0
    if index.status_code != 200:  # not staff: the admin's login page, nothing to see
        return pages, seen, wrong
    teams = None if access.is_director(user) else access.team_ids_of(user)
    for app in index.context["app_list"]:
        for entry in app["models"]:
            model = entry["model"]
            url = entry.get("admin_url")
            if not url:
                continue
            listed = []
            while url:
                response = client.get(url)
                pages += 1
                if response.status_code != 200 or "cl" not in (response.context or {}):
                    break
                changelist = response.context["cl"]
                listed += list(changelist.result_list)
                page = changelist.page_num + 1
                url = f"{entry['admin_url']}?p={page}" if page < changelist.paginator.num_pages else None
            model_admin = admin.site._registry[model]
            for obj in listed[:OBJECTS_PER_MODEL]:
                opts = obj._meta
                pages += 1
                client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
            for obj in listed:
                seen += 1
                team = access.row_team_id(obj)
                if teams is not None and team is not None and team not in teams:
                    wrong += 1
                    offenders.append(f"{username}: {model._meta.label} #{obj.pk} of team {team} ({model_admin})")
    return pages, seen, wrong


if __name__ == "__main__":
    sys.exit(main())
