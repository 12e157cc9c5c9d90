"""The demo company for `manage.py seed_demo`: a custom-kitchen maker with a regional qualification
team, five Moscow sales reps, one user per role and three months of leads through the whole funnel.

Idempotent: demo leads carry external_id "demo-<n>"; a run with --leads N only adds the missing
ones (a second identical run changes nothing). Leads are written in chunks, each chunk in its own
transaction with its history, calls, inquiries and the apps' rows, so an interrupted run resumes.
"""

import random
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Count, Max
from django.utils import timezone

from leadflow import bulk as leadflow_bulk
from leadflow import db
from leadflow.models import Lead, Reason, Source
from leadflow.people import display_name
from leadflow.reference import ensure_reference_data
from leadflow.workhours import WorkCalendar
from presets import schema as presets_schema
from presets.services import preset_apply
from qualification import bulk as qualification_bulk
from qualification.models import CallAttempt
from reports.reference import PLANS_START

from . import extras as extra_rows
from .intake import force_open, received_times
from .leads import LeadSimulator
from .people import PEOPLE, ensure_company
from .spend import seed_spend
from .staffing import ensure_roster
from .vocabulary import PresetWords

DEFAULT_LEADS = 3000
DEFAULT_SEED = 2024
CHUNK = 20_000
DEMO_PREFIX = "demo-"
DEFAULT_PRESET = "kitchens"


@dataclass
class Context:
    """Everything the simulation reads, looked up once per run."""

    now: int
    qualification_team: object
    sales_team: object
    qualification_calendar: WorkCalendar
    sales_calendar: WorkCalendar
    warn_minutes: int
    breach_minutes: int
    acceptance_window_minutes: int
    qualifiers: list
    reps: list
    sales_manager: int
    qualification_lead: int
    names: dict
    source_ids: dict
    source_codes: dict
    source_names: dict
    disqualify_reasons: dict
    lose_reasons: dict
    dispute_reasons: dict
    outcome_labels: dict
    lead_content_type_id: int
    lead_defaults: dict
    local_tz: ZoneInfo
    sales_tz: ZoneInfo
    words: object  # demo.vocabulary.PresetWords of the business preset
    extras: list = field(default_factory=list)

    def local_date(self, ts) -> date:
        return datetime.fromtimestamp(ts, self.sales_tz).date()

    def local_datetime(self, ts) -> datetime:
        return datetime.fromtimestamp(ts, self.local_tz)


@dataclass
class SeedResult:
    created_users: list
    leads_before: int
    leads_created: int
    seconds: float
    status_counts: dict
    skipped: str = ""


def seed_demo(
    *,
    leads=DEFAULT_LEADS,
    seed=DEFAULT_SEED,
    if_empty=False,
    now=None,
    log=None,
    chunk=CHUNK,
    analyze=True,
    preset=DEFAULT_PRESET,
):
    """Seed the demo company of the business `preset` (presets/data/<preset>.json, applied first) and
    `leads` leads. `analyze=False` leaves the planner's statistics as the bulk load left them (the
    benches measure that state too); by default every table filled is analysed."""
    log = log or (lambda message: None)
    if if_empty and Lead.objects.exists():
        return SeedResult([], Lead.objects.count(), 0, 0.0, _status_counts(), skipped="the database has leads")
    ensure_reference_data(apps.get_model)
    words = PresetWords(presets_schema.load(preset))
    preset_apply(name=preset, plans_from=PLANS_START)
    with transaction.atomic():
        company = ensure_company(domain=words.domain)
        ensure_roster(company)
    started = time.monotonic()
    existing = Lead.objects.filter(external_id__startswith=DEMO_PREFIX).count()
    created = 0
    if existing < leads:
        now_ts = int((now or timezone.now()).timestamp())
        ctx = _context(company, now_ts, words)
        filled = _seed_leads(ctx, total=leads, start=existing, seed=seed, log=log, chunk=chunk)
        created = leads - existing
        if analyze:
            db.analyze(*filled)
    with transaction.atomic():
        seed_spend(actor=company.users["director"])
    from .reviews import seed_call_reviews

    seed_call_reviews(seed=seed, log=log)  # idempotent: the review pages look alive
    return SeedResult(
        created_users=sorted(company.created),
        leads_before=existing,
        leads_created=created,
        seconds=time.monotonic() - started,
        status_counts=_status_counts(),
    )


