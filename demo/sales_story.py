"""The sales half of a demo lead's story: hand-off, acceptance or dispute and arbitration, the
measurement visit (sometimes moved), the quote, and the deal won or lost. Mixed into LeadSimulator."""

import math

from leadflow.models import HandoffState, LeadEvent

from . import funnel
from .contacts import pick

QUALIFYING = "qualifying"
HANDED_OFF, MEASURED, WON, LOST = "handed_off", "measured", "won", "lost"
MINUTE, HOUR, DAY = 60, 3600, 86400


class SalesStory:
    def _hand_off(self, rng, story, qualifier, handed_off, forced):
        ctx, now, scal, row, path = self.ctx, self.now, self.scal, story.row, story.path
        if handed_off > now:
            return
        rep = pick(rng, ctx.reps, funnel.REP_WEIGHTS.get(_rep_kind(path), funnel.REP_WEIGHTS["default"]))
        due = scal.add(handed_off, ctx.acceptance_window_minutes * MINUTE)
        row.update(
            sales_rep_id=rep,
            handed_off_by_id=qualifier,
            handed_off_at=handed_off,
            acceptance_due_at=due,
            handoff_state=HandoffState.PENDING,
        )
        story.transition(
            handed_off, LeadEvent.HAND_OFF, HANDED_OFF, qualifier, self.text["to_rep"] % {"rep": ctx.names[rep]}
        )
        story.facts["handoff"] = (handed_off, qualifier, rep)
        if rng.random() < 0.3:  # booked while the client was still on the phone
            story.facts["booked"] = (handed_off, qualifier)
        if forced == "pending":
            self._overdue(story, rep, due, until=now)
            return
        if path.startswith("dispute_"):
            accepted = self._dispute(rng, story, rep, handed_off)
        else:
            accepted = scal.add_minutes(handed_off, _acceptance_minutes(rng))
            self._overdue(story, rep, due, until=min(accepted, now))
            if accepted > now:
                return
            late = accepted > due
            row.update(handoff_state=HandoffState.ACCEPTED, accepted_at=accepted)
            story.event(accepted, LeadEvent.HANDOFF_ACCEPTED, rep, self.text["accepted_late" if late else "accepted"])
        if accepted is None:
            return
        self._sale(rng, story, rep, accepted, forced)

    def _overdue(self, story, rep, due, *, until):
        """The acceptance sweep (every minute) flags a hand-off still pending after its window."""
        flagged = due + MINUTE
        if flagged < until:
            story.row["acceptance_overdue_notified_at"] = flagged
            story.event(
                flagged, LeadEvent.ACCEPTANCE_OVERDUE, None, self.text["overdue"] % {"rep": self.ctx.names[rep]}
            )

    def _dispute(self, rng, story, rep, handed_off):
        """Raise a dispute; the arbiters decide. Returns the acceptance moment when the rep keeps it."""
        ctx, now, scal, row, path = self.ctx, self.now, self.scal, story.row, story.path
        raised = scal.add_minutes(handed_off, rng.uniform(10, 100))
        if raised > now:
            return None
        reason_code = rng.choice(list(ctx.words.dispute_comments))
        reason = ctx.dispute_reasons[reason_code]
        comment = ctx.words.dispute_comments[reason_code]
        row["handoff_state"] = HandoffState.DISPUTED
        story.event(raised, LeadEvent.HANDOFF_DISPUTED, rep, f"{reason.title}. {comment}")
        qualifier = row["handed_off_by_id"]
        dispute = {
            "reason": reason.pk,
            "comment": comment,
            "raised_by": rep,
            "raised_at": raised,
            "qualifier": qualifier,
            "sales_rep": rep,
        }
        story.facts["dispute"] = dispute
        decided = scal.add_minutes(raised, rng.uniform(30, 600))
        if decided > now:
            return None
        arbiter = rng.choice((ctx.sales_manager, ctx.qualification_lead))
        dispute.update(decided_by=arbiter, decided_at=decided)
        if path == "dispute_upheld":
            note = self.text["upheld_note"]
            dispute.update(decision="upheld", note=note, counts_against="qualifier", counts_against_user=qualifier)
            story.event(
                decided,
                LeadEvent.DISPUTE_UPHELD,
                arbiter,
                self.text["upheld"] % {"reason": reason.title, "qualifier": ctx.names[qualifier], "why": note},
            )
            row.update(
                sales_rep_id=None,
                handoff_state=HandoffState.NONE,
                criteria_passed=False,
                qualified_at=None,
                handed_off_at=None,
                acceptance_due_at=None,
            )
            story.transition(
                decided,
                LeadEvent.RETURN_TO_QUALIFICATION,
                QUALIFYING,
                arbiter,
                self.text["upheld_return"] % {"why": note},
            )
            story.touch(decided)
            disqualify_code = funnel.DISPUTE_TO_DISQUALIFY[reason_code]
            if rng.random() < 0.5:
                dispute["upheld_action"] = "disqualified"
                description = self.text["arbitration_disqualified"] % {
                    "reason": ctx.disqualify_reasons[disqualify_code].title
                }
                self._disqualify(story, decided + 1, arbiter, disqualify_code, description)
            else:
                dispute["upheld_action"] = "returned"
                again = self.qcal.add_minutes(decided, rng.uniform(5, 120))
                if again <= now:
                    self._disqualify(story, again, qualifier, disqualify_code)
            return None
        note = self.text["rejected_note"]
        dispute.update(decision="rejected", note=note, counts_against="sales_rep", counts_against_user=rep)
        row.update(handoff_state=HandoffState.ACCEPTED, accepted_at=decided)
        story.event(
            decided,
            LeadEvent.DISPUTE_REJECTED,
            arbiter,
            self.text["rejected"] % {"reason": reason.title, "rep": ctx.names[rep], "why": note},
        )
        return decided

    def _sale(self, rng, story, rep, accepted, forced):
        ctx, now, scal, row, path = self.ctx, self.now, self.scal, story.row, story.path
        booked_at, booked_by = story.facts.get("booked", (accepted, rep))
        earliest = max(booked_at, accepted) + DAY * rng.randint(1, 6)
        if forced == "booked":
            earliest = max(earliest - 5 * DAY, now + rng.randint(2 * HOUR, 4 * DAY))
        visit_start = self._visit_slot(rng, earliest)
        visits = story.facts["visits"] = []
        before_visit = path == "lost_before_visit" or path == "dispute_rejected_lost" and rng.random() < 0.5
        # Now and then the client moves the visit once: the first booking is closed as rescheduled.
        if not before_visit and rng.random() < 0.08:
            moved_at = min(visit_start - 2 * HOUR, booked_at + rng.randint(2 * HOUR, 2 * DAY))
            if booked_at < moved_at <= now:
                visits.append(
                    {
                        "start": visit_start,
                        "status": "rescheduled",
                        "changed": moved_at,
                        "booked_at": booked_at,
                        "booked_by": booked_by,
                    }
                )
                booked_at, booked_by = moved_at, rep
                visit_start = self._visit_slot(rng, visit_start + DAY * rng.randint(1, 4))
        visit = {
            "start": visit_start,
            "status": "scheduled",
            "changed": None,
            "booked_at": booked_at,
            "booked_by": booked_by,
        }
        if booked_at <= now:
            visits.append(visit)
        if before_visit:
            lost = scal.add_minutes(accepted + DAY * rng.randint(0, 3), rng.uniform(30, 400))
            lost = max(accepted + 10 * MINUTE, min(lost, visit_start - HOUR))
            if lost > now:
                return
            visit.update(status="cancelled", changed=lost)
            self._lose(
                rng, story, rep, lost, rng.choice(("refused_before_visit", "refused_before_visit", "no_response"))
            )
            return
        measured = visit_start + 90 * MINUTE + rng.randint(10 * MINUTE, 3 * HOUR)
        if measured > now:
            return
        quote = _quote(rng, self.ctx.words)
        visit.update(status="done", changed=measured)
        row.update(quote_amount=quote, measured_at=measured)
        story.transition(measured, LeadEvent.RECORD_MEASUREMENT, MEASURED, rep, self.text["quote"] % {"amount": quote})
        objections = rng.sample(funnel.OBJECTIONS, k=rng.choice((0, 1, 1, 2)))
        story.facts["measurement"] = {"quote": quote, "at": measured, "objections": objections}
        if path in funnel.WON_PATHS:
            closed = scal.add_minutes(measured + DAY * rng.randint(2, 21), rng.uniform(0, 500))
            if closed > now:
                return
            amount = max(self.ctx.words.quote_range[0], int(round(quote * rng.uniform(0.88, 1.0), -3)))
            row.update(
                deal_amount=amount,
                deal_date=ctx.local_date(closed),
                closed_at=closed,
                outcome_note=rng.choice(self.ctx.words.win_notes),
            )
            story.transition(closed, LeadEvent.WIN, WON, rep, self.text["contract"] % {"amount": amount})
        else:
            closed = scal.add_minutes(measured + DAY * rng.randint(3, 30), rng.uniform(0, 500))
            if closed > now:
                return
            self._lose(
                rng, story, rep, closed, pick(rng, list(funnel.LOSE_REASONS), list(funnel.LOSE_REASONS.values()))
            )

    def _lose(self, rng, story, rep, ts, reason_code):
        reason = self.ctx.lose_reasons[reason_code]
        competitor = rng.choice(self.ctx.words.competitors) if reason_code == "competitor" else ""
        note = rng.choice(self.ctx.words.lost_notes)
        story.row.update(lose_reason_id=reason.pk, competitor=competitor, outcome_note=note, closed_at=ts)
        parts = [reason.title, competitor and self.text["competitor"] % {"name": competitor}, note]
        story.transition(ts, LeadEvent.LOSE, LOST, rep, ". ".join(part for part in parts if part))

    def _visit_slot(self, rng, earliest):
        index = self.scal.day_index(earliest)
        for _attempt in range(30):
            hour = rng.choice(funnel.VISIT_HOURS)
            start = self.scal.at_local(index, hour * HOUR)
            if start is not None and start >= earliest and start + 90 * MINUTE <= self.scal.window(index)[1]:
                return start
            index += 1
        raise ValueError("The sales team has no working hours for visits.")


def _rep_kind(path):
    if path in funnel.WON_PATHS:
        return "won"
    return "measured_lost" if path in ("measured_lost", "lost_before_visit") else "default"


def _acceptance_minutes(rng):
    chance = rng.random()
    if chance < 0.80:
        return rng.uniform(5, 90)
    if chance < 0.92:
        return rng.uniform(90, 119)
    return rng.uniform(121, 400)


def _quote(rng, vocab):
    low, high = vocab.quote_range
    while True:
        value = vocab.quote_median * math.exp(rng.gauss(0, vocab.quote_sigma))
        if low <= value <= high:
            return int(round(value, -3))
