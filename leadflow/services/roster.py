"""The roster (who is on shift when): writes by the team's qualification lead or the director."""

from django.db import transaction
from django.utils.translation import gettext as _

from .. import access
from ..exceptions import LeadflowError
from ..models import Profile, Shift


class ShiftRefused(LeadflowError):
    pass


def _check(*, team, user, starts_at, ends_at):
    if ends_at <= starts_at:
        raise ShiftRefused(_("A shift must end after it starts."))
    if not Profile.objects.filter(user=user, team=team, user__is_active=True).exists():
        raise ShiftRefused(_("Only an active member of the team can be put on its shifts."))


@transaction.atomic
def shift_create(*, actor, team, user, weekday, starts_at, ends_at):
    access.ensure_may_plan_team(team=team, actor=actor)
    _check(team=team, user=user, starts_at=starts_at, ends_at=ends_at)
    return Shift.objects.create(team=team, user=user, weekday=weekday, starts_at=starts_at, ends_at=ends_at)


@transaction.atomic
def shift_update(*, actor, shift, weekday, starts_at, ends_at):
    shift = Shift.objects.select_for_update().select_related("team").get(pk=shift.pk)
    access.ensure_may_plan_team(team=shift.team, actor=actor)
    _check(team=shift.team, user=shift.user, starts_at=starts_at, ends_at=ends_at)
    shift.weekday, shift.starts_at, shift.ends_at = weekday, starts_at, ends_at
    shift.save(update_fields=["weekday", "starts_at", "ends_at"])
    return shift


@transaction.atomic
def shift_delete(*, actor, shift):
    access.ensure_may_plan_team(team=shift.team, actor=actor)
    shift.delete()
    return shift
