"""The criteria checklist: clean and evaluate answers, store them, refresh `criteria_passed`."""

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from leadflow import access
from leadflow.models import Lead, LeadEvent, LeadStatus
from leadflow.services import history_record, lock_lead

from .. import selectors
from ..exceptions import TransitionRefused
from ..models import Criterion, LeadAnswer


def criterion_clean_value(criterion: Criterion, raw):
    """The stored (JSON) form of an answer, or None when empty. Raises ValueError on bad input."""
    if raw is None or raw == "":
        return None
    if criterion.kind == Criterion.Kind.CHOICE:
        values = {str(option.get("value")) for option in criterion.options}
        if str(raw) not in values:
            raise ValueError(_("Choose one of the options."))
        return str(raw)
    if criterion.kind == Criterion.Kind.NUMBER:
        try:
            number = Decimal(str(raw).replace(" ", "").replace("\u00a0", "").replace(",", "."))
        except InvalidOperation:
            raise ValueError(_("Enter a number.")) from None
        if not number.is_finite():
            raise ValueError(_("Enter a number."))
        error = criterion.range_error(number)
        if error:
            raise ValueError(error)
        return int(number) if number == number.to_integral_value() else float(number)
    if criterion.kind == Criterion.Kind.YES_NO:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in {"yes", "true", "1", "on", "да"}:
            return True
        if text in {"no", "false", "0", "off", "нет"}:
            return False
        raise ValueError(_("Answer yes or no."))
    raise ValueError(f"unknown criterion kind {criterion.kind}")


def criterion_evaluate(criterion: Criterion, value) -> bool:
    """The criterion's pass rule applied to a cleaned answer."""
    if value is None:
        return False
    if criterion.kind == Criterion.Kind.CHOICE:
        return any(str(o.get("value")) == str(value) and o.get("passes", False) for o in criterion.options)
    if criterion.kind == Criterion.Kind.NUMBER:
        number = Decimal(str(value))
        if criterion.range_error(number):
            return False  # a typing error (an answer stored before the range existed) never passes
        if criterion.min_value is not None and number < criterion.min_value:
            return False
        return not (criterion.max_value is not None and number > criterion.max_value)
    if criterion.kind == Criterion.Kind.YES_NO:
        return bool(value) == criterion.pass_if_yes
    return False


def lead_answers_save(*, lead_id: int, actor, answers: dict) -> Lead:
    """Store answers to the team's active checklist (keyed by criterion code) and re-evaluate the lead.

    Each answer keeps the checklist version it was asked in; answers to older versions are never
    touched. `Lead.criteria_passed` becomes True when every required criterion of the active
    checklist has a passing answer. An empty value removes that answer.
    """
    with transaction.atomic(durable=True):
        lead = lock_lead(lead_id)
        access.ensure_holder(lead=lead, actor=actor)
        if lead.status != LeadStatus.QUALIFYING:
            raise TransitionRefused(_("Answers can be changed only while the lead is in qualification."))
        checklist = selectors.active_checklist(team_id=lead.qualification_team_id)
        if checklist is None:
            raise TransitionRefused(_("The team has no active criteria checklist: ask the admin to activate one."))
        criteria = {c.code: c for c in checklist.criteria.all()}
        unknown = set(answers) - set(criteria)
        if unknown:
            raise TransitionRefused(_("Unknown criteria: %s") % ", ".join(sorted(unknown)))
        now = timezone.now()
        changed = []
        for code, raw in answers.items():
            criterion = criteria[code]
            try:
                value = criterion_clean_value(criterion, raw)
            except ValueError as exc:
                raise TransitionRefused(f"{criterion.question}: {exc}") from None
            if value is None:
                LeadAnswer.objects.filter(lead=lead, criterion=criterion).delete()
                continue
            passed = criterion_evaluate(criterion, value)
            answer, created = LeadAnswer.objects.get_or_create(
                lead=lead,
                criterion=criterion,
                defaults={
                    "checklist_version": checklist.version,
                    "value": value,
                    "passed": passed,
                    "answered_by": actor,
                    "answered_at": now,
                },
            )
            if created or answer.value != value:
                if not created:
                    answer.value, answer.passed, answer.answered_by, answer.answered_at = value, passed, actor, now
                    answer.checklist_version = checklist.version
                    answer.save()
                # the question people read, never the criterion's code: "Бюджет на кухню: 150 000 ✗"
                changed.append(
                    f"{criterion.question.rstrip('?')}: {_display(criterion, value)}{'' if passed else ' ✗'}"
                )
        lead = _criteria_refresh(lead=lead, checklist=checklist)
        lead.last_activity_at = now
        lead.save(update_fields=["last_activity_at", "updated_at"])
        if changed:
            history_record(
                lead=lead,
                actor=actor,
                event=LeadEvent.CHECKLIST_ANSWERED,
                description=_("Checklist v%(version)s: %(answers)s")
                % {"version": checklist.version, "answers": "; ".join(changed)},
                at=now,
            )
        return lead


