"""Writes of a business preset in the pipeline core: reason lists, team policy and hours, the vertical.

Each is idempotent (a second identical call changes nothing) and never deletes history: reasons
leave a list by being deactivated, so leads keep the reason they were closed with. Each returns the
changes it made, as sentences, for the preset's summary.
"""

from datetime import time

from django.db import transaction
from django.utils.translation import gettext as _

from .. import vertical
from ..models import Reason, Team, Vertical, WorkingHours


def fields_update(row, wanted: dict) -> bool:
    """Set the fields of `row` that differ from `wanted` and save only those; whether any did."""
    changed = [name for name, value in wanted.items() if getattr(row, name) != value]
    for name in changed:
        setattr(row, name, wanted[name])
    if changed:
        row.save(update_fields=changed)
    return bool(changed)


def coded_list_sync(queryset, items: list[dict], *, create, messages: dict) -> list[str]:
    """Make the active rows of `queryset` (with code, title, position, is_active) exactly `items`
    ([{code, title}], in order): add with `create(code=, title=, position=)`, retitle, reactivate,
    deactivate the others (never delete: old leads keep theirs). `messages`: added/updated/deactivated."""
    changes = []
    existing = {row.code: row for row in queryset.select_for_update()}
    for position, item in enumerate(items):
        row = existing.pop(item["code"], None)
        if row is None:
            create(code=item["code"], title=item["title"], position=position)
            changes.append(messages["added"] % {"title": item["title"]})
        elif fields_update(row, {"title": item["title"], "position": position, "is_active": True}):
            changes.append(messages["updated"] % {"title": row.title})
    for row in existing.values():
        if fields_update(row, {"is_active": False}):
            changes.append(messages["deactivated"] % {"title": row.title})
    return changes


@transaction.atomic
def reasons_sync(*, kind: str, items: list[dict]) -> list[str]:
    """Make the active `kind` reasons exactly `items` ([{code, title}], in order)."""
    return coded_list_sync(
        Reason.objects.filter(kind=kind),
        items,
        create=lambda **fields: Reason.objects.create(kind=kind, **fields),
        messages={
            "added": _("reason added: %(title)s"),
            "updated": _("reason updated: %(title)s"),
            "deactivated": _("reason deactivated: %(title)s"),
        },
    )


def _parse(text):
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


@transaction.atomic
def team_setup(*, team: Team, hours: dict, sla: dict) -> list[str]:
    """The team's policy from the preset (SLA minutes of a qualification team, the acceptance window of
    a sales team) and its working hours: `hours` = {weekdays: [0..6], opens: "09:00", closes: "21:00"}."""
    changes = []
    team = Team.objects.select_for_update().get(pk=team.pk)
    if team.kind == Team.Kind.QUALIFICATION:
        wanted = {"sla_warn_minutes": sla["warn_minutes"], "sla_breach_minutes": sla["breach_minutes"]}
    else:
        wanted = {"acceptance_window_minutes": sla["acceptance_window_minutes"]}
    if fields_update(team, wanted):
        changes.append(_("%(team)s: policy updated") % {"team": team.name})
    opens, closes = _parse(hours["opens"]), _parse(hours["closes"])
    days = set(hours["weekdays"])
    rows = {row.weekday: row for row in WorkingHours.objects.filter(team=team)}
    hours_changed = False
    for weekday in range(7):
        row = rows.get(weekday)
        if weekday not in days:
            if row is not None:  # a closed day has no window (configuration, not history)
                row.delete()
                hours_changed = True
            continue
        if row is None:
            WorkingHours.objects.create(team=team, weekday=weekday, opens_at=opens, closes_at=closes)
            hours_changed = True
        elif (row.opens_at, row.closes_at) != (opens, closes):
            row.opens_at, row.closes_at = opens, closes
            row.save(update_fields=["opens_at", "closes_at"])
            hours_changed = True
    if hours_changed:
        changes.append(_("%(team)s: working hours set") % {"team": team.name})
    return changes


@transaction.atomic
def vertical_set(
    *, code: str, title: str, visit_name: str, visit_minutes: int, words: dict, asks_product_interest: bool = True
) -> list[str]:
    """The installation's business profile (one row); every process reads the new one after commit."""
    row = Vertical.objects.select_for_update().order_by("pk").first()
    wanted = {
        "code": code,
        "title": title,
        "visit_name": visit_name,
        "visit_minutes": visit_minutes,
        "words": dict(words),
        "asks_product_interest": asks_product_interest,
    }
    if row is not None and all(getattr(row, name) == value for name, value in wanted.items()):
        return []
    if row is None:
        row = Vertical(**wanted)
    else:
        for name, value in wanted.items():
            setattr(row, name, value)
    row.save()
    vertical.forget()  # this transaction reads the new row at once…
    transaction.on_commit(vertical.forget)  # …and every process after commit (one may have cached the old)
    return [_("business: %(title)s, the visit is “%(visit)s”") % {"title": title, "visit": visit_name}]


@transaction.atomic
def team_ensure(*, name: str, kind: str, sales_team: Team | None = None) -> tuple[Team, list[str]]:
    """The team called `name` (created with `kind` when missing); a qualification team without a sales
    team hands off to `sales_team`."""
    team, created = Team.objects.get_or_create(name=name, defaults={"kind": kind, "time_zone": "Europe/Moscow"})
    changes = [_("team created: %(team)s") % {"team": name}] if created else []
    if team.kind != kind:
        raise ValueError(f"{name!r} is a {team.kind} team")
    if kind == Team.Kind.QUALIFICATION and team.sales_team_id is None and sales_team is not None:
        team.sales_team = sales_team
        team.save(update_fields=["sales_team"])
        changes.append(_("%(team)s hands off to %(sales)s") % {"team": name, "sales": sales_team.name})
    return team, changes
