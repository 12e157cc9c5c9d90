"""Three months of leads, simulated one story at a time and cut at "now", written in bulk.

Every lead is built the way the services would have left it: milestones in order, SLA fields by the
team's working-hours rule, call attempts behind `first_call_at`, one history row per transition
(and per event the services record), reasons and amounts where the guards require them.
"""

import bisect
import random
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils.translation import gettext as _

from leadflow.bulk import LEAD_COLUMNS
from leadflow.models import InquiryChannel, LeadEvent, SlaState

from . import funnel, staffing
from .clock import FastCalendar
from .contacts import contact, pick
from .sales_story import SalesStory

NEW, QUALIFYING, QUALIFIED, DISQUALIFIED = "new", "qualifying", "qualified", "disqualified"
HANDED_OFF, MEASURED, WON, LOST = "handed_off", "measured", "won", "lost"
MINUTE, HOUR, DAY = 60, 3600, 86400


@dataclass
class Batch:
    """Rows of one chunk of leads, per table. Extras (answers, visits…) fill their own lists."""

    leads: list = field(default_factory=list)
    logs: list = field(default_factory=list)
    inquiries: list = field(default_factory=list)
    calls: list = field(default_factory=list)
    extras: dict = field(default_factory=dict)

    def rows(self, name):
        return self.extras.setdefault(name, [])


@dataclass
class Story:
    """One lead being simulated: its row (a dict by column) and its history so far."""

    lead_id: int
    path: str
    received: int
    row: dict
    status: str = NEW
    events: list = field(default_factory=list)  # (ts, source, target, transition, actor_id, description)
    first_call: int | None = None
    last_activity: int | None = None
    facts: dict = field(default_factory=dict)  # for the extras: reached_at, visits, dispute, measurement…
    rng: random.Random | None = None

    def transition(self, ts, name, target, actor, description=None):
        self.events.append((ts, self.status, target, name, actor, description))
        self.status = target

    def event(self, ts, name, actor, description=""):
        self.events.append((ts, self.status, self.status, name, actor, description))

    def insert_event(self, ts, name, description):
        """A system event (actor None) at `ts`, placed in order among the events already told."""
        position = bisect.bisect_right([event[0] for event in self.events], ts)
        status = self.events[position - 1][2] if position else NEW
        self.events.insert(position, (ts, status, status, name, None, description))

    def touch(self, ts):
        self.last_activity = ts if self.last_activity is None else max(self.last_activity, ts)


