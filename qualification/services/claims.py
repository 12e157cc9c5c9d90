"""Claim, next lead, release, reassign and the claim lease."""

from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from leadflow import access, roles
from leadflow.models import Lead, LeadEvent, LeadStatus, Notification, Profile, Team
from leadflow.people import display_name
from leadflow.services import history_record, lead_transition, lock_lead, notification_send

from .. import selectors
from ..exceptions import AlreadyClaimed, PermissionRefused, TransitionRefused
from .next_lead import claim_next_in_one_statement


def lead_claim(*, lead_id: int, actor) -> Lead:
    """Take a new lead. Of two people claiming at once exactly one wins; the other gets AlreadyClaimed."""
    with transaction.atomic(durable=True):
        lead = lock_lead(lead_id)
        return _claim_locked(lead=lead, actor=actor)


def _claim_locked(*, lead, actor, qualifier=None, description=""):
    access.ensure_team_member(lead=lead, actor=actor)
    qualifier = qualifier or actor
    if lead.status != LeadStatus.NEW or lead.qualifier_id is not None:
        if lead.qualifier_id == qualifier.pk:
            return lead
        raise AlreadyClaimed()

    def prepare(locked):
        locked.qualifier = qualifier

    return lead_transition(
        lead=lead, name="claim", actor=actor, prepare=prepare, description=description, save_fields=CLAIM_FIELDS
    )


CLAIM_FIELDS = ("qualifier", "claimed_at", "last_activity_at")  # what `claim` and its prepare set, beside status


def lead_claim_next(*, actor) -> Lead | None:
    """Claim the most urgent unclaimed lead of the actor's team, or None when the pool is empty.

    A callback the actor promised that is due now comes first (it is already theirs: no claim).
    PostgreSQL: one statement picks with `FOR UPDATE SKIP LOCKED` (concurrent callers get different rows
    without waiting), claims and writes the history row (`next_lead.claim_next_in_one_statement`).
    Other databases with SKIP LOCKED: the same pick, then the claim through the ORM. Elsewhere (SQLite
    takes its write lock at BEGIN, so writers are serialised) the candidate is re-checked under
    `lock_lead` and the next one tried if someone was faster.
    """
    team_id = access.member_team_id(actor)
    if team_id is None:
        raise PermissionRefused(_("You are not on a qualification team."))
    if not roles.can_qualify(None, actor):
        raise PermissionRefused(_("Only qualifiers take leads from the queue."))
    if connection.vendor == "postgresql":
        return claim_next_in_one_statement(actor=actor, team_id=team_id)
    if connection.features.has_select_for_update_skip_locked:
        return _claim_next_skip_locked(team_id=team_id, actor=actor)
    due_callback = selectors.due_callback_for(user=actor)
    if due_callback is not None:
        return due_callback
    for _attempt in range(10):
        with transaction.atomic():
            picked = selectors.claimable_leads(team_id=team_id).only("pk").first()
            if picked is None:
                return None
            try:
                with transaction.atomic():
                    lead = lock_lead(picked.pk)
                    return _claim_locked(lead=lead, actor=actor, description=_("Next lead"))
            except AlreadyClaimed:
                continue
    return None


def _claim_next_skip_locked(*, team_id, actor):
    """The ORM path with SKIP LOCKED (PostgreSQL's one statement is tested equal to it).
    One statement reads the due callback or picks and locks the lead (`selectors.next_lead_locked`).
    Under READ COMMITTED PostgreSQL locks the row's newest version and re-checks the WHERE on it, so a
    lead claimed meanwhile is skipped and the one returned is unclaimed and ours until commit: no
    second read under `lock_lead`, no savepoint, no retry. A due callback is the actor's already:
    `_claim_locked` hands it back unchanged."""
    with transaction.atomic():
        lead = selectors.next_lead_locked(user=actor, team_id=team_id)
        if lead is None:
            return None
        return _claim_locked(lead=lead, actor=actor, description=_("Next lead"))


def lead_release(*, lead_id: int, actor, description: str = "") -> Lead:
    """The qualification lead puts a claimed lead back into the team's pool."""
    with transaction.atomic(durable=True):
        lead = lock_lead(lead_id)
        access.ensure_queue_manager(lead=lead, actor=actor)
        if lead.status != LeadStatus.QUALIFYING:
            raise TransitionRefused(_("Only a lead in qualification can be released."))
        holder = lead.qualifier
        lead = lead_transition(
            lead=lead, name="release", actor=actor, description=description or _("Released by the team lead")
        )
        if holder is not None and holder != actor:
            notification_send(
                recipient=holder,
                kind=Notification.Kind.REASSIGNED,
                lead=lead,
                text=_("Lead %(lead)s was released to the pool by %(who)s.")
                % {"lead": lead, "who": display_name(actor)},
                url=reverse("qualification:index"),
            )
        return lead


