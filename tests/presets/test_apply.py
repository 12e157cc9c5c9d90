"""manage.py apply_preset: the kitchen default is the fresh installation, other presets version the
checklist and the visit form, deactivate reasons, and a second run changes nothing."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from leadflow import vertical
from leadflow.models import Reason, Team, WorkingHours
from presets import schema
from presets.services import TeamSpec, preset_apply
from qualification.models import CallScript, Checklist, LeadAnswer, ScriptStep
from reports.models import BonusPlan
from sales.models import MeasurementKit, ObjectionTag
from sales.scheduling import visit_minutes
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def snapshot():
    return {
        "reasons": sorted(Reason.objects.values_list("kind", "code", "title", "is_active", "position")),
        "checklists": sorted(Checklist.objects.values_list("team_id", "version", "title", "is_active")),
        "scripts": sorted(CallScript.objects.values_list("team_id", "title", "version", "is_active")),
        "steps": sorted(ScriptStep.objects.values_list("script_id", "code", "title", "hint")),
        "kits": sorted(MeasurementKit.objects.values_list("version", "title", "is_active")),
        "tags": sorted(ObjectionTag.objects.values_list("code", "is_active")),
        "plans": sorted(BonusPlan.objects.values_list("name", "fixed_monthly", "valid_from", "valid_to")),
        "hours": sorted(WorkingHours.objects.values_list("team_id", "weekday", "opens_at", "closes_at")),
        "teams": sorted(
            Team.objects.values_list("name", "sla_warn_minutes", "sla_breach_minutes", "acceptance_window_minutes")
        ),
    }


def apply(name):
    out = StringIO()
    call_command("apply_preset", name, stdout=out)
    return out.getvalue()


def test_kitchens_is_the_fresh_installation_itself():
    """The reference data a fresh install has is exactly the kitchen preset: applying it changes nothing
    but recording the business profile."""
    before = snapshot()
    summary = preset_apply(name="kitchens")
    assert snapshot() == before
    assert len(summary.changes) == 1 and "Кухни на заказ" in summary.changes[0]  # the profile row only


def test_clinic_versions_checklist_and_form_and_deactivates_kitchen_reasons():
    team = Team.objects.get(name="Квалификация")
    old = Checklist.objects.get(team=team, is_active=True)
    lead = LeadFactory(qualification_team=team)
    criterion = old.criteria.get(code="budget")
    LeadAnswer.objects.create(lead=lead, criterion=criterion, checklist_version=1, value=300000, passed=True)

    output = apply("clinic")

    assert "Частная клиника" in output
    active = Checklist.objects.get(team=team, is_active=True)
    assert (active.version, active.title) == (2, "Стоматология: имплантация и протезирование")
    assert list(active.criteria.values_list("code", flat=True))[:1] == ["service_type"]
    old.refresh_from_db()
    assert not old.is_active and old.criteria.count() == 6  # history stays
    assert LeadAnswer.objects.filter(lead=lead, criterion=criterion).exists()
    assert Reason.objects.get(kind="disqualify", code="modular").is_active is False
    assert Reason.objects.get(kind="disqualify", code="oms_only").is_active is True
    assert Reason.objects.filter(kind="disqualify", is_active=True).count() == 8
    assert Reason.objects.filter(code="modular").exists()  # deactivated, never deleted
    kit = MeasurementKit.objects.get(team__isnull=True, is_active=True)
    assert (kit.version, kit.title) == (2, "Первичный приём")
    assert MeasurementKit.objects.filter(version=1, is_active=False).exists()
    script = CallScript.objects.get(team=team, stage="first_call", is_active=True)
    assert script.title == "Первый звонок пациенту"
    assert CallScript.objects.filter(team=team, is_active=False).count() == 1
    assert (Team.objects.get(pk=team.pk).sla_warn_minutes, Team.objects.get(pk=team.pk).sla_breach_minutes) == (10, 15)
    profile = vertical.current()
    assert (profile.code, profile.visit_name, profile.visit_minutes) == ("clinic", "Первичный приём", 60)
    assert visit_minutes() == 60


def test_applying_twice_changes_nothing_the_second_time():
    apply("realty")
    after_first = snapshot()
    output = apply("realty")
    assert "already applied, nothing changed" in output
    assert snapshot() == after_first


def test_switching_back_to_kitchens_reactivates_and_versions_again():
    apply("b2b")
    apply("kitchens")
    team = Team.objects.get(name="Квалификация")
    assert Checklist.objects.get(team=team, is_active=True).version == 3
    assert Reason.objects.get(kind="disqualify", code="modular").is_active is True
    assert Reason.objects.get(kind="disqualify", code="too_small").is_active is False
    assert vertical.current().visit_name == "Замер"


def test_changed_bonus_plan_ends_the_old_one_the_day_before():
    preset_apply(name="clinic", plans_from=date(2026, 6, 1))
    old = BonusPlan.objects.get(name="Квалификатор: оклад + бонус за сделку", fixed_monthly=35000)
    new = BonusPlan.objects.get(name="Квалификатор: оклад + бонус за сделку", fixed_monthly=40000)
    assert (old.valid_to, new.valid_from, new.valid_to) == (date(2026, 5, 31), date(2026, 6, 1), None)


def test_wizard_teams_are_created_with_their_hours():
    summary = preset_apply(
        name="clinic",
        teams=[
            TeamSpec("qualification", "Колл-центр (Тверь)", (0, 1, 2, 3, 4), "08:00", "20:00"),
            TeamSpec("sales", "Клиника на Профсоюзной", (0, 1, 2, 3, 4, 5), "09:00", "21:00"),
        ],
    )
    assert any(change.endswith(": Колл-центр (Тверь)") for change in summary.changes)  # team created
    callcentre = Team.objects.get(name="Колл-центр (Тверь)")
    assert callcentre.kind == "qualification" and callcentre.sales_team.name == "Клиника на Профсоюзной"
    assert sorted(callcentre.working_hours.values_list("weekday", flat=True)) == [0, 1, 2, 3, 4]
    assert Checklist.objects.get(team=callcentre, is_active=True).version == 1


def test_unknown_preset_is_refused():
    with pytest.raises(CommandError, match="unknown preset 'dentist'"):
        apply("dentist")


@pytest.mark.parametrize("name", ["kitchens", "clinic", "realty", "b2b"])
def test_every_shipped_preset_is_valid(name):
    assert schema.load(name)["code"] == name


def test_the_preset_script_is_a_new_version_with_its_steps_and_old_reviews_keep_theirs():
    """The steps a reviewer ticks come with the preset (issue 16 §4); the kitchen version stays as it was."""
    team = Team.objects.get(kind=Team.Kind.QUALIFICATION)
    kitchen = CallScript.objects.get(team=team, stage="first_call", is_active=True)
    kitchen_steps = list(kitchen.steps.values_list("code", flat=True))
    apply("clinic")
    clinic = CallScript.objects.get(team=team, stage="first_call", is_active=True)
    wanted = [step["code"] for step in schema.load("clinic")["call_script"]["steps"]]
    assert clinic.version == kitchen.version + 1
    assert list(clinic.steps.order_by("position").values_list("code", flat=True)) == wanted
    kitchen.refresh_from_db()
    assert not kitchen.is_active and list(kitchen.steps.values_list("code", flat=True)) == kitchen_steps