class LeadSimulator(SalesStory):
    """Builds the rows of leads `[start, stop)` of a run of `total` leads."""

    def __init__(self, *, context, seed, total, now, received, paths, forced):
        self.ctx = context
        self.seed = seed
        self.total = total
        self.now = now
        self.received = received  # sorted received_at (seconds) of every index
        self.paths = paths  # path name of every index
        self.forced = forced  # index -> "new" | "callback" | "pending" | "booked"
        first_day = context.local_date(received[0] if received else now) - timedelta(days=2)
        self.qcal = FastCalendar(context.qualification_calendar, first_day)
        self.scal = FastCalendar(context.sales_calendar, first_day)
        self.text = _messages()
        self.queued = staffing.queued_first_calls(received, paths, calendar=context.qualification_calendar, now=now)

    # --- entry point -------------------------------------------------------------------------------

    def build(self, start, stop, first_id):
        rng = random.Random(f"{self.seed}:{start}")
        batch = Batch()
        for index in range(start, stop):
            story = self._story(rng, index, first_id + index - start)
            self._finish(story, batch)
        return batch

    # --- one lead ----------------------------------------------------------------------------------

    def _story(self, rng, index, lead_id):
        ctx, now = self.ctx, self.now
        path = self.paths[index]
        received = self.received[index]
        row = dict(ctx.lead_defaults)
        row.update(contact(rng, index, path, ctx))
        row.update(id=lead_id, received_at=received, updated_at=now, external_id=f"demo-{index + 1}")
        story = Story(lead_id=lead_id, path=path, received=received, row=row, rng=rng)
        source_code = ctx.source_codes[row["source_id"]]
        channel = funnel.CHANNELS[source_code]
        story.event(
            received,
            LeadEvent.RECEIVED,
            None,
            self.text["received"]
            % {"source": ctx.source_names[row["source_id"]], "channel": InquiryChannel.label_of(channel)},
        )
        story.facts["inquiry"] = (row["source_id"], row["external_id"], received, channel, row["message"])
        warn_at = self.qcal.add(received, ctx.warn_minutes * MINUTE)
        breach_at = self.qcal.add(received, ctx.breach_minutes * MINUTE)
        row.update(sla_warn_at=warn_at, sla_breach_at=breach_at)
        forced = self.forced.get(index)
        if forced == "new":
            return story
        self._qualification(rng, story, forced, index)
        return story

    def _qualification(self, rng, story, forced, index):
        ctx, now, qcal, row, path = self.ctx, self.now, self.qcal, story.row, story.path
        delay = _response_minutes(rng)
        first_call = qcal.add_minutes(story.received, delay)
        claimed = qcal.add_minutes(story.received, delay * rng.uniform(0.15, 0.8))
        first_call = max(first_call, claimed + rng.randint(15, 90))
        if index in self.queued:  # the roster's queue took it (demo/staffing.py); the draws above keep the stream
            claimed, first_call = self.queued[index]
        if claimed > now:
            return
        qualifier = pick(rng, ctx.qualifiers, funnel.QUALIFIER_WEIGHTS[_qualifier_kind(path)])
        row.update(qualifier_id=qualifier, claimed_at=claimed)
        story.transition(claimed, LeadEvent.CLAIM, QUALIFYING, qualifier)
        story.touch(claimed)

        attempts = self._attempts(rng, path, first_call, forced)
        reached_at = None
        for called_at, outcome, callback_at, duration in attempts:
            if called_at > now:
                return
            self._call(story, qualifier, called_at, outcome, callback_at, duration)
            if outcome == "reached":
                reached_at = called_at + duration
                story.facts["reached_call_at"] = called_at
        if forced == "callback":
            return
        decided = (reached_at or attempts[-1][0]) + rng.randint(40, 360)
        story.facts["reached_at"] = reached_at
        story.facts["qualifier"] = qualifier
        if decided > now:
            return
        if path.startswith("dq_"):
            reason = funnel.DQ_REASON[path]
            self._disqualify(story, decided, qualifier, reason)
            return
        row["criteria_passed"] = True
        row["qualified_at"] = decided
        row["qualified_by_id"] = qualifier
        story.transition(decided, LeadEvent.QUALIFY, QUALIFIED, qualifier)
        self._hand_off(rng, story, qualifier, decided + rng.randint(60, 420), forced)

    def _attempts(self, rng, path, first_call, forced):
        """(called_at, outcome, callback_at, duration) of each call, by the story's path."""
        qcal = self.qcal
        if forced == "callback":
            callback_at = qcal.next_open(max(self.now, first_call) + rng.randint(30 * MINUTE, 20 * HOUR))
            return [(first_call, "callback", callback_at, rng.randint(30, 90))]
        if path == "dq_unreachable":
            second = qcal.add_minutes(first_call, rng.uniform(60, 180))
            third = qcal.add_minutes(second, rng.uniform(240, 600))
            return [
                (t, rng.choice(("no_answer", "no_answer", "busy")), None, None) for t in (first_call, second, third)
            ]
        if path == "dq_spam":
            return [(first_call, rng.choice(("wrong_number", "reached")), None, rng.randint(10, 40))]
        duration = rng.randint(90, 720) if path not in ("dq_duplicate", "dq_modular") else rng.randint(40, 200)
        chance = rng.random()
        if chance < 0.72:
            return [(first_call, "reached", None, duration)]
        if chance < 0.87:
            later = qcal.add_minutes(first_call, rng.uniform(20, 120))
            return [(first_call, rng.choice(("no_answer", "busy")), None, None), (later, "reached", None, duration)]
        callback_at = qcal.next_open(first_call + rng.randint(1 * HOUR, 24 * HOUR))
        return [
            (first_call, "callback", callback_at, rng.randint(20, 60)),
            (callback_at + rng.randint(0, 10 * MINUTE), "reached", None, duration),
        ]

    def _call(self, story, actor, called_at, outcome, callback_at, duration):
        ctx = self.ctx
        story.facts.setdefault("calls", []).append(
            (story.lead_id, actor, outcome, "", called_at, callback_at, "outbound", duration, "", called_at)
        )
        description = ctx.outcome_labels[outcome]
        if callback_at:
            local = ctx.local_datetime(callback_at)
            description += ". " + self.text["callback"] % {"when": local.strftime("%d.%m.%Y %H:%M")}
        story.event(called_at, LeadEvent.CALL_ATTEMPT, actor, description)
        story.touch(called_at)
        story.row["callback_at"] = callback_at
        if story.first_call is None:
            story.first_call = called_at
            story.row["first_call_at"] = called_at
            story.row["first_called_by_id"] = actor

    def _disqualify(self, story, ts, actor, reason_code, description=None):
        reason = self.ctx.disqualify_reasons[reason_code]
        story.row.update(disqualify_reason_id=reason.pk, disqualified_at=ts, closed_at=ts)
        if story.row["qualifier_id"] is None:
            story.row["qualifier_id"] = actor
        story.transition(ts, LeadEvent.DISQUALIFY, DISQUALIFIED, actor, description or reason.title)

    # --- closing the story -------------------------------------------------------------------------

    def _finish(self, story, batch):
        ctx, row, now = self.ctx, story.row, self.now
        row["status"] = story.status
        row["last_activity_at"] = story.last_activity
        warn_at, breach_at = row["sla_warn_at"], row["sla_breach_at"]
        if story.first_call is not None:
            moment = story.first_call
            row["sla_state"] = SlaState.MET if moment <= breach_at else SlaState.MET_LATE
        else:
            moment = now
            if story.status not in (NEW, QUALIFYING):
                row["sla_state"] = SlaState.MET  # never happens with the paths above; kept explicit
            elif now > breach_at:
                row["sla_state"] = SlaState.BREACHED
            elif now > warn_at:
                row["sla_state"] = SlaState.WARNED
            else:
                row["sla_state"] = SlaState.PENDING
        row["sla_warned_at"] = warn_at if moment > warn_at else None
        row["sla_breached_at"] = breach_at if moment > breach_at else None
        if row["sla_warned_at"] is not None:  # what the SLA checks wrote into the history at the time
            story.insert_event(warn_at, LeadEvent.SLA_WARNING, self.text["sla_warning"] % {"minutes": ctx.warn_minutes})
        if row["sla_breached_at"] is not None:
            story.insert_event(
                breach_at, LeadEvent.SLA_BREACH, self.text["sla_breach"] % {"minutes": ctx.breach_minutes}
            )
        # as `auto_now` leaves it: the moment of the lead's last change, not the seeding (the report rollup
        # reads a lead changed since its last refresh as a stale day)
        row["updated_at"] = min(now, max(event[0] for event in story.events))
        batch.leads.append(tuple(row[column] for column in LEAD_COLUMNS))
        ct = ctx.lead_content_type_id
        for ts, source, target, name, actor, description in story.events:
            batch.logs.append((ct, story.lead_id, source, target, name, actor, description, ts))
        source_id, external_id, received, channel, message = story.facts["inquiry"]
        batch.inquiries.append((story.lead_id, source_id, external_id, received, channel, message, {}, False))
        batch.calls.extend(story.facts.get("calls", ()))
        for extra in ctx.extras:
            extra.collect(story, batch)