def _criteria_refresh(*, lead, checklist):
    state = selectors.checklist_state(lead=lead, checklist=checklist)
    if lead.criteria_passed != state.all_pass:
        Lead.objects.filter(pk=lead.pk).update(criteria_passed=state.all_pass)
        lead.criteria_passed = state.all_pass
    return lead


def _display(criterion, value):
    return selectors.answer_display(criterion, value)


# --- a new version of the checklist (a criteria rule promoted on the criteria report) ---------------

STEP = Decimal("0.01")  # the precision of Criterion.min_value / max_value


def checklist_version_create(*, team_id: int, actor, criterion_code: str, fail: dict, note: str):
    """Copy the team's active checklist into a new, active version in which the answers `fail`
    describes no longer pass the criterion `criterion_code`, and deactivate the old one.

    `fail` is one of {"below": n} (answers < n fail), {"below_or_equal": n}, {"above": n},
    {"above_or_equal": n} for a number, {"values": [...]} for a choice (those options stop passing)
    or a yes/no ([True] or [False]: that answer stops passing). The changed criterion becomes required,
    so a failing answer keeps the lead from being qualified. Answers already given keep the version
    they were asked in (their criterion rows stay with the old version). Returns the new checklist.
    Not durable: the criteria report's promotion records its rule in the same transaction.
    """
    from ..models import Checklist

    access_director(actor)
    with transaction.atomic():
        old = Checklist.objects.select_for_update().filter(team_id=team_id, is_active=True).first()
        if old is None:
            raise TransitionRefused(_("The team has no active criteria checklist."))
        if not old.criteria.filter(code=criterion_code).exists():
            raise TransitionRefused(_("The active checklist has no such question."))
        Checklist.objects.filter(pk=old.pk).update(is_active=False)
        return checklist_copy(
            checklist=old, actor=actor, active=True, note=note, edit={criterion_code: lambda c: _make_fail(c, fail)}
        )


def checklist_copy(*, checklist, actor=None, active=False, note="", edit=None):
    """A new version of `checklist`'s team (the next number) with a copy of every criterion, each passed
    through `edit[code]` when given. The caller holds the transaction (and deactivates the old one when
    `active`). Used by the criteria report's promotion and the admin's "copy as a new version"."""
    from ..models import Checklist

    latest = Checklist.objects.filter(team_id=checklist.team_id).aggregate(v=Max("version"))["v"] or 0
    new = Checklist.objects.create(
        team_id=checklist.team_id,
        version=latest + 1,
        title=checklist.title,
        is_active=active,
        created_by=actor,
        based_on=checklist,
        change_note=note[:500],
    )
    for criterion in list(checklist.criteria.order_by("position", "pk")):
        criterion.pk = None
        criterion.checklist = new
        if edit and criterion.code in edit:
            edit[criterion.code](criterion)
        criterion.save()
    return new


def access_director(actor):
    if not access.is_director(actor):
        raise access.PermissionRefused(_("Only the director changes the qualification criteria."))


def _make_fail(criterion, fail):
    kind = criterion.kind
    criterion.required = True
    if kind == Criterion.Kind.NUMBER and {"below", "below_or_equal"} & set(fail):
        bound = Decimal(str(fail.get("below", fail.get("below_or_equal"))))
        bound = bound if "below" in fail else bound + STEP
        criterion.min_value = bound if criterion.min_value is None else max(criterion.min_value, bound)
    elif kind == Criterion.Kind.NUMBER and {"above", "above_or_equal"} & set(fail):
        bound = Decimal(str(fail.get("above", fail.get("above_or_equal"))))
        bound = bound if "above" in fail else bound - STEP
        criterion.max_value = bound if criterion.max_value is None else min(criterion.max_value, bound)
    elif kind == Criterion.Kind.CHOICE and "values" in fail:
        failing = {str(value) for value in fail["values"]}
        criterion.options = [
            {**option, "passes": option.get("passes", False) and str(option.get("value")) not in failing}
            for option in criterion.options
        ]
    elif kind == Criterion.Kind.YES_NO and fail.get("values") in ([True], [False]):
        criterion.pass_if_yes = not fail["values"][0]
    else:
        raise TransitionRefused(_("This rule cannot be written as a pass rule of the question."))
