"""Writes of the reports app: the export log, the weekly digest."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from leadflow.models import Notification
from leadflow.services import notification_send

from .access import report_scope
from .models import VAT_STANDARD_RATE, ExportLog, MarketingSpend
from .selectors.digest import digest_recipients, targets_for_week, weekly_digest
from .tables import display


def _ip_or_none(ip):
    try:
        validate_ipv46_address(ip or "")
    except ValidationError:
        return None
    return ip


def export_record(*, actor, what, fmt, rows, contains_contacts, filters="", ip=None):
    """One row of the export log: one INSERT, whatever the size of the export."""
    return ExportLog.objects.create(
        actor=actor,
        what=str(what)[:120],
        filters=str(filters)[:500],
        fmt=fmt,
        rows=rows,
        contains_contacts=contains_contacts,
        ip=_ip_or_none(ip),
    )


# --- the weekly digest (issue 13 §3) ------------------------------------------------------------------

DIGEST_DASHBOARDS = (
    ("funnel", "reports:funnel"),
    ("speed", "reports:speed"),
    ("handoff", "reports:handoff"),
    ("sales", "reports:sales"),
)


@dataclass
class DigestMessage:
    recipient: object
    dedupe_key: str
    subject: str
    text: str
    html: str
    url: str
    rows: list
    already_sent: bool


def digest_dedupe_key(user, week_start):
    return f"digest:{user.pk}:{week_start.isoformat()}"


def digest_links(week_start, *, absolute=True):
    """Links into the dashboards with the week as a custom period (Monday to Sunday); absolute for the
    e-mail (settings.SITE_URL), relative for the in-app notification."""
    query = urlencode(
        {"preset": "custom", "start": week_start.isoformat(), "end": (week_start + timedelta(days=6)).isoformat()}
    )
    base = settings.SITE_URL.rstrip("/") if absolute else ""
    return {name: f"{base}{reverse(url_name)}?{query}" for name, url_name in DIGEST_DASHBOARDS}


def _change_text(change, kind):
    if change is None:
        return "—"
    sign = "+" if change > 0 else ""
    # number_format cuts off the digits, it does not round them: round first
    if kind == "pct":
        value = formats.number_format(round(float(change) * 100, 1), 1)
        return _("%(sign)s%(value)s pp") % {"sign": sign, "value": value}
    if kind == "min":
        value = formats.number_format(round(float(change), 1), 1)
        return _("%(sign)s%(value)s min") % {"sign": sign, "value": value}
    return sign + display(change, kind)


def _shown(rows):
    for row in rows:
        kind = row["kind"]
        row["value_text"] = display(row["value"], kind)
        row["previous_text"] = display(row["previous"], kind)
        row["change_text"] = _change_text(row["change"], kind)
        row["target_text"] = "" if row["target"] is None else display(row["target"], kind)
    return rows


def weekly_digest_messages(*, week_start, now=None):
    """The digest each recipient gets for the week starting on Monday `week_start`, rendered in the site's
    language; recipients who already had it are marked `already_sent` (their figures are not computed)."""
    now = now or timezone.now()
    targets = targets_for_week(week_start)
    links = digest_links(week_start)
    in_app_url = digest_links(week_start, absolute=False)["funnel"]
    week_end = week_start + timedelta(days=6)
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Weekly digest %(start)s – %(end)s") % {
            "start": formats.date_format(week_start, "d.m"),
            "end": formats.date_format(week_end, "d.m.Y"),
        }
        for user in digest_recipients():
            scope = report_scope(user)
            if not scope.sees_all and not scope.team_ids:
                continue  # a lead or manager without a team of their kind has no dashboards
            key = digest_dedupe_key(user, week_start)
            if Notification.objects.filter(recipient=user, dedupe_key=key).exists():
                yield DigestMessage(user, key, subject, "", "", in_app_url, [], already_sent=True)
                continue
            rows = _shown(weekly_digest(week_start=week_start, scope=scope, targets=targets, now=now))
            context = {
                "user": user,
                "rows": rows,
                "links": links,
                "week_start": week_start,
                "week_end": week_end,
                "previous_start": week_start - timedelta(days=7),
                "has_targets": any(row["target"] is not None for row in rows),
            }
            yield DigestMessage(
                recipient=user,
                dedupe_key=key,
                subject=subject,
                text=render_to_string("reports/email/weekly_digest.txt", context),
                html=render_to_string("reports/email/weekly_digest.html", context),
                url=in_app_url,
                rows=rows,
                already_sent=False,
            )


def weekly_digest_send(*, week_start, now=None):
    """Send each recipient their digest of the week: an in-app notification and an e-mail (after commit).
    Idempotent: the notification's dedupe key `digest:<user>:<week>` makes a rerun send nothing twice."""
    sent = []
    for message in weekly_digest_messages(week_start=week_start, now=now):
        if message.already_sent:
            continue
        with transaction.atomic():
            notification_send(
                recipient=message.recipient,
                kind=Notification.Kind.DIGEST,
                text=message.subject,
                url=message.url,
                dedupe_key=message.dedupe_key,
                email=True,
                email_body=message.text,
                email_html=message.html,
            )
        sent.append(message.recipient)
    return sent