# --- samplers ---------------------------------------------------------------------------------------


def _qualifier_kind(path):
    if path in funnel.BAD_HANDOFF_PATHS:
        return "bad_handoff"
    return "won" if path in funnel.WON_PATHS else "default"


def _response_minutes(rng):
    chance = rng.random()
    for share, low, high in funnel.RESPONSE_BUCKETS:
        if chance < share:
            return rng.uniform(low, high)
        chance -= share
    return rng.uniform(20, 90)


def _messages():
    """History texts, the same msgids the services use (translated once per run, not per lead)."""
    return {
        "received": _("Received via %(source)s (%(channel)s)"),
        "callback": _("Call back at %(when)s"),
        "to_rep": _("To %(rep)s"),
        "accepted": _("Hand-off accepted"),
        "accepted_late": _("Hand-off accepted after the window"),
        "upheld": _("Dispute upheld (%(reason)s), counts against the qualifier %(qualifier)s: %(why)s"),
        "upheld_return": _("Dispute upheld: %(why)s"),
        "arbitration_disqualified": _("Disqualified by arbitration: %(reason)s"),
        "rejected": _("Dispute rejected (%(reason)s), stays with %(rep)s and counts against the rep: %(why)s"),
        "sla_warning": _("No call after %(minutes)s working minutes."),
        "sla_breach": _("Not called within %(minutes)s working minutes: SLA breached."),
        "overdue": _("Not accepted or disputed by %(rep)s within the acceptance window"),
        "quote": _("Quote %(amount)s ₽"),
        "contract": _("Contract %(amount)s ₽"),
        "competitor": _("competitor: %(name)s"),
        "upheld_note": "Проверили запись звонка: клиент не целевой.",
        "rejected_note": "По записи звонка критерии подтверждены, клиент целевой.",
    }
