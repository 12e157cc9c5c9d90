"""Measurement visits: book (by the rep, the manager or the qualifier during the call), reschedule,
no-show, and the reminders (the rep the evening before, the client's details on the day)."""

from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from leadflow import access, links
from leadflow.models import HandoffState, Lead, LeadEvent, LeadStatus, Notification
from leadflow.services import history_record, lock_lead, notification_send
from leadflow.workhours import WorkCalendar
from qualification.services import eligible_sales_reps, lead_qualify_and_hand_off, lead_send_to_sales

from ..exceptions import TransitionRefused, VisitClash
from ..models import Visit
from ..scheduling import LATE_MAX_MINUTES, clashes, travel_buffer_minutes, visit_minutes, within_working_hours
from ..selectors import visit_free_slots
from .common import person_name, sales_managers, sales_team_of

BOOKABLE_STATUSES = (LeadStatus.QUALIFYING, LeadStatus.QUALIFIED, LeadStatus.HANDED_OFF)


def ensure_may_book(*, lead, actor):
    """The lead can take a booking now (its status), and `actor` may make it (leadflow.access)."""
    if lead.status not in BOOKABLE_STATUSES:
        raise TransitionRefused(
            _("A measurement can only be booked for a lead being qualified or handed off (this one is “%(status)s”).")
            % {"status": lead.get_status_display()}
        )
    access.ensure_may_book(lead=lead, actor=actor)


def _visit_rep(*, lead, rep):
    """The rep of a handed-off deal is fixed; before the hand-off any active, available rep of the team."""
    if lead.status == LeadStatus.HANDED_OFF:
        if rep is not None and rep.pk != lead.sales_rep_id:
            raise TransitionRefused(_("Reassign the deal first: its visits are booked with its rep."))
        return lead.sales_rep
    team = sales_team_of(lead)
    if rep is None or not eligible_sales_reps(sales_team=team).filter(pk=rep.pk).exists():
        raise TransitionRefused(_("Choose an active, available sales rep of %(team)s.") % {"team": team})
    return rep


def _ensure_free(*, rep, team, starts_at, ends_at, ignore_visit_id=None):
    """Re-check the slot under a lock on the rep, so two bookings of one rep never overlap."""
    get_user_model().objects.select_for_update().filter(pk=rep.pk).first()
    if starts_at <= timezone.now():
        raise TransitionRefused(_("Choose a time in the future."))
    calendar = WorkCalendar.for_team(team)
    if not within_working_hours(calendar, starts_at, ends_at):
        raise TransitionRefused(_("The visit must fit in the sales team's working hours."))
    busy = Visit.objects.filter(
        rep=rep,
        status__in=Visit.BUSY_STATUSES,
        starts_at__lt=ends_at + timedelta(days=1),
        ends_at__gt=starts_at - timedelta(days=1),
    ).exclude(pk=ignore_visit_id)
    if clashes(starts_at, ends_at, list(busy.values_list("starts_at", "ends_at"))):
        raise TransitionRefused(
            _("%(rep)s is busy then (another visit plus travel time). Choose a free slot.") % {"rep": person_name(rep)}
        )