def _seed_leads(ctx, *, total, start, seed, log, chunk):
    rng = random.Random(seed)
    received = received_times(rng, total=total, now=ctx.now, calendar_tz=ctx.local_tz)
    from .funnel import deck

    paths = deck(rng, total)
    forced = force_open(rng, received=received, paths=paths, now=ctx.now)
    simulator = LeadSimulator(
        context=ctx, seed=seed, total=total, now=ctx.now, received=received, paths=paths, forced=forced
    )
    writers = {
        "leads": leadflow_bulk.lead_rows_writer(),
        "logs": leadflow_bulk.history_rows_writer(),
        "inquiries": leadflow_bulk.inquiry_rows_writer(),
        "calls": qualification_bulk.call_attempt_rows_writer(),
    }
    filled = [writer.model for writer in writers.values()]
    started = time.monotonic()
    for chunk_start in range(start, total, chunk):
        chunk_stop = min(total, chunk_start + chunk)
        with transaction.atomic():
            _fast_commit()
            first_id = (Lead.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
            ctx.extras = [extra(ctx) for extra in extra_rows.EXTRAS if extra.available(ctx)]
            batch = simulator.build(chunk_start, chunk_stop, first_id)
            writers["leads"].write(batch.leads)
            leadflow_bulk.lead_ids_reset()
            writers["logs"].write(batch.logs)
            writers["inquiries"].write(batch.inquiries)
            writers["calls"].write(batch.calls)
            for extra in ctx.extras:
                extra.write(batch)
                extra.finish()
            filled += [model for extra in ctx.extras for model in extra.models()]
        log(f"  {chunk_stop}/{total} leads, {time.monotonic() - started:.1f} s")
    return list(dict.fromkeys(filled))


def _fast_commit():
    """Demo rows need no fsync per chunk: a crash loses at most the last chunk, and a re-run resumes."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


def _context(company, now, words):
    qualification, sales = company.qualification_team, company.sales_team
    users = company.users
    by_role = company.by_role
    outcome_labels = {value: str(label) for value, label in CallAttempt.Outcome.choices}
    sources = list(Source.objects.all())
    reasons = {}
    for reason in Reason.objects.all():
        reasons.setdefault(reason.kind, {})[reason.code] = reason
    defaults = {}
    for model_field in Lead._meta.concrete_fields:
        if model_field.attname in leadflow_bulk.LEAD_COLUMNS:
            value = model_field.get_default()
            defaults[model_field.attname] = value if not callable(value) else None
    defaults.update(status="new", qualification_team_id=qualification.pk, handoff_state="", sla_state="pending")
    from . import people

    return Context(
        now=now,
        qualification_team=qualification,
        sales_team=sales,
        qualification_calendar=WorkCalendar.for_team(qualification),
        sales_calendar=WorkCalendar.for_team(sales),
        warn_minutes=qualification.sla_warn_minutes,
        breach_minutes=qualification.sla_breach_minutes,
        acceptance_window_minutes=sales.acceptance_window_minutes,
        qualifiers=[user.pk for user in by_role(people.roles.QUALIFIER)],
        reps=[user.pk for user in by_role(people.roles.SALES_REP)],
        sales_manager=users["salesmanager"].pk,
        qualification_lead=users["qlead"].pk,
        names={user.pk: display_name(user) for user in users.values()},
        source_ids={s.code: s.pk for s in sources},
        source_codes={s.pk: s.code for s in sources},
        source_names={s.pk: s.name for s in sources},
        # the stories speak in the demo's roles ("modular": the product we do not make); the preset names
        # the reason each role is in its business ("oms_only" in a clinic)
        disqualify_reasons=_by_role(reasons, Reason.Kind.DISQUALIFY, words.roles["disqualify"]),
        lose_reasons=_by_role(reasons, Reason.Kind.LOSE, words.roles["lose"]),
        dispute_reasons=_by_role(reasons, Reason.Kind.DISPUTE, words.roles["dispute"]),
        outcome_labels=outcome_labels,
        lead_content_type_id=ContentType.objects.get_for_model(Lead).pk,
        lead_defaults=defaults,
        local_tz=ZoneInfo(settings.TIME_ZONE),
        sales_tz=ZoneInfo(sales.time_zone),
        words=words,
    )


def _by_role(reasons, kind, roles):
    by_code = reasons.get(kind, {})
    return {role: by_code[code] for role, code in roles.items()}


def _status_counts():
    return dict(Lead.objects.values_list("status").annotate(n=Count("pk")).order_by("status"))


__all__ = ["DEFAULT_LEADS", "DEFAULT_PRESET", "DEFAULT_SEED", "PEOPLE", "SeedResult", "seed_demo"]
