"""Writes on a deal after the hand-off: measurement, won, lost, reassignment, return to qualification."""

from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from leadflow import access, links
from leadflow.models import HandoffState, Lead, LeadEvent, LeadStatus, Notification, Reason
from leadflow.services import history_record, lead_transition, lock_lead, notification_send
from leadflow.workhours import WorkCalendar
from qualification.services import eligible_sales_reps

from .. import sanity
from ..exceptions import EntryRefused, PermissionRefused, TransitionRefused, UnusualAmount
from ..models import DealCorrection, Measurement, ObjectionTag, Visit
from .common import person_name, sales_team_of
from .photos import photos_discard, photos_store
from .visits import visit_move_with_deal_locked


def _close_open_visits(*, lead, status, at):
    """Visits still booked when a deal leaves the rep's hands are cancelled (measured: done)."""
    return Visit.objects.filter(lead=lead, status=Visit.Status.SCHEDULED).update(
        status=status, status_changed_at=at, updated_at=at, sequence=F("sequence") + 1
    )


def lead_record_measurement(
    *,
    lead_id: int,
    actor,
    quote_amount: Decimal,
    objections=(),
    objection_note: str = "",
    next_step: str = "",
    next_step_due=None,
    note: str = "",
    kit=None,
    values=None,
    photos=(),
    submission_key=None,
) -> Lead:
    """The rep was at the client's: the room measured with `kit` (`values` by field code), photos and
    sketches (`sales.photos.CleanPhoto`), quote (₽), objections as tags with a note, the next step.

    Not before the booked visit has started, and the next step is not due in the past. A repeated
    `submission_key` (the same form sent twice) records nothing and returns the lead as it is.
    """
    written = []
    try:
        return _record_measurement(
            lead_id=lead_id,
            actor=actor,
            quote_amount=quote_amount,
            objections=objections,
            objection_note=objection_note,
            next_step=next_step,
            next_step_due=next_step_due,
            note=note,
            kit=kit,
            values=values,
            photos=photos,
            submission_key=submission_key,
            written=written,
        )
    except BaseException:
        photos_discard(written)
        raise


def _record_measurement(
    *,
    lead_id,
    actor,
    quote_amount,
    objections,
    objection_note,
    next_step,
    next_step_due,
    note,
    kit,
    values,
    photos,
    submission_key,
    written,
):
    with transaction.atomic():
        lead = lock_lead(lead_id)
        access.ensure_deal_owner(lead=lead, actor=actor)
        if submission_key is not None and Measurement.objects.filter(lead=lead, submission_key=submission_key).exists():
            return lead

        def prepare(locked):
            locked.quote_amount = quote_amount

        now = timezone.now()
        if next_step_due is not None and next_step_due < timezone.localdate(now):
            raise EntryRefused(_("The next step cannot be due in the past."), field="next_step_due")
        booked = Visit.objects.filter(lead=lead, status=Visit.Status.SCHEDULED).order_by("starts_at").first()
        if booked is not None and booked.starts_at > now and lead.status == LeadStatus.HANDED_OFF:
            raise EntryRefused(
                _("The measurement cannot be recorded before the visit has started (%(when)s).")
                % {"when": date_format(timezone.localtime(booked.starts_at), "D d.m H:i").lower()}
            )
        visit = booked or Visit.objects.filter(lead=lead, status=Visit.Status.DONE).order_by("-starts_at").first()
        description = note or (
            _("Quote %(amount)s ₽") % {"amount": sanity.grouped(quote_amount)} if quote_amount else ""
        )
        lead = lead_transition(
            lead=lead, name="record_measurement", actor=actor, prepare=prepare, description=description, at=now
        )
        measurement = Measurement.objects.create(
            lead=lead,
            visit=visit,
            quote_amount=quote_amount,
            objection_note=objection_note,
            next_step=next_step,
            next_step_due=next_step_due,
            recorded_by=actor,
            recorded_at=now,
            kit=kit,
            values=values or {},
            submission_key=submission_key,
        )
        photos_store(lead=lead, measurement=measurement, photos=photos, actor=actor, at=now, written=written)
        tags = [tag for tag in objections if isinstance(tag, ObjectionTag)] or list(
            ObjectionTag.objects.filter(code__in=[code for code in objections if isinstance(code, str)])
        )
        measurement.objections.set(tags)
        _close_open_visits(lead=lead, status=Visit.Status.DONE, at=now)
        return lead


def lead_win(
    *, lead_id: int, actor, deal_amount: Decimal, deal_date, note: str = "", confirm_unusual_amount: bool = False
) -> Lead:
    """Won: the contract's amount and date. An amount far from the quote needs `confirm_unusual_amount`;
    the date is neither in the future nor long before the measurement (`sales.sanity`)."""
    with transaction.atomic():
        lead = lock_lead(lead_id)
        access.ensure_deal_owner(lead=lead, actor=actor)
        if lead.status == LeadStatus.MEASURED:
            _ensure_sane_win(lead=lead, deal_amount=deal_amount, deal_date=deal_date, confirmed=confirm_unusual_amount)

        def prepare(locked):
            locked.deal_amount = deal_amount
            locked.deal_date = deal_date
            locked.outcome_note = note

        return lead_transition(
            lead=lead,
            name="win",
            actor=actor,
            prepare=prepare,
            description=_("Contract %(amount)s ₽") % {"amount": sanity.grouped(deal_amount or 0)},
        )


