"""Writes of a business preset in the qualifier's workspace: a new checklist version, the call script.

A changed checklist is a new version (the old one stays, with the answers given to it); the same
content applied again changes nothing.
"""

from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from leadflow.models import Reason, Team

from ..models import CallScript, Checklist, Criterion
from .reviews import call_script_publish

CRITERION_FIELDS = (
    "code",
    "question",
    "help_text",
    "kind",
    "options",
    "min_value",
    "max_value",
    "valid_min",
    "valid_max",
    "unit",
    "pass_if_yes",
    "required",
)
_DEFAULTS = {"help_text": "", "options": [], "unit": "", "pass_if_yes": True, "required": True}


def _decimal(value):
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def _wanted(item: dict, reasons: dict) -> dict:
    row = {name: item.get(name, _DEFAULTS.get(name)) for name in CRITERION_FIELDS}
    for name in ("min_value", "max_value", "valid_min", "valid_max"):
        row[name] = _decimal(row[name])
    code = item.get("disqualify_reason")
    row["disqualify_reason_id"] = reasons[code].pk if code else None
    return row


def _content(checklist) -> tuple:
    rows = []
    for criterion in checklist.criteria.order_by("position"):
        row = {name: getattr(criterion, name) for name in CRITERION_FIELDS}
        for name in ("min_value", "max_value", "valid_min", "valid_max"):
            row[name] = _decimal(row[name])
        row["disqualify_reason_id"] = criterion.disqualify_reason_id
        rows.append(row)
    return checklist.title, rows


@transaction.atomic
def checklist_publish(*, team: Team, title: str, criteria: list[dict]) -> tuple[Checklist, list[str]]:
    """Make `criteria` the team's active checklist: nothing when the active version already says exactly
    this, else a new version (the next number), activated; older versions and their answers stay."""
    Team.objects.select_for_update().get(pk=team.pk)  # one publisher per team at a time
    reasons = {reason.code: reason for reason in Reason.objects.filter(kind=Reason.Kind.DISQUALIFY)}
    wanted = [_wanted(item, reasons) for item in criteria]
    active = Checklist.objects.filter(team=team, is_active=True).first()
    if active is not None and _content(active) == (title, wanted):
        return active, []
    top = Checklist.objects.filter(team=team).aggregate(top=Max("version"))["top"] or 0
    Checklist.objects.filter(team=team, is_active=True).update(is_active=False)
    checklist = Checklist.objects.create(team=team, version=top + 1, title=title, is_active=True)
    Criterion.objects.bulk_create(
        Criterion(checklist=checklist, position=position, **row) for position, row in enumerate(wanted)
    )
    return checklist, [
        _("%(team)s: checklist “%(title)s” v%(version)s") % {"team": team.name, "title": title, "version": top + 1}
    ]


@transaction.atomic
def call_script_set(*, team: Team, stage: str, title: str, text: str, steps: list[dict], actor=None) -> list[str]:
    """The team's active script of `stage` says `title` and `text` and has `steps` ([{code, title, hint}]):
    unchanged when it does, else a new version is published (call_script_publish: the old one is kept
    inactive, the reviews made against it keep it)."""
    active = list(CallScript.objects.select_for_update().filter(team=team, stage=stage, is_active=True).order_by("pk"))
    wanted = [(step["code"], step["title"], step.get("hint", "") or "") for step in steps]
    if len(active) == 1 and (active[0].title, active[0].text) == (title, text):
        have = list(active[0].steps.order_by("position", "pk").values_list("code", "title", "hint"))
        if have == wanted:
            return []
    call_script_publish(team=team, stage=stage, title=title, text=text, steps=steps, actor=actor)
    return [_("%(team)s: call script “%(title)s”") % {"team": team.name, "title": title}]