def visit_schedule(
    *,
    lead_id: int,
    actor,
    starts_at: datetime,
    address: str = "",
    note: str = "",
    rep=None,
    duration_minutes: int | None = None,
    hand_off: bool = False,
) -> Visit:
    """Book a measurement visit. With `hand_off`, a qualified lead is handed to the visit's rep at once
    (the qualifier books the slot during the call, the client hangs up with a date)."""
    with transaction.atomic():
        lead = lock_lead(lead_id)
        ensure_may_book(lead=lead, actor=actor)
        if lead.handoff_state == HandoffState.DISPUTED:
            raise TransitionRefused(_("The hand-off is disputed: wait for the arbitration before booking."))
        if Visit.objects.filter(lead=lead, status=Visit.Status.SCHEDULED).exists():
            raise TransitionRefused(_("A measurement is already booked for this lead: reschedule it instead."))
        rep = _visit_rep(lead=lead, rep=rep)
        address = (address or lead.address or "").strip()
        if not address:
            raise TransitionRefused(_("Enter the address of the measurement."))
        ends_at = starts_at + timedelta(minutes=duration_minutes or visit_minutes())
        _ensure_free(rep=rep, team=sales_team_of(lead), starts_at=starts_at, ends_at=ends_at)
        visit = Visit.objects.create(
            lead=lead, rep=rep, starts_at=starts_at, ends_at=ends_at, address=address, note=note, booked_by=actor
        )
        history_record(
            lead=lead,
            actor=actor,
            event=LeadEvent.VISIT_SCHEDULED,
            description=_("Measurement booked for %(when)s with %(rep)s, %(address)s")
            % {"when": _when(starts_at), "rep": person_name(rep), "address": address},
        )
        if lead.status in (LeadStatus.QUALIFYING, LeadStatus.QUALIFIED):
            # Booking a rep's slot during the call is the choice of the rep: the hand-off goes to them.
            lead.booked_rep = rep
            lead.save(update_fields=["booked_rep", "updated_at"])
        if hand_off and lead.status == LeadStatus.QUALIFIED:
            lead = lead_send_to_sales(lead_id=lead.pk, actor=actor, note=_("Measurement booked during the call"))
        if lead.status == LeadStatus.HANDED_OFF and actor.pk != rep.pk:
            notification_send(
                recipient=rep,
                kind=Notification.Kind.INFO,
                lead=lead,
                text=_("Measurement booked for you: %(lead)s, %(when)s") % {"lead": lead, "when": _when(starts_at)},
                url=links.deal_url(lead.pk),
                dedupe_key=f"visit-booked:{visit.pk}",
            )
        return visit


def visit_book_and_hand_off(
    *,
    lead_id: int,
    actor,
    starts_at: datetime,
    rep,
    address: str = "",
    note: str = "",
    best_time_to_visit: str = "",
) -> Visit:
    """The qualifier's one flow during the call: book the rep's slot, then qualify (a lead being
    qualified: every required criterion must pass) and hand off to the visit's rep, with `note` as the
    hand-off note. One transaction: a refused qualify leaves no visit behind, a clash no hand-off."""
    with transaction.atomic(durable=True):
        visit = visit_schedule(lead_id=lead_id, actor=actor, starts_at=starts_at, address=address, note=note, rep=rep)
        best_time = best_time_to_visit or _("Measurement booked: %(when)s") % {"when": _when(visit.starts_at)}
        status = Lead.objects.values_list("status", flat=True).get(pk=lead_id)
        if status == LeadStatus.QUALIFYING:
            lead = lead_qualify_and_hand_off(lead_id=lead_id, actor=actor, note=note, best_time_to_visit=best_time)
        elif status == LeadStatus.QUALIFIED:
            lead = lead_send_to_sales(lead_id=lead_id, actor=actor, note=note, best_time_to_visit=best_time)
        else:
            raise TransitionRefused(_("The lead is already handed off: the visit is booked with its rep."))
        if lead.status == LeadStatus.HANDED_OFF:
            notification_send(
                recipient=lead.sales_rep,
                kind=Notification.Kind.INFO,
                lead=lead,
                text=_("Measurement booked for you: %(lead)s, %(when)s") % {"lead": lead, "when": _when(starts_at)},
                url=links.deal_url(lead.pk),
                dedupe_key=f"visit-booked:{visit.pk}",
            )
        visit.lead = lead
        return visit