def _ensure_sane_win(*, lead, deal_amount, deal_date, confirmed):
    if deal_date is not None:
        if deal_date > timezone.localdate():
            raise EntryRefused(_("The contract date cannot be in the future."), field="deal_date")
        if lead.measured_at is not None:
            earliest = sanity.earliest_contract_date(timezone.localdate(lead.measured_at))
            if deal_date < earliest:
                raise EntryRefused(
                    _("The contract date cannot be more than %(days)s days before the measurement (%(date)s).")
                    % {"days": sanity.contract_days_before_measurement(), "date": date_format(earliest, "d.m.Y")},
                    field="deal_date",
                )
    if deal_amount and not confirmed and sanity.is_unusual_amount(deal_amount, lead.quote_amount):
        ratio = sanity.amount_ratio(deal_amount, lead.quote_amount)
        raise UnusualAmount(
            ngettext(
                "The amount %(amount)s differs a lot from the quote %(quote)s (%(times)s time). "
                "Check the amount or confirm it.",
                "The amount %(amount)s differs a lot from the quote %(quote)s (%(times)s times). "
                "Check the amount or confirm it.",
                int(ratio.to_integral_value()),
            )
            % {
                "amount": sanity.rubles(deal_amount),
                "quote": sanity.rubles(lead.quote_amount),
                "times": sanity.times(ratio),
            },
            field="deal_amount",
        )


def lead_lose(*, lead_id: int, actor, reason: Reason, competitor: str = "", note: str = "") -> Lead:
    """Lost, with a reason from the list; allowed before the visit too (the client refused)."""
    if reason is None or reason.kind != Reason.Kind.LOSE:
        raise TransitionRefused(_("Choose the reason the deal was lost."))
    with transaction.atomic():
        lead = lock_lead(lead_id)
        access.ensure_deal_owner(lead=lead, actor=actor)

        def prepare(locked):
            locked.lose_reason = reason
            locked.competitor = competitor.strip()
            locked.outcome_note = note

        parts = [reason.title, competitor.strip() and _("competitor: %(name)s") % {"name": competitor.strip()}, note]
        lead = lead_transition(
            lead=lead,
            name="lose",
            actor=actor,
            prepare=prepare,
            description=". ".join(part for part in parts if part),
        )
        _close_open_visits(lead=lead, status=Visit.Status.CANCELLED, at=lead.closed_at)
        return lead


def _return_to_qualification_locked(*, lead, actor, note: str = "") -> Lead:
    """The transition on an already locked lead (used by arbitration inside its own transaction)."""
    lead = lead_transition(lead=lead, name="return_to_qualification", actor=actor, description=note)
    _close_open_visits(lead=lead, status=Visit.Status.CANCELLED, at=timezone.now())
    return lead


def deal_reassign(*, lead_id: int, actor, sales_rep, note: str = "", visit_starts_at=None) -> Lead:
    """The sales manager moves an open deal to another rep (vacation, sick leave, load).

    A booked visit moves with the deal only into a free time of the new rep: at its own time, or at
    `visit_starts_at` the manager picked from the new rep's free slots (`VisitClash` offers them).
    A hand-off still awaiting acceptance gets a fresh window.
    """
    if not access.is_board_manager(actor):
        raise PermissionRefused(_("Only the sales manager can reassign deals."))
    with transaction.atomic():
        lead = lock_lead(lead_id)
        if lead.status not in (LeadStatus.HANDED_OFF, LeadStatus.MEASURED):
            raise TransitionRefused(_("Only an open deal (handed off or measured) can be reassigned."))
        team = sales_team_of(lead)
        if sales_rep is None or not eligible_sales_reps(sales_team=team).filter(pk=sales_rep.pk).exists():
            raise TransitionRefused(_("Choose an active, available sales rep of %(team)s.") % {"team": team})
        if sales_rep.pk == lead.sales_rep_id:
            raise TransitionRefused(_("The deal is already with %(rep)s.") % {"rep": person_name(sales_rep)})
        previous = lead.sales_rep
        now = timezone.now()
        visit_move_with_deal_locked(lead=lead, rep=sales_rep, actor=actor, starts_at=visit_starts_at, now=now)
        lead.sales_rep = sales_rep
        fields = ["sales_rep", "updated_at"]
        if lead.status == LeadStatus.HANDED_OFF and lead.handoff_state == HandoffState.PENDING:
            lead.acceptance_due_at = WorkCalendar.for_team(team).add_working_minutes(
                now, team.acceptance_window_minutes
            )
            lead.acceptance_overdue_notified_at = None
            fields += ["acceptance_due_at", "acceptance_overdue_notified_at"]
        lead.save(update_fields=fields)
        description = _("From %(old)s to %(new)s") % {"old": person_name(previous), "new": person_name(sales_rep)}
        if note:
            description = f"{description}. {note}"
        history_record(lead=lead, actor=actor, event=LeadEvent.REASSIGNED, description=description, at=now)
        notification_send(
            recipient=sales_rep,
            kind=Notification.Kind.REASSIGNED,
            lead=lead,
            text=_("Deal %(lead)s reassigned to you by %(manager)s") % {"lead": lead, "manager": person_name(actor)},
            url=links.deal_url(lead.pk),
            dedupe_key=f"reassigned:{lead.pk}:{sales_rep.pk}:{now.timestamp():.0f}",
        )
        return lead


