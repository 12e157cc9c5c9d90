"""Every page of the demo, as each role sees it, reads as Russian: no raw event codes, field keys,
channel codes, time-zone names or untranslated English words in the visible text (issue 11 §2)."""

import html
import re
from datetime import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from leadflow.models import Lead, LeadStatus
from qualification import services as q
from qualification.models import CallAttempt
from tests.factories import KITCHEN_PASSING_ANSWERS

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 11, 14, 30, tzinfo=ZoneInfo("Europe/Moscow"))

# Genuine non-words a Russian page may show in Latin letters: the brand, file formats, units, tags.
ALLOWED_LATIN = {
    "leadflow",  # the product's name
    "e-mail",  # the usual Russian UI spelling
    "xlsx",  # a file format (export buttons)
    "json",  # a file format (the personal data export)
    "google",  # the phone calendars a rep adds the visits feed to (names of products)
    "apple",
    "iphone",
    "romi",  # return on marketing investment: the marketers' own word in Russian too (source economics)
}

ROLES = ["qualifier1", "qlead", "rep1", "salesmanager", "director"]

PAGES = [
    "home",
    "intake",
    "privacy-policy",
    "privacy:requests",
    "notifications",
    "qualification:index",
    "qualification:sla-panel",
    "qualification:handoffs",
    "sales:index",
    "sales:today",
    "sales:closed",
    "sales:outcomes",
    "sales:arbitration",
    "sales:calendar",
    "sales:calendar-feed",
    "reports:index",
    "reports:funnel",
    "reports:speed",
    "reports:handoff",
    "reports:disqualified",
    "reports:sales",
    "reports:economics",
    "reports:sources",
    "reports:spend-import",
    "reports:pilot",
    "reports:criteria",
    "reports:my",
    "reports:leads",
    "reports:exports-log",
    "reports:staffing",
    "reports:staffing-roster",
    "reports:staffing-backtest",
]

SCRIPT_OR_STYLE = re.compile(r"<(script|style|template)\b.*?</\1>", re.S | re.I)
# Data the marketing tools typed (UTM tags) is marked translate="no", the HTML way to say "not words".
NOT_WORDS = re.compile(r"<(\w+)\b[^>]*\btranslate=\"no\"[^>]*>.*?</\1>", re.S)
TAG = re.compile(r"<[^>]+>")
SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")
KEY_VALUE = re.compile(r"\b[a-z_]+=")
CHANNEL_CODE = re.compile(r"\((api|form|import|call|admin)\)")
LATIN_WORD = re.compile(r"(?<![\w@./-])[A-Za-z][A-Za-z-]{3,}(?![\w@./-])")


def visible_text(page):
    page = NOT_WORDS.sub(" ", SCRIPT_OR_STYLE.sub(" ", page))
    page = re.sub(r"<!--.*?-->", " ", page, flags=re.S)
    return html.unescape(TAG.sub(" ", page))


# A person's name right after a word that governs an oblique case ("в работе у Анна Кузнецова"):
# Russian sentences name people in the nominative ("Ответственный: Анна Кузнецова") instead.
OBLIQUE_BEFORE_NAME = r"\b(?i:у|к|от|с|на|для|против|менеджеру|квалификатору|квалификатора|передан|передана)\s+"


def undeclined_names(text, names):
    return [
        f"undeclined name «{m.group(0)}»"
        for name in names
        for m in re.finditer(OBLIQUE_BEFORE_NAME + re.escape(name), text)
    ]


def offences(text):
    found = []
    found += [f"raw key {m}" for m in SNAKE.findall(text) if m not in ALLOWED_LATIN]
    found += [f"key=value {m}" for m in KEY_VALUE.findall(text)]
    found += [f"channel code {m}" for m in CHANNEL_CODE.findall(text)]
    found += [f"time-zone name {m}" for m in re.findall(r"\b(?:Europe|Asia|America|UTC)/\w+", text)]
    found += [f"English {m}" for m in LATIN_WORD.findall(text) if m.lower() not in ALLOWED_LATIN]
    return found


@pytest.fixture
def demo(client):
    with time_machine.travel(NOW, tick=False):
        call_command("seed_demo", leads=120, stdout=StringIO())
        users = get_user_model().objects.in_bulk(ROLES, field_name="username")
        worked = _work_a_lead_through_the_services(users)
    return users, worked