def visit_move_with_deal_locked(*, lead, rep, actor, starts_at=None, now=None):
    """A reassigned deal's booked visit goes to the new rep (the caller holds the lead's lock).

    Only into a free time of the new rep (their other visits plus the travel buffer, the team's hours):
    at the visit's own time, or at `starts_at` the manager picked. Otherwise `VisitClash` names the
    clash and carries the new rep's free slots to pick from. Returns the visit the deal now has.
    """
    now = now or timezone.now()
    visit = Visit.objects.select_for_update().filter(lead=lead, status=Visit.Status.SCHEDULED).first()
    if visit is None:
        if starts_at is not None:
            raise TransitionRefused(_("The deal has no booked measurement to move."))
        return None
    if starts_at is None and visit.starts_at <= now:
        # under way or missed: nothing to fit into the new rep's calendar
        visit.rep = rep
        visit.sequence += 1  # the calendar feeds: the event changed hands
        visit.save(update_fields=["rep", "sequence", "updated_at"])
        return visit
    team = sales_team_of(lead)
    target = starts_at or visit.starts_at
    ends_at = target + (visit.ends_at - visit.starts_at)
    get_user_model().objects.select_for_update().filter(pk=rep.pk).first()  # two moves into one rep: one waits
    buffer = timedelta(minutes=travel_buffer_minutes())
    clashing = list(
        Visit.objects.filter(
            rep=rep, status__in=Visit.BUSY_STATUSES, starts_at__lt=ends_at + buffer, ends_at__gt=target - buffer
        )
        .exclude(pk=visit.pk)
        .select_related("lead")
        .order_by("starts_at")
    )
    if clashing:
        problem = _("%(rep)s is busy at that time: %(visits)s (with the travel time between visits).") % {
            "rep": person_name(rep),
            "visits": "; ".join(
                _("measurement %(when)s–%(ends)s, %(lead)s")
                % {"when": _when(other.starts_at), "ends": _clock(other.ends_at), "lead": other.lead}
                for other in clashing
            ),
        }
    elif target <= now:
        problem = _("Choose a time in the future.")
    elif not within_working_hours(WorkCalendar.for_team(team), target, ends_at):
        problem = _("The visit must fit in the sales team's working hours.")
    else:
        problem = None
    if problem:
        first_day = timezone.localdate(max(visit.starts_at, now))
        slots = visit_free_slots(sales_team=team, start=first_day, days=7, rep=rep, now=now)
        raise VisitClash(
            f"{problem} " + _("Pick a free time of %(rep)s for the measurement.") % {"rep": person_name(rep)},
            slots=slots,
        )
    if target == visit.starts_at:
        visit.rep = rep
        visit.sequence += 1  # the calendar feeds: the event changed hands
        visit.save(update_fields=["rep", "sequence", "updated_at"])
        return visit
    visit.status = Visit.Status.RESCHEDULED
    visit.status_changed_at = now
    visit.save(update_fields=["status", "status_changed_at", "updated_at"])
    moved = visit.continued_by(
        lead=lead, rep=rep, starts_at=target, ends_at=ends_at, address=visit.address, note=visit.note, booked_by=actor
    )
    moved.save()
    history_record(
        lead=lead,
        actor=actor,
        event=LeadEvent.VISIT_RESCHEDULED,
        description=_("Measurement moved from %(old)s to %(new)s")
        % {"old": _when(visit.starts_at), "new": _when(target)},
        at=now,
    )
    return moved


def _lock_visit(visit_id):
    visit = Visit.objects.filter(pk=visit_id).first()
    if visit is None:
        raise TransitionRefused(_("The visit does not exist."))
    lead = lock_lead(visit.lead_id)
    return Visit.objects.select_for_update().get(pk=visit_id), lead


