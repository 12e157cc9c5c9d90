"""Shared factories. Build state with real services where the feature is about the transition."""

from datetime import time

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from leadflow import roles
from leadflow.models import Lead, Profile, Reason, Source, Team, WorkingHours


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")
    kind = Team.Kind.QUALIFICATION
    time_zone = "Europe/Moscow"


def qualification_team(name="Квалификация", **kwargs):
    """The default team from the reference-data migration (24/7 unless hours are given)."""
    team = Team.objects.get(name=name) if Team.objects.filter(name=name).exists() else TeamFactory(name=name)
    for key, value in kwargs.items():
        setattr(team, key, value)
    team.save()
    return team


def sales_team(name="Продажи (Москва)"):
    team = Team.objects.filter(name=name).first() or TeamFactory(name=name, kind=Team.Kind.SALES)
    return team


def set_hours(team, hours):
    """hours: {weekday: (opens, closes)} with 'HH:MM' strings; replaces the team's calendar."""
    team.working_hours.all().delete()
    for weekday, (opens, closes) in hours.items():
        WorkingHours.objects.create(
            team=team, weekday=weekday, opens_at=time.fromisoformat(opens), closes_at=time.fromisoformat(closes)
        )


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="ru_RU")
    last_name = factory.Faker("last_name", locale="ru_RU")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pass")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=extracted))
        self.save()

    @factory.post_generation
    def team(self, create, extracted, **kwargs):
        Profile.objects.update_or_create(user=self, defaults={"team": extracted})


def make_user(role, team=None, **kwargs):
    if team is None:
        team = sales_team() if role in (roles.SALES_REP, roles.SALES_MANAGER) else qualification_team()
    return UserFactory(role=role, team=team, **kwargs)


def source(code="website"):
    return Source.objects.get(code=code)


def reason(kind, code):
    return Reason.objects.get(kind=kind, code=code)


class LeadFactory(factory.django.DjangoModelFactory):
    """A bare lead row. For intake behaviour use leadflow.services.lead_receive instead."""

    class Meta:
        model = Lead

    name = factory.Faker("name", locale="ru_RU")
    phone = factory.Sequence(lambda n: f"+7912{n:07d}")
    source = factory.LazyFunction(lambda: Source.objects.get(code="website"))
    qualification_team = factory.LazyFunction(qualification_team)
    received_at = factory.LazyFunction(timezone.now)
    product_interest = "custom"


# --- qualification workspace helpers (queue) ------------------------------------------------------

KITCHEN_PASSING_ANSWERS = {
    "product_type": "custom",
    "need_confirmed": "yes",
    "budget": "400000",
    "timeline": "3",
    "region_served": "yes",
    "decision_maker": "yes",
}


def kitchen_checklist():
    """The seeded kitchen checklist v1 of the default team (re-seeded after a flush)."""
    from django.apps import apps

    from qualification.models import Checklist
    from qualification.reference import ensure_kitchen_checklist

    qualification_team()
    ensure_kitchen_checklist(apps.get_model)
    return Checklist.objects.get(team__name="Квалификация", version=1)


def queue_lead(*, minutes_ago=0, warn_minutes=15, breach_minutes=20, **kwargs):
    """A new lead received `minutes_ago` with SLA deadlines at +warn/+breach minutes (24/7 team)."""
    from datetime import timedelta

    received = kwargs.pop("received_at", None) or timezone.now() - timedelta(minutes=minutes_ago)
    kwargs.setdefault("sla_warn_at", received + timedelta(minutes=warn_minutes))
    kwargs.setdefault("sla_breach_at", received + timedelta(minutes=breach_minutes))
    return LeadFactory(received_at=received, **kwargs)
