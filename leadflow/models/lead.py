"""The Lead and its state machine.

Transitions only set the lead's own fields; the audit row, locking, notifications and Celery live
in leadflow/services.py (and the apps' services).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import RETURN_VALUE, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from .. import roles
from .catalog import Reason, Source
from .events import LeadEvent
from .teams import Team


class LeadStatus(models.TextChoices):
    NEW = "new", _("New")
    QUALIFYING = "qualifying", _("Qualifying")
    QUALIFIED = "qualified", _("Qualified")
    DISQUALIFIED = "disqualified", _("Disqualified")
    HANDED_OFF = "handed_off", _("Handed off")
    MEASURED = "measured", _("Measured")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


OPEN_STATUSES = (
    LeadStatus.NEW,
    LeadStatus.QUALIFYING,
    LeadStatus.QUALIFIED,
    LeadStatus.HANDED_OFF,
    LeadStatus.MEASURED,
)
CLOSED_STATUSES = (LeadStatus.DISQUALIFIED, LeadStatus.WON, LeadStatus.LOST)


class SlaState(models.TextChoices):
    PENDING = "pending", _("On track")
    WARNED = "warned", _("Warning")
    BREACHED = "breached", _("Breached")
    MET = "met", _("Met")
    MET_LATE = "met_late", _("Met late")
    CLOSED = "closed", _("Closed without a call")


RUNNING_SLA_STATES = (SlaState.PENDING, SlaState.WARNED)


class ProductInterest(models.TextChoices):
    CUSTOM = "custom", _("Custom")
    MODULAR = "modular", _("Modular")
    UNKNOWN = "unknown", _("Unknown")


class Language(models.TextChoices):
    """The language a client wants to be served in (hand-off routes may pick a team by it)."""

    RU = "ru", pgettext_lazy("client language", "Russian")
    EN = "en", pgettext_lazy("client language", "English")
    TT = "tt", pgettext_lazy("client language", "Tatar")
    KK = "kk", pgettext_lazy("client language", "Kazakh")
    UZ = "uz", pgettext_lazy("client language", "Uzbek")
    ZH = "zh", pgettext_lazy("client language", "Chinese")


class HandoffState(models.TextChoices):
    NONE = "", _("—")
    PENDING = "pending", _("Awaiting acceptance")
    ACCEPTED = "accepted", _("Accepted")
    DISPUTED = "disputed", _("Disputed")


# --- transition guards: pure predicates over the lead's own fields ----------------------------


def has_qualifier(lead):
    return lead.qualifier_id is not None


def all_criteria_pass(lead):
    return lead.criteria_passed


def has_disqualify_reason(lead):
    return lead.disqualify_reason_id is not None


def has_sales_rep(lead):
    return lead.sales_rep_id is not None


def has_quote(lead):
    return lead.quote_amount is not None and lead.quote_amount > 0


def has_deal_amount(lead):
    return lead.deal_amount is not None and lead.deal_amount > 0 and lead.deal_date is not None


def has_lose_reason(lead):
    return lead.lose_reason_id is not None


def handoff_not_disputed(lead):
    return lead.handoff_state != HandoffState.DISPUTED


class LeadQuerySet(models.QuerySet):
    def update(self, **kwargs):
        """Every bulk write stamps `updated_at` (auto_now only acts in save()): the report rollup finds
        the leads changed since its last refresh by it (reports.rollup)."""
        kwargs.setdefault("updated_at", timezone.now())
        return super().update(**kwargs)

    update.alters_data = True


class Lead(models.Model):
    # contact
    name = models.CharField(_("name"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=20, help_text=_("E.164, e.g. +79123456789"))
    email = models.EmailField(_("e-mail"), blank=True)
    city = models.CharField(_("city"), max_length=120, blank=True)
    region = models.CharField(_("region"), max_length=120, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    # origin
    source = models.ForeignKey(Source, verbose_name=_("source"), on_delete=models.PROTECT, related_name="leads")
    external_id = models.CharField(_("external id"), max_length=120, blank=True)
    utm_source = models.CharField("utm_source", max_length=200, blank=True)
    utm_medium = models.CharField("utm_medium", max_length=200, blank=True)
    utm_campaign = models.CharField("utm_campaign", max_length=200, blank=True)
    product_interest = models.CharField(
        _("product interest"), max_length=20, choices=ProductInterest.choices, default=ProductInterest.UNKNOWN
    )
    # no index: nothing filters leads by it, and intake stays lean (docs/performance.md)
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=Language.choices,
        blank=True,
        default="",
        help_text=_("The language the client wants to be served in. Empty: not said."),
    )
    message = models.TextField(_("message"), blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)

    status = FSMField(_("status"), default=LeadStatus.NEW, choices=LeadStatus.choices, protected=True)

    # people
    qualification_team = models.ForeignKey(
        Team,
        verbose_name=_("qualification team"),
        on_delete=models.PROTECT,
        related_name="qualification_leads",
    )
    qualifier = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("qualifier"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="qualified_leads",
        db_index=False,
    )
    handed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handed off by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handed_off_leads",
        db_index=False,
    )
    # Credit, not custody: `qualifier` is whoever holds the lead now (a released claim clears it),
    # `handed_off_by` who pressed the button (the team lead with the manual strategy). The reports
    # credit the work to these two, set by the services and kept through a return and a release.
    first_called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("first called by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Who made the first call attempt: the speed-to-lead figures count for them."),
        db_index=False,
    )
    qualified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("qualified by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_(
            "The qualifier credited with the latest qualification: hand-off quality, disputes and the "
            "bonus count for them, whoever pressed the hand-off."
        ),
        db_index=False,
    )
    sales_rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sales rep"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sales_leads",
        db_index=False,
    )
    # A measurement booked from a rep's free slots during the qualification call: the hand-off goes
    # to this rep, so the client keeps the date they were promised.
    booked_rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rep of the booked measurement"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    # milestones
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    last_activity_at = models.DateTimeField(_("last activity"), null=True, blank=True)
    first_call_at = models.DateTimeField(_("first call"), null=True, blank=True)
    callback_at = models.DateTimeField(_("callback requested for"), null=True, blank=True)
    # a missed inbound call from the client while the lead is open: the queue puts it first (queue_order.py)
    client_called_back_at = models.DateTimeField(_("client called back"), null=True, blank=True)
    qualified_at = models.DateTimeField(_("qualified"), null=True, blank=True)
    disqualified_at = models.DateTimeField(_("disqualified"), null=True, blank=True)
    handed_off_at = models.DateTimeField(_("handed off"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    acceptance_due_at = models.DateTimeField(_("acceptance due"), null=True, blank=True)
    acceptance_overdue_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    measured_at = models.DateTimeField(_("measured"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    # qualification outcome
    criteria_passed = models.BooleanField(_("criteria passed"), default=False)
    disqualify_reason = models.ForeignKey(
        Reason,
        verbose_name=_("disqualification reason"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": Reason.Kind.DISQUALIFY},
        db_index=False,
    )
    handoff_state = models.CharField(
        _("hand-off"), max_length=20, choices=HandoffState.choices, default=HandoffState.NONE, blank=True
    )

    # money, roubles
    quote_amount = models.DecimalField(_("quote, ₽"), max_digits=12, decimal_places=2, null=True, blank=True)
    deal_amount = models.DecimalField(_("deal, ₽"), max_digits=12, decimal_places=2, null=True, blank=True)
    deal_date = models.DateField(_("contract date"), null=True, blank=True)
    lose_reason = models.ForeignKey(
        Reason,
        verbose_name=_("lose reason"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": Reason.Kind.LOSE},
        db_index=False,
    )
    competitor = models.CharField(_("competitor"), max_length=200, blank=True)
    outcome_note = models.TextField(_("outcome note"), blank=True)

    # speed-to-lead SLA (policy in Team; enforcement in qualification.tasks)
    sla_warn_at = models.DateTimeField(_("SLA warning at"), null=True, blank=True)
    sla_breach_at = models.DateTimeField(_("SLA breach at"), null=True, blank=True)
    sla_state = models.CharField(_("SLA"), max_length=20, choices=SlaState.choices, default=SlaState.PENDING)
    sla_warned_at = models.DateTimeField(_("SLA warned"), null=True, blank=True)
    sla_breached_at = models.DateTimeField(_("SLA breached"), null=True, blank=True)

    is_archived = models.BooleanField(_("archived"), default=False)
    # 152-ФЗ: when the person's data was removed (retention or an erasure request); the figures stay
    anonymised_at = models.DateTimeField(_("personal data removed"), null=True, blank=True, editable=False)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = LeadQuerySet.as_manager()

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-received_at"]
        permissions = [
            ("work_queue", _("Can work the qualification queue")),
            ("manage_queue", _("Can reassign and release leads of the team")),
            ("work_board", _("Can work the deal board")),
            ("manage_board", _("Can assign and reassign deals")),
            ("arbitrate", _("Can arbitrate hand-off disputes")),
            ("view_reports", _("Can view KPI reports")),
        ]
        indexes = [
            models.Index(fields=["status", "qualification_team", "received_at"], name="lead_queue_idx"),
            models.Index(fields=["sales_rep", "status"], name="lead_board_idx"),
            models.Index(fields=["qualifier", "status"], name="lead_qualifier_idx"),
            models.Index(
                fields=["sla_breach_at"],
                name="lead_sla_open_idx",
                condition=Q(sla_state__in=["pending", "warned"]),
            ),
            # the SLA panel's urgent list and breaches of the day without an index on sla_state: a new lead
            # is pending, so intake writes neither of these
            models.Index(
                fields=["sla_breach_at"], name="lead_sla_urgent_idx", condition=Q(sla_state__in=["warned", "breached"])
            ),
            models.Index(
                fields=["sla_breach_at"], name="lead_sla_late_idx", condition=Q(sla_state__in=["breached", "met_late"])
            ),
            models.Index(fields=["phone", "status"], name="lead_phone_status_idx"),  # also phone alone
            # foreign keys that a new lead leaves empty: indexed only where set, so intake does not write
            # them (the rows of a PROTECT check or a "by this person" report are the set ones); qualifier
            # and sales_rep lead the composites above (issue 14, docs/performance.md)
            *(
                models.Index(fields=[field], name=f"lead_{field}_set_idx", condition=Q(**{f"{field}__isnull": False}))
                for field in (
                    "handed_off_by",
                    "first_called_by",
                    "qualified_by",
                    "booked_rep",
                    "disqualify_reason",
                    "lose_reason",
                    "merged_into",
                )
            ),
            # report periods are ranges over these milestones
            models.Index(fields=["handed_off_at"], name="lead_handed_off_at_idx"),
            models.Index(fields=["measured_at"], name="lead_measured_at_idx"),
            models.Index(fields=["closed_at"], name="lead_closed_at_idx"),
            # the report rollup's "changed since the last refresh" (reports.rollup.stale_months, rollup_refresh)
            models.Index(fields=["updated_at"], name="lead_updated_at_idx"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.name or self.phone}"

    def save(self, *args, update_fields=None, **kwargs):
        """`updated_at` is written by every save, also one limited to `update_fields` (the rollup's
        change marker, like LeadQuerySet.update)."""
        if update_fields and "updated_at" not in update_fields:
            update_fields = [*update_fields, "updated_at"]
        super().save(*args, update_fields=update_fields, **kwargs)

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES

    # --- transitions: only the lead's own fields; side effects live in services -------------
    # `custom` names the LeadEvent the transition logs, the button word ("action") and, per guard,
    # the hint a refusal shows ("refused"); `transition_custom` reads them back.

    def transition_meta(self, name):
        """django-fsm's Transition `name` (any source: `custom` is the same on all of them)."""
        for meta in self.get_all_status_transitions():
            if meta.name == name:
                return meta
        raise ValueError(f"Lead has no transition {name!r}")

    def refusal_hints(self, name, *, skip=()):
        """Why transition `name` cannot run now: the hint of every guard that fails (but `skip`), in order."""
        meta = self.transition_meta(name)
        hints = meta.custom.get("refused", {})
        return [
            hints.get(condition, _("a required field is missing."))
            for condition in meta.conditions
            if condition not in skip and not condition(self)
        ]

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=[LeadStatus.NEW],
        target=LeadStatus.QUALIFYING,
        conditions=[has_qualifier],
        permission=roles.can_qualify,
        custom={
            "event": LeadEvent.CLAIM,
            "action": _("Take the lead"),
            "refused": {
                has_qualifier: _("the lead has no qualifier."),
            },
        },
    )
    def claim(self, *, by=None, description=None, at=None):
        self.claimed_at = at or timezone.now()
        self.last_activity_at = self.claimed_at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=[LeadStatus.QUALIFYING],
        target=LeadStatus.NEW,
        permission=roles.can_manage_queue,
        custom={
            "event": LeadEvent.RELEASE,
            "action": _("Release to the pool"),
        },
    )
    def release(self, *, by=None, description=None, at=None):
        """Back to the pool: the claim lease ran out (actor None = the system) or the team lead released it."""
        self.qualifier = None
        self.claimed_at = None
        self.last_activity_at = at or timezone.now()

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=[LeadStatus.QUALIFYING],
        target=LeadStatus.QUALIFIED,
        conditions=[has_qualifier, all_criteria_pass],
        permission=roles.can_qualify,
        custom={
            "event": LeadEvent.QUALIFY,
            "action": _("Qualify"),
            "refused": {
                has_qualifier: _("take the lead first."),
                all_criteria_pass: _("not every required criterion passes."),
            },
        },
    )
    def qualify(self, *, by=None, description=None, at=None):
        self.qualified_at = at or timezone.now()
        # the holder earns it, also when the team lead presses "Qualify" on their behalf
        self.qualified_by_id = self.qualifier_id

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=[LeadStatus.NEW, LeadStatus.QUALIFYING],
        target=LeadStatus.DISQUALIFIED,
        conditions=[has_disqualify_reason],
        permission=roles.can_qualify,
        custom={
            "event": LeadEvent.DISQUALIFY,
            "action": _("Disqualify"),
            "refused": {
                has_disqualify_reason: _("choose a reason."),
            },
        },
    )
    def disqualify(self, *, by=None, description=None, at=None):
        self.disqualified_at = at or timezone.now()
        self.closed_at = self.disqualified_at
        if self.first_call_at is None and self.sla_state in RUNNING_SLA_STATES:
            # spam or a duplicate closed without a call: the clock stops, nobody is warned about it
            self.sla_state = SlaState.CLOSED

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=[LeadStatus.QUALIFIED],
        target=LeadStatus.HANDED_OFF,
        conditions=[has_sales_rep],
        permission=roles.can_qualify,
        custom={
            "event": LeadEvent.HAND_OFF,
            "action": _("Hand off"),
            "refused": {
                has_sales_rep: _("choose an active sales rep."),
            },
        },
    )
    def hand_off(self, *, by=None, description=None, at=None, acceptance_due_at=None):
        self.handed_off_at = at or timezone.now()
        self.acceptance_due_at = acceptance_due_at
        self.handoff_state = HandoffState.PENDING
        self.accepted_at = None

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=[LeadStatus.HANDED_OFF],
        target=LeadStatus.QUALIFYING,
        permission=roles.can_arbitrate,
        custom={
            "event": LeadEvent.RETURN_TO_QUALIFICATION,
            "action": _("Return to qualification"),
        },
    )
    def return_to_qualification(self, *, by=None, description=None, at=None):
        self.sales_rep = None
        self.booked_rep = None
        self.handoff_state = HandoffState.NONE
        self.criteria_passed = False
        self.qualified_at = None
        self.handed_off_at = None
        self.acceptance_due_at = None
        self.last_activity_at = at or timezone.now()

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=[LeadStatus.HANDED_OFF],
        target=LeadStatus.MEASURED,
        conditions=[has_sales_rep, has_quote, handoff_not_disputed],
        permission=roles.can_sell,
        custom={
            "event": LeadEvent.RECORD_MEASUREMENT,
            "action": _("Record the measurement"),
            "refused": {
                has_sales_rep: _("the deal has no sales rep."),
                has_quote: _("enter the quote amount."),
                handoff_not_disputed: _("resolve the pending dispute first."),
            },
        },
    )
    def record_measurement(self, *, by=None, description=None, at=None):
        self.measured_at = at or timezone.now()
        if self.handoff_state == HandoffState.PENDING:
            self.handoff_state = HandoffState.ACCEPTED
            self.accepted_at = self.measured_at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=[LeadStatus.MEASURED],
        target=LeadStatus.WON,
        conditions=[has_deal_amount],
        permission=roles.can_sell,
        custom={
            "event": LeadEvent.WIN,
            "action": _("Won"),
            "refused": {
                has_deal_amount: _("enter the contract amount and date."),
            },
        },
    )
    def win(self, *, by=None, description=None, at=None):
        self.closed_at = at or timezone.now()

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=[LeadStatus.HANDED_OFF, LeadStatus.MEASURED],
        target=LeadStatus.LOST,
        conditions=[has_lose_reason, handoff_not_disputed],
        permission=roles.can_sell,
        custom={
            "event": LeadEvent.LOSE,
            "action": _("Lost"),
            "refused": {
                has_lose_reason: _("choose a reason."),
                handoff_not_disputed: _("resolve the pending dispute first."),
            },
        },
    )
    def lose(self, *, by=None, description=None, at=None):
        self.closed_at = at or timezone.now()

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=[LeadStatus.WON, LeadStatus.LOST],
        target=RETURN_VALUE(LeadStatus.MEASURED, LeadStatus.HANDED_OFF),
        permission=roles.can_correct_deals,
        custom={
            "event": LeadEvent.REOPEN,
            "action": _("Put back in work"),
        },
    )
    def reopen(self, *, by=None, description=None, at=None):
        """A won or lost deal back on the board (measured, or handed off if it was never measured);
        the outcome fields go, the correction trail keeps them."""
        self.closed_at = None
        self.deal_amount = None
        self.deal_date = None
        self.lose_reason = None
        self.competitor = ""
        self.outcome_note = ""
        self.last_activity_at = at or timezone.now()
        return LeadStatus.MEASURED if self.measured_at else LeadStatus.HANDED_OFF