def visit_reschedule(*, visit_id: int, actor, starts_at: datetime, note: str = "") -> Visit:
    """Move a booked (or missed) visit: the old one is kept as rescheduled / no-show, a new one is booked."""
    with transaction.atomic():
        visit, lead = _lock_visit(visit_id)
        access.ensure_visit_rep(visit=visit, lead=lead, actor=actor)
        if visit.status not in (Visit.Status.SCHEDULED, Visit.Status.NO_SHOW) or hasattr(visit, "rescheduled_to"):
            raise TransitionRefused(_("Only a booked or missed visit can be rescheduled."))
        if lead.status != LeadStatus.HANDED_OFF:
            raise TransitionRefused(_("The deal is no longer waiting for a measurement."))
        duration = visit.ends_at - visit.starts_at
        ends_at = starts_at + duration
        _ensure_free(
            rep=visit.rep, team=sales_team_of(lead), starts_at=starts_at, ends_at=ends_at, ignore_visit_id=visit.pk
        )
        now = timezone.now()
        if visit.status == Visit.Status.SCHEDULED:
            visit.status = Visit.Status.RESCHEDULED
            visit.status_changed_at = now
            visit.save(update_fields=["status", "status_changed_at", "updated_at"])
        new_visit = visit.continued_by(
            lead=lead,
            rep=visit.rep,
            starts_at=starts_at,
            ends_at=ends_at,
            address=visit.address,
            note=note or visit.note,
            booked_by=actor,
        )
        new_visit.save()
        history_record(
            lead=lead,
            actor=actor,
            event=LeadEvent.VISIT_RESCHEDULED,
            description=_("Measurement moved from %(old)s to %(new)s")
            % {"old": _when(visit.starts_at), "new": _when(starts_at)}
            + (f". {note}" if note else ""),
            at=now,
        )
        return new_visit


def visit_mark_no_show(*, visit_id: int, actor, note: str = "") -> Visit:
    """The client was not there. The deal stays with the rep, ready to reschedule."""
    with transaction.atomic():
        visit, lead = _lock_visit(visit_id)
        access.ensure_visit_rep(visit=visit, lead=lead, actor=actor)
        if visit.status != Visit.Status.SCHEDULED:
            raise TransitionRefused(_("Only a booked visit can be marked as a no-show."))
        now = timezone.now()
        if visit.starts_at > now:
            raise TransitionRefused(_("The visit has not started yet."))
        visit.status = Visit.Status.NO_SHOW
        visit.status_changed_at = now
        if note:
            visit.note = f"{visit.note}\n{note}".strip()
        visit.save(update_fields=["status", "status_changed_at", "note", "updated_at"])
        history_record(
            lead=lead,
            actor=actor,
            event=LeadEvent.VISIT_NO_SHOW,
            description=_("Client not there for the measurement of %(when)s") % {"when": _when(visit.starts_at)}
            + (f". {note}" if note else ""),
            at=now,
        )
        return visit


def visit_report_late(*, visit_id: int, actor, minutes: int) -> Visit:
    """The rep is running late to a booked visit: a history row on the deal, and the client's qualifier
    (who spoke to them) and the sales managers are told, so somebody can warn the client.

    Reporting the same delay again (a double tap) changes nothing and notifies nobody twice."""
    if not 1 <= minutes <= LATE_MAX_MINUTES:
        raise TransitionRefused(_("Choose a delay from 1 to %(max)s minutes.") % {"max": LATE_MAX_MINUTES})
    with transaction.atomic():
        visit, lead = _lock_visit(visit_id)
        access.ensure_visit_rep(visit=visit, lead=lead, actor=actor)
        if visit.status != Visit.Status.SCHEDULED or lead.status != LeadStatus.HANDED_OFF:
            raise TransitionRefused(_("Only a booked visit can be reported late."))
        if visit.late_minutes == minutes:
            return visit
        now = timezone.now()
        visit.late_minutes, visit.late_reported_at = minutes, now
        visit.save(update_fields=["late_minutes", "late_reported_at", "updated_at"])
        text = _("%(rep)s is running %(minutes)s min late to the measurement of %(when)s: %(client)s, %(address)s") % {
            "rep": person_name(visit.rep),
            "minutes": minutes,
            "when": _when(visit.starts_at),
            "client": lead.name or lead.phone,
            "address": visit.address,
        }
        history_record(lead=lead, actor=actor, event=LeadEvent.VISIT_RUNNING_LATE, description=text, at=now)
        # each person once, never the rep themself; the qualifier opens the lead card (the deal page is
        # the sales team's), a manager the deal
        told = {manager.pk: (manager, links.deal_url(lead.pk)) for manager in sales_managers(sales_team_of(lead))}
        if lead.handed_off_by is not None:
            told[lead.handed_off_by_id] = (lead.handed_off_by, links.lead_card_url(lead.pk))
        told.pop(actor.pk, None)
        for recipient, url in told.values():
            notification_send(
                recipient=recipient,
                kind=Notification.Kind.INFO,
                lead=lead,
                text=text,
                url=url,
                dedupe_key=f"visit-late:{visit.pk}:{minutes}",
                email=True,
            )
        return visit