def lease_expires_at(*, lead, lease_minutes: int):
    """A claim lasts `lease_minutes` after the last activity; a promised callback extends it past that time."""
    anchor = max(filter(None, [lead.last_activity_at, lead.claimed_at, lead.callback_at]), default=None)
    return anchor + timedelta(minutes=lease_minutes) if anchor else None


def claim_leases_expire(*, now=None) -> int:
    """Return leads whose claim lease ran out to the pool; the history says so. Safe to run twice."""
    now = now or timezone.now()
    released = 0
    for team in Team.objects.filter(kind=Team.Kind.QUALIFICATION):
        cutoff = now - timedelta(minutes=team.claim_lease_minutes)
        stale_ids = list(
            Lead.objects.filter(qualification_team=team, status=LeadStatus.QUALIFYING)
            .filter(Q(last_activity_at__lt=cutoff) | Q(last_activity_at__isnull=True, claimed_at__lt=cutoff))
            .exclude(callback_at__gte=cutoff)
            .values_list("pk", flat=True)
        )
        for lead_id in stale_ids:
            if _lease_expire_one(lead_id=lead_id, lease_minutes=team.claim_lease_minutes, now=now):
                released += 1
    return released


def _lease_expire_one(*, lead_id, lease_minutes, now):
    with transaction.atomic():
        lead = lock_lead(lead_id)
        expires = lease_expires_at(lead=lead, lease_minutes=lease_minutes)
        if lead.status != LeadStatus.QUALIFYING or expires is None or expires > now:
            return False  # someone worked on it meanwhile, or it was already released
        holder = lead.qualifier
        description = _("Claim lease expired: no activity for %(minutes)s min (held by %(who)s)") % {
            "minutes": lease_minutes,
            "who": display_name(holder) if holder else "—",
        }
        lead_transition(lead=lead, name="release", actor=None, description=description, at=now)
        if holder is not None:
            notification_send(
                recipient=holder,
                kind=Notification.Kind.INFO,
                lead=lead,
                text=_("Lead %(lead)s went back to the pool: no activity for %(minutes)s min.")
                % {"lead": lead, "minutes": lease_minutes},
                url=reverse("qualification:index"),
                dedupe_key=f"lease:{lead.pk}:{int(now.timestamp())}",
            )
        return True


def lead_reassign(*, lead_id: int, actor, qualifier) -> Lead:
    """The qualification lead gives a lead (new or held) to another qualifier of the team."""
    with transaction.atomic(durable=True):
        lead = lock_lead(lead_id)
        access.ensure_queue_manager(lead=lead, actor=actor)
        profile = Profile.objects.filter(user=qualifier).first()
        if (
            not qualifier.is_active
            or profile is None
            or profile.team_id != lead.qualification_team_id
            or not roles.can_qualify(lead, qualifier)
        ):
            raise TransitionRefused(_("Choose an active qualifier of this team."))
        now = timezone.now()
        if lead.status == LeadStatus.NEW:
            lead = _claim_locked(
                lead=lead, actor=actor, qualifier=qualifier, description=_("Assigned to %s") % display_name(qualifier)
            )
        elif lead.status == LeadStatus.QUALIFYING:
            if lead.qualifier_id == qualifier.pk:
                return lead
            previous = lead.qualifier
            lead.qualifier = qualifier
            lead.claimed_at = now
            lead.last_activity_at = now
            lead.save(update_fields=["qualifier", "claimed_at", "last_activity_at", "updated_at"])
            history_record(
                lead=lead,
                actor=actor,
                event=LeadEvent.REASSIGNED,
                description=_("Reassigned from %(old)s to %(new)s")
                % {"old": display_name(previous) if previous else "—", "new": display_name(qualifier)},
                at=now,
            )
        else:
            raise TransitionRefused(_("Only a new lead or a lead in qualification can be reassigned."))
        notification_send(
            recipient=qualifier,
            kind=Notification.Kind.REASSIGNED,
            lead=lead,
            text=_("Lead %(lead)s was assigned to you by %(who)s.") % {"lead": lead, "who": display_name(actor)},
            url=reverse("qualification:lead", args=[lead.pk]),
        )
        return lead