def criteria_rule_promote(*, actor, rule, text, team_id, criterion_code, fail, effect):
    """Turn a candidate rule into the team's new active checklist version (copy of the active one with
    the question's pass rule changed so the rule's answers fail) and keep the rule as its trail: who,
    when, the rule, what history said it would do. The director only. Returns the CriteriaRule."""
    from qualification.services import checklist_version_create

    from .models import CriteriaRule

    with transaction.atomic(durable=True):
        checklist = checklist_version_create(
            team_id=team_id, actor=actor, criterion_code=criterion_code, fail=fail, note=text
        )
        return CriteriaRule.objects.create(
            target=rule.target,
            operator=rule.operator,
            value=list(rule.values),
            action=rule.action,
            months=rule.months,
            text=text[:300],
            effect=_jsonable(effect),
            team_id=team_id,
            created_by=actor,
            checklist=checklist,
        )


def _jsonable(effect):
    keys = ("leads", "handoffs", "won", "caught", "handoffs_removed", "wins_lost", "visits", "hours_saved")
    kept = {key: effect[key] for key in keys if key in effect}
    for key in ("revenue", "revenue_at_risk"):
        if key in effect:
            kept[key] = str(effect[key])
    return kept


# --- marketing spend (issue 18 §1) --------------------------------------------------------------------

SPEND_CREATED, SPEND_UPDATED, SPEND_UNCHANGED = "created", "updated", "unchanged"


def spend_record(
    *,
    source,
    utm_campaign,
    granularity,
    day,
    amount,
    vat_included=True,
    vat_rate=VAT_STANDARD_RATE,
    actor,
    note="",
    imported_from="",
):
    """Enter the spend of one source and campaign on one day or in one month, by its natural key
    (source, campaign, granularity, date): a second entry of the same key replaces the amount, so a
    re-import of the same file never doubles the spend. Returns (spend, outcome); raises
    django ValidationError (translated) for a month overlapping entered days or vice versa."""
    campaign = (utm_campaign or "").strip()
    if granularity == MarketingSpend.Granularity.MONTH:
        day = day.replace(day=1)
    amount, vat_rate = Decimal(amount), Decimal(vat_rate)
    with transaction.atomic():
        spend = (
            MarketingSpend.objects.select_for_update()
            .filter(source=source, utm_campaign=campaign, granularity=granularity, day=day)
            .first()
        )
        if spend is not None and (spend.amount, spend.vat_included, spend.vat_rate) == (amount, vat_included, vat_rate):
            return spend, SPEND_UNCHANGED
        outcome = SPEND_CREATED if spend is None else SPEND_UPDATED
        spend = spend or MarketingSpend(source=source, utm_campaign=campaign, granularity=granularity, day=day)
        spend.amount, spend.vat_included, spend.vat_rate = amount, vat_included, vat_rate
        spend.note = note or spend.note
        spend.imported_from = imported_from
        spend.entered_by = actor
        spend.full_clean()
        spend.save()
    return spend, outcome


def bonus_plans_sync(*, plans: list[dict], valid_from) -> list[str]:
    """The role-wide plans (no team, no person) of a business preset, in force from `valid_from`.

    A plan of the same name and role with the same money: unchanged. With other money: the old one ends
    the day before the new one starts (never before its own first day), so pay statements of the
    months it covered keep it. A plan of another name is left as it is (the director ends it)."""
    from datetime import timedelta
    from decimal import Decimal

    from .models import BonusPlan

    changes = []
    with transaction.atomic():
        for item in plans:
            money = {
                name: Decimal(str(item[name])).quantize(Decimal("0.01"))
                for name in ("fixed_monthly", "bonus_per_won_deal", "revenue_share_percent")
            }
            current = (
                BonusPlan.objects.select_for_update()
                .filter(
                    name=item["name"], role=item["role"], team__isnull=True, user__isnull=True, valid_to__isnull=True
                )
                .order_by("-valid_from")
                .first()
            )
            if current is not None and all(getattr(current, name) == value for name, value in money.items()):
                continue
            starts = valid_from
            if current is not None:
                starts = max(valid_from, current.valid_from + timedelta(days=1))
                current.valid_to = starts - timedelta(days=1)
                current.save(update_fields=["valid_to"])
            BonusPlan.objects.create(name=item["name"], role=item["role"], valid_from=starts, **money)
            changes.append(_("bonus plan: %(name)s") % {"name": item["name"]})
    return changes
