"""Apply a business preset to an installation, empty or in use: one entry point, atomic, idempotent.

Each app writes its own part through its setup services; this module only orders them. Nothing is
deleted: a changed checklist or visit form is a new version, reasons and tags are deactivated, a
bonus plan with other money ends the day before the new one starts.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db import transaction

from leadflow.models import Team
from leadflow.services import setup as leadflow_setup
from qualification.services import setup as qualification_setup
from reports.services import bonus_plans_sync
from sales.services import setup as sales_setup

from . import schema

DEFAULT_TEAMS = {Team.Kind.QUALIFICATION: "Квалификация", Team.Kind.SALES: "Продажи (Москва)"}


@dataclass(frozen=True)
class TeamSpec:
    """A team the wizard names, with its hours (None: the preset's)."""

    kind: str
    name: str
    weekdays: tuple = ()
    opens: str = ""
    closes: str = ""

    def hours(self, default):
        if not self.weekdays:
            return default
        return {"weekdays": list(self.weekdays), "opens": self.opens, "closes": self.closes}


@dataclass
class Summary:
    code: str
    title: str
    changes: list = field(default_factory=list)

    @property
    def changed(self):
        return bool(self.changes)


def preset_apply(*, name: str, actor=None, teams: list[TeamSpec] | None = None, plans_from: date | None = None):
    """Apply the preset `name` to the teams named in `teams` (created when missing) or, without them, to
    every active team (the default pair when there is none). Returns what changed; a second identical
    call returns no changes. `actor` is who applied it (the command: None)."""
    preset = schema.load(name)
    summary = Summary(code=preset["code"], title=preset["title"])
    add = summary.changes.extend
    with transaction.atomic():
        qualification_teams, sales_teams = _teams(teams, add)
        add(
            leadflow_setup.vertical_set(
                code=preset["code"],
                title=preset["title"],
                visit_name=preset["visit"]["name"],
                visit_minutes=preset["visit"]["minutes"],
                words=preset["visit"]["words"],
                asks_product_interest=preset["asks_product_interest"],
            )
        )
        for kind, items in preset["reasons"].items():
            add(leadflow_setup.reasons_sync(kind=kind, items=items))
        specs = {spec.name: spec for spec in teams or []}
        for team in qualification_teams + sales_teams:
            hours = preset["hours"]["qualification" if team.kind == Team.Kind.QUALIFICATION else "sales"]
            spec = specs.get(team.name)
            add(leadflow_setup.team_setup(team=team, hours=spec.hours(hours) if spec else hours, sla=preset["sla"]))
        for team in qualification_teams:
            _checklist, changes = qualification_setup.checklist_publish(
                team=team, title=preset["checklist"]["title"], criteria=preset["checklist"]["criteria"]
            )
            add(changes)
            script = preset["call_script"]
            add(
                qualification_setup.call_script_set(
                    team=team, stage="first_call", title=script["title"], text=script["text"], steps=script["steps"]
                )
            )
        _kit, changes = sales_setup.kit_publish(
            title=preset["visit_form"]["title"], fields=preset["visit_form"]["fields"]
        )
        add(changes)
        add(sales_setup.objection_tags_sync(items=preset["objection_tags"]))
        add(bonus_plans_sync(plans=preset["bonus_plans"], valid_from=plans_from or date.today()))
    return summary


def _teams(specs, add):
    if specs:
        sales = []
        for spec in specs:
            if spec.kind == Team.Kind.SALES:
                team, changes = leadflow_setup.team_ensure(name=spec.name, kind=Team.Kind.SALES)
                sales.append(team)
                add(changes)
        qualification = []
        for spec in specs:
            if spec.kind == Team.Kind.QUALIFICATION:
                team, changes = leadflow_setup.team_ensure(
                    name=spec.name, kind=Team.Kind.QUALIFICATION, sales_team=sales[0] if sales else None
                )
                qualification.append(team)
                add(changes)
        return qualification, sales
    active = Team.objects.filter(is_active=True)
    qualification = list(active.filter(kind=Team.Kind.QUALIFICATION))
    sales = list(active.filter(kind=Team.Kind.SALES))
    if not sales:
        team, changes = leadflow_setup.team_ensure(name=DEFAULT_TEAMS[Team.Kind.SALES], kind=Team.Kind.SALES)
        sales, _ = [team], add(changes)
    if not qualification:
        team, changes = leadflow_setup.team_ensure(
            name=DEFAULT_TEAMS[Team.Kind.QUALIFICATION], kind=Team.Kind.QUALIFICATION, sales_team=sales[0]
        )
        qualification, _ = [team], add(changes)
    return qualification, sales