# --- corrections of a closed deal (issue 13 §1): the sales manager or director, with a reason -------


def _day(value):
    return value.strftime("%d.%m.%Y") if value else "—"


def _correction_record(*, lead, actor, at, field, old, new, reason):
    return DealCorrection.objects.create(
        lead=lead,
        actor=actor,
        at=at,
        field=field,
        old_value="" if old is None else str(old),
        new_value="" if new is None else str(new),
        reason=reason,
        deal_closed_at=lead.closed_at,
        sales_rep_id=lead.sales_rep_id,
    )


def _reason_required(reason):
    reason = (reason or "").strip()
    if not reason:
        raise TransitionRefused(_("Give the reason for the correction."))
    return reason


def deal_correct(*, lead_id: int, actor, amount: Decimal | None = None, deal_date=None, reason: str) -> Lead:
    """The sales manager (or director) corrects a closed deal's amount and/or contract date.

    The lead carries the corrected figures, so every report reads them; a DealCorrection row per field
    keeps old → new and why, and one history row says it on the deal page.
    """
    reason = _reason_required(reason)
    with transaction.atomic(durable=True):
        lead = lock_lead(lead_id)
        access.ensure_may_correct_deal(lead=lead, actor=actor)
        if lead.status != LeadStatus.WON:
            raise TransitionRefused(_("Only a won deal's amount and date can be corrected."))
        now = timezone.now()
        parts, fields = [], []
        if amount is not None and amount != lead.deal_amount:
            if amount <= 0:
                raise TransitionRefused(_("The contract amount must be positive."))
            _correction_record(
                lead=lead, actor=actor, at=now, field=DealCorrection.Field.AMOUNT,
                old=lead.deal_amount, new=amount, reason=reason,
            )  # fmt: skip
            parts.append(
                _("Amount: %(old)s → %(new)s") % {"old": sanity.rubles(lead.deal_amount), "new": sanity.rubles(amount)}
            )
            lead.deal_amount = amount
            fields.append("deal_amount")
        if deal_date is not None and deal_date != lead.deal_date:
            # the date rules of a win hold for a correction too; the amount is the manager's, with a reason
            _ensure_sane_win(lead=lead, deal_amount=None, deal_date=deal_date, confirmed=True)
            _correction_record(
                lead=lead, actor=actor, at=now, field=DealCorrection.Field.DATE,
                old=lead.deal_date, new=deal_date, reason=reason,
            )  # fmt: skip
            parts.append(_("Contract date: %(old)s → %(new)s") % {"old": _day(lead.deal_date), "new": _day(deal_date)})
            lead.deal_date = deal_date
            fields.append("deal_date")
        if not fields:
            raise TransitionRefused(_("Nothing to correct: the amount and the date are as they were."))
        lead.save(update_fields=[*fields, "updated_at"])
        parts.append(_("Reason: %(reason)s") % {"reason": reason})
        history_record(lead=lead, actor=actor, event=LeadEvent.DEAL_CORRECTED, description=". ".join(parts), at=now)
        return lead


def deal_reopen(*, lead_id: int, actor, reason: str) -> Lead:
    """A won or lost deal back in work (measured, or handed off if never measured), with a reason.

    A won deal's amount leaves the reports; the DealCorrection row keeps it so that a month already paid
    gets an adjustment line instead of a silent rewrite (reports.economics).
    """
    reason = _reason_required(reason)
    with transaction.atomic(durable=True):
        lead = lock_lead(lead_id)
        access.ensure_may_correct_deal(lead=lead, actor=actor)
        now = timezone.now()
        was_won = lead.status == LeadStatus.WON
        old = lead.deal_amount if was_won else lead.lose_reason
        snapshot = {"closed_at": lead.closed_at, "sales_rep_id": lead.sales_rep_id}
        lead = lead_transition(
            lead=lead, name="reopen", actor=actor, description=_("Reason: %(reason)s") % {"reason": reason}, at=now
        )
        DealCorrection.objects.create(
            lead=lead,
            actor=actor,
            at=now,
            field=DealCorrection.Field.REOPENED,
            old_value="" if old is None else str(old)[:40],
            new_value="0" if was_won else "",
            reason=reason,
            deal_closed_at=snapshot["closed_at"],
            sales_rep_id=snapshot["sales_rep_id"],
        )
        return lead