# --- reminders ----------------------------------------------------------------------------------


def _when(moment):
    return date_format(timezone.localtime(moment), "D d.m H:i")


def _clock(moment):
    return date_format(timezone.localtime(moment), "H:i")


def _day_bounds(day):
    tz = timezone.get_current_timezone()
    start = datetime.combine(day, time.min, tz)
    return start, start + timedelta(days=1)


def _claim_reminder(visit_id, field, now):
    """Mark the reminder sent exactly once (concurrent runs: one wins the update)."""
    return Visit.objects.filter(pk=visit_id, status=Visit.Status.SCHEDULED, **{f"{field}__isnull": True}).update(
        **{field: now}
    )


def visit_reminders_evening(*, now=None) -> int:
    """Evening: remind each rep of tomorrow's measurements. Safe to run more than once a day."""
    now = now or timezone.now()
    start, end = _day_bounds(timezone.localdate(now) + timedelta(days=1))
    visits = Visit.objects.filter(
        status=Visit.Status.SCHEDULED, starts_at__gte=start, starts_at__lt=end, rep_reminded_at__isnull=True
    ).select_related("lead", "rep")
    sent = 0
    for visit in visits:
        with transaction.atomic():
            if not _claim_reminder(visit.pk, "rep_reminded_at", now):
                continue
            notification_send(
                recipient=visit.rep,
                kind=Notification.Kind.VISIT_REMINDER,
                lead=visit.lead,
                text=_("Tomorrow %(when)s: measurement at %(address)s (%(client)s)")
                % {
                    "when": _when(visit.starts_at),
                    "address": visit.address,
                    "client": visit.lead.name or visit.lead.phone,
                },
                url=links.today_url(),
                dedupe_key=f"visit-evening:{visit.pk}:{visit.starts_at.timestamp():.0f}",
                email=True,
            )
            sent += 1
    return sent


def visit_reminders_morning(*, now=None) -> int:
    """Morning of the visit: send the rep the client's details (name, phone, address, what they want)."""
    now = now or timezone.now()
    start, end = _day_bounds(timezone.localdate(now))
    visits = Visit.objects.filter(
        status=Visit.Status.SCHEDULED,
        starts_at__gte=max(start, now),
        starts_at__lt=end,
        client_details_sent_at__isnull=True,
    ).select_related("lead", "rep")
    sent = 0
    for visit in visits:
        lead = visit.lead
        with transaction.atomic():
            if not _claim_reminder(visit.pk, "client_details_sent_at", now):
                continue
            details = [
                _when(visit.starts_at),
                lead.name or "—",
                lead.phone,
                visit.address,
                lead.get_product_interest_display(),
                visit.note,
            ]
            notification_send(
                recipient=visit.rep,
                kind=Notification.Kind.VISIT_REMINDER,
                lead=lead,
                text=_("Today's measurement: %(details)s") % {"details": " · ".join(part for part in details if part)},
                url=links.today_url(),
                dedupe_key=f"visit-morning:{visit.pk}:{visit.starts_at.timestamp():.0f}",
                email=True,
            )
            sent += 1
    return sent
