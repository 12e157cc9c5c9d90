"""Every write to a lead stamps `updated_at` (issue 13 §3–4): the report rollup finds the leads changed
since its last refresh by it (reports.rollup.rollup_refresh, stale_months), so a write that skips it
leaves a dashboard figure out of date until the nightly rebuild. `auto_now` acts only in a full save;
Lead's queryset `update()` and `save(update_fields=…)` add it, and no code writes the table by raw SQL."""

import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine

from leadflow.models import Lead, LeadStatus
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")
BEFORE = datetime(2025, 3, 1, 10, 0, tzinfo=MSK)
LATER = BEFORE + timedelta(days=3)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def lead():
    with time_machine.travel(BEFORE, tick=False):
        return LeadFactory(received_at=BEFORE)


def stamped(lead):
    return Lead.objects.values_list("updated_at", flat=True).get(pk=lead.pk)


def test_a_queryset_update_stamps_updated_at(lead):
    assert stamped(lead) == BEFORE
    with time_machine.travel(LATER, tick=False):
        Lead.objects.filter(pk=lead.pk).update(status=LeadStatus.DISQUALIFIED, disqualified_at=LATER)
    assert stamped(lead) == LATER


def test_a_bulk_update_stamps_it(lead):
    lead.region = "Москва"
    with time_machine.travel(LATER, tick=False):
        Lead.objects.bulk_update([lead], ["region"])
    assert stamped(lead) == LATER


def test_a_save_of_some_fields_stamps_it(lead):
    lead.region = "Тверь"
    with time_machine.travel(LATER, tick=False):
        lead.save(update_fields=["region"])
    assert stamped(lead) == LATER


def test_an_explicit_updated_at_is_kept(lead):
    Lead.objects.filter(pk=lead.pk).update(updated_at=BEFORE - timedelta(days=1))
    assert stamped(lead) == BEFORE - timedelta(days=1)


def test_the_checklist_and_the_anonymisation_paths_stamp_it(lead):
    """The two bulk UPDATEs of Lead in the services (checklist's criteria_passed, the 152-ФЗ erasure)."""
    from leadflow.privacy.services import _anonymise_locked

    with time_machine.travel(LATER, tick=False):
        _anonymise_locked([(lead.pk, lead.status)], at=LATER, actor=None, description="")
    assert stamped(lead) == LATER


RAW_UPDATE = re.compile(r"UPDATE\s+[\"'`]?(leadflow_lead\b|\{)", re.IGNORECASE)


def test_no_code_updates_the_lead_table_by_raw_sql():
    """A raw UPDATE bypasses the stamp: write through the ORM (or set updated_at and extend this test)."""
    offenders = []
    for path in ROOT.glob("*/**/*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith((".venv/", "tests/", "bench/")) or "/migrations/" in relative:
            continue  # bench/: the hand-written reference SQL the benchmarks time, on their own databases
        text = path.read_text(encoding="utf-8")
        for match in RAW_UPDATE.finditer(text):
            if "FOR UPDATE" in text[max(0, match.start() - 4) : match.end()].upper():
                continue
            statement = text[match.start() : match.start() + 400]
            if 'column["updated_at"]' in statement.split("RETURNING")[0]:
                continue  # a hand-written UPDATE that stamps it ("Next lead" in one statement)
            offenders.append(f"{relative}: {text[match.start() : match.start() + 60]!r}")
    assert offenders == []
