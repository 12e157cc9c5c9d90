"""Teams (qualification / sales) with their working hours and policies, and people's profiles."""

from datetime import time

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Team(models.Model):
    class Kind(models.TextChoices):
        QUALIFICATION = "qualification", _("Qualification")
        SALES = "sales", _("Sales")

    class AssignmentStrategy(models.TextChoices):
        LEAST_LOADED = "least_loaded", _("Least open deals (ties by round robin)")
        ROUND_ROBIN = "round_robin", _("Round robin")
        MANUAL = "manual", _("Manual choice by the team lead")

    name = models.CharField(_("name"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Moscow")
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("team lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_teams",
    )
    is_active = models.BooleanField(_("active"), default=True)
    # SLA policy (qualification teams): counted in working hours of this team.
    sla_warn_minutes = models.PositiveIntegerField(
        _("SLA warning after, minutes"), default=15, validators=[MinValueValidator(1)]
    )
    sla_breach_minutes = models.PositiveIntegerField(
        _("SLA breach after, minutes"), default=20, validators=[MinValueValidator(1)]
    )
    reassign_on_breach = models.BooleanField(_("reassign on breach"), default=False)
    skip_public_holidays = models.BooleanField(_("closed on Russian public holidays"), default=True)
    claim_lease_minutes = models.PositiveIntegerField(
        _("claim lease, minutes without activity"), default=30, validators=[MinValueValidator(1)]
    )
    max_failed_attempts = models.PositiveIntegerField(
        _("failed call attempts before 'unreachable'"), default=3, validators=[MinValueValidator(1)]
    )
    # Hand-off (the qualification team hands to this sales team).
    sales_team = models.ForeignKey(
        "self",
        verbose_name=_("hands off to sales team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feeding_teams",
        limit_choices_to={"kind": "sales"},
    )
    assignment_strategy = models.CharField(
        _("hand-off assignment"),
        max_length=20,
        choices=AssignmentStrategy.choices,
        default=AssignmentStrategy.LEAST_LOADED,
    )
    acceptance_window_minutes = models.PositiveIntegerField(
        _("acceptance window, working minutes"), default=120, validators=[MinValueValidator(1)]
    )
    round_robin_pointer = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sla_breach_minutes__gte=models.F("sla_warn_minutes")),
                name="team_breach_after_warning",
            )
        ]

    def __str__(self):
        return self.name

    @property
    def time_zone_label(self):
        """The time zone as people read it ("Москва (UTC+3)"), never the tz database name."""
        from ..workhours import time_zone_label

        return time_zone_label(self.time_zone)


class WorkingHours(models.Model):
    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    team = models.ForeignKey(Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens_at = models.TimeField(_("opens at"), default=time(9))
    closes_at = models.TimeField(_("closes at"), default=time(21))

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        ordering = ["team", "weekday"]
        constraints = [
            models.UniqueConstraint(fields=["team", "weekday"], name="one_window_per_weekday"),
            models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")), name="closes_after_opens"),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}–{self.closes_at:%H:%M}"


class Profile(models.Model):
    """A person's place in the company. Roles are Django groups (see leadflow.roles)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="profile"
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    is_available = models.BooleanField(
        _("available"), default=True, help_text=_("Untick for vacation or sick leave: no new leads.")
    )
    phone_extension = models.CharField(_("phone extension"), max_length=20, blank=True)
    last_assigned_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self):
        return str(self.user)


class Shift(models.Model):
    """The roster: a qualifier on shift every week on `weekday` from `starts_at` to `ends_at` (team time).

    A weekly pattern, not dated rows: it is what a qualification lead keeps up to date, and what the
    staffing planner compares with the hours the team's history needs (docs/staffing.md)."""

    team = models.ForeignKey(Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="shifts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("qualifier"), on_delete=models.CASCADE, related_name="shifts"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=WorkingHours.Weekday.choices)
    starts_at = models.TimeField(_("starts at"))
    ends_at = models.TimeField(_("ends at"))

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        ordering = ["team", "weekday", "starts_at", "user"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="shift_ends_after_start"),
        ]

    def __str__(self):
        return f"{self.user} {self.get_weekday_display()} {self.starts_at:%H:%M}–{self.ends_at:%H:%M}"