def _work_a_lead_through_the_services(users):
    """New history rows and notifications as the services write them today (the demo writes its own)."""
    lead = Lead.objects.filter(status=LeadStatus.NEW, qualifier=None).order_by("received_at").first()
    q.lead_reassign(lead_id=lead.pk, actor=users["qlead"], qualifier=users["qualifier1"])
    q.call_attempt_log(lead_id=lead.pk, actor=users["qualifier1"], outcome=CallAttempt.Outcome.REACHED)
    q.lead_answers_save(
        lead_id=lead.pk, actor=users["qualifier1"], answers=dict(KITCHEN_PASSING_ANSWERS, budget="1000")
    )
    return lead


def lead_pages(worked):
    """A lead card and a deal page for a lead in every status, and the lead worked through the services."""
    leads = [worked]
    for status in LeadStatus.values:
        leads += list(Lead.objects.filter(status=status).order_by("pk")[:2])
    urls = []
    for lead in leads:
        urls.append(reverse("qualification:lead", args=[lead.pk]))
        urls.append(reverse("sales:deal", args=[lead.pk]))
    return urls


def drilldown_pages(users):
    """The leads behind a figure (reports drill-down): one of every dashboard, events and rows included,
    and a person's own figures."""
    team = users["qlead"].profile.team_id
    rep = users["rep1"].pk
    leads, own = reverse("reports:leads"), reverse("reports:my-leads")
    return [
        f"{leads}?figure=funnel.qualified&group_by=team&dim={team}",
        f"{leads}?figure=disqualified.modular",
        f"{leads}?figure=disqualified.cohort_dropped&group_by=reason&dim=none",
        f"{leads}?figure=speed.within_warn&group_by=heat&dim=1-10",
        f"{leads}?figure=handoff.handoffs",
        f"{leads}?figure=handoff.won&group_by=rest&dim={rep}",
        f"{leads}?figure=sales.disputed&group_by=rep&dim={rep}",
        f"{leads}?figure=economics.won",
        f"{leads}?figure=sources.won",
        f"{leads}?figure=pilot.won&group_by=side&dim=b",
        f"{own}?figure=my.taken&dim=month",
        f"{own}?figure=my.won&dim=month",
    ]


def test_every_demo_page_reads_as_russian_for_every_role(client, demo):
    users, worked = demo
    urls = [reverse(name) for name in PAGES] + lead_pages(worked) + drilldown_pages(users)
    names = [user.get_full_name() for user in get_user_model().objects.exclude(first_name="")]
    found = {}
    seen = 0
    with time_machine.travel(NOW, tick=False):
        for username in ROLES:
            client.force_login(users[username])
            for url in urls:
                response = client.get(url, HTTP_ACCEPT_LANGUAGE="ru")
                if response.status_code != 200:
                    assert response.status_code in {302, 403, 404}, (username, url, response.status_code)
                    continue
                seen += 1
                text = visible_text(response.content.decode())
                for offence in offences(text) + undeclined_names(text, names):
                    found.setdefault(offence, set()).add(f"{username} {url}")
    assert seen > 40, "the demo pages did not render"
    report = "\n".join(f"{what}  ← {sorted(where)[0]} (+{len(where) - 1})" for what, where in sorted(found.items()))
    assert not found, f"{len(found)} raw keys / English words on Russian pages:\n{report}"


def test_the_checker_catches_what_it_should():
    text = visible_text(
        "<p>claim checklist_answered product_type=custom (api) Europe/Moscow Lead Received None</p>"
        "<script>var snake_case = 1</script><a href='/queue/?sla_state=x'>Очередь</a> Leadflow CSV"
        '<dd translate="no">kuhni_msk_rsya / dzen</dd>'
    )
    found = offences(text)
    assert "raw key checklist_answered" in found
    assert "key=value product_type=" in found
    assert "channel code api" in found
    assert "time-zone name Europe/Moscow" in found
    assert {"English claim", "English Lead", "English Received", "English None"} <= set(found)
    assert undeclined_names("в работе у Анна Кузнецова; Ответственный: Анна Кузнецова", ["Анна Кузнецова"]) == [
        "undeclined name «у Анна Кузнецова»"
    ]
    assert not any(word in f for f in found for word in ("snake_case", "sla_state", "Leadflow", "CSV", "kuhni", "dzen"))
