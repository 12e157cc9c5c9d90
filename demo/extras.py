"""Rows of the apps built on the core, written through each app's bulk path (qualification/bulk.py,
sales/bulk.py). Each extra collects rows from a finished story, as tuples in the column order the app
publishes, and writes them after the chunk's leads.

Add an extra: a class with `available()` (classmethod), `collect(story, batch)`, `write(batch)` and
`models()` (the models it writes, analysed at the end of the seed), listed in EXTRAS.
"""

from datetime import timedelta

from django.db.models import Max

from qualification import bulk as qualification_bulk
from qualification.models import Checklist
from sales import bulk as sales_bulk
from sales.models import Measurement, ObjectionTag, Visit

from .funnel import HANDOFF_PATHS, WON_PATHS

MINUTE, HOUR = 60, 3600


class IdCounter:
    """Explicit ids for rows other rows point at (visits ← measurements); sequences reset afterwards."""

    def __init__(self, model):
        self.model = model
        self.next = (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1

    def take(self):
        value = self.next
        self.next += 1
        return value


class ChecklistAnswers:
    """Answers to the team's active checklist for every lead that was reached, consistent with the
    outcome: all pass for a qualified lead, the criterion behind the disqualification reason fails
    (and the qualifier stops there), nothing for unreachable, spam and duplicates."""

    NAME = "answers"

    @classmethod
    def available(cls, ctx):
        return cls._checklist(ctx) is not None

    @staticmethod
    def _checklist(ctx):
        return (
            Checklist.objects.filter(team=ctx.qualification_team, is_active=True).prefetch_related("criteria").first()
        )

    def __init__(self, ctx):
        self.ctx = ctx
        checklist = self._checklist(ctx)
        self.version = checklist.version
        self.criteria = sorted(checklist.criteria.all(), key=lambda c: c.position)
        self.writer = qualification_bulk.lead_answer_rows_writer()
        self.summary_writer = qualification_bulk.handoff_summary_rows_writer()

    def collect(self, story, batch):
        reached = story.facts.get("reached_at")
        if reached is None or story.row["claimed_at"] is None:
            return
        path = story.path
        if path in ("dq_unreachable", "dq_spam", "dq_duplicate"):
            return
        failing = None
        if path.startswith("dq_"):
            failing = self.ctx.disqualify_reasons[path[3:]].pk
            if not any(c.disqualify_reason_id == failing for c in self.criteria):
                return
        rng = story.rng
        qualifier = story.facts["qualifier"]
        rows = batch.rows(self.NAME)
        snapshot = []
        at = story.facts["reached_call_at"]
        for criterion in self.criteria:
            at = min(at + rng.randint(15, 45), reached)
            fails = criterion.disqualify_reason_id is not None and criterion.disqualify_reason_id == failing
            value = _answer(rng, criterion, passes=not fails)
            if criterion.code == "timeline" and not fails and path in HANDOFF_PATHS:
                value = _handed_off_timeline(rng, won=path in WON_PATHS)
            rows.append((story.lead_id, criterion.pk, self.version, value, not fails, qualifier, at))
            snapshot.append((criterion, value, not fails))
            if fails:
                break
        handoff = story.facts.get("handoff")
        if handoff is not None:
            handed_off, by, rep = handoff
            answers = [
                {"code": c.code, "question": c.question, "answer": _display(c, v), "passed": ok}
                for c, v, ok in snapshot
            ]
            shown = {c.code: _display(c, v) for c, v, _ok in snapshot}
            batch.rows("summaries").append(
                (
                    story.lead_id,
                    rep,
                    by,
                    handed_off,
                    self.version,
                    answers,
                    shown.get("budget", ""),
                    shown.get("timeline", ""),
                    rng.choice(["будни после 18:00", "выходные", "любой день", ""]),
                    "",
                )
            )

    def write(self, batch):
        self.writer.write(batch.rows(self.NAME))
        self.summary_writer.write(batch.rows("summaries"))

    def models(self):
        return [self.writer.model, self.summary_writer.model]

    def finish(self):
        pass


# Months until the order, for the leads handed off: the buyers mostly order soon, while most of the
# lost hand-offs were "in 7–12 months" — the criteria report flags that answer as wasted visits.
SOON = (0, 1, 1, 2, 2, 3, 3, 4, 5, 6)
LATER = (7, 8, 9, 10, 12)


def _handed_off_timeline(rng, *, won):
    months = rng.choice(SOON * 5 + LATER) if won else rng.choice(SOON + LATER * 3)
    return months


def _answer(rng, criterion, *, passes):
    kind = criterion.kind
    if kind == "choice":
        options = [o["value"] for o in criterion.options if bool(o.get("passes")) == passes]
        return str(rng.choice(options)) if options else str(criterion.options[0]["value"])
    if kind == "yes_no":
        return criterion.pass_if_yes if passes else not criterion.pass_if_yes
    low = int(criterion.min_value) if criterion.min_value is not None else None
    high = int(criterion.max_value) if criterion.max_value is not None else None
    if passes:
        if low is not None and high is not None:
            return rng.randint(low, high)
        if low is not None:
            step = 50_000 if low >= 10_000 else 1
            return low + step * rng.randint(0, 15)
        return rng.randint(0, high)
    if low is not None and low > 0 and (high is None or rng.random() < 0.5):
        if low >= 10_000:  # money: a budget well below the threshold
            return low - 10_000 * rng.randint(1, max(1, low // 10_000 - 5))
        return low - 1
    return (high or 0) + rng.randint(1, 12)


def _display(criterion, value):
    if criterion.kind == "choice":
        return next((o.get("label", value) for o in criterion.options if str(o.get("value")) == str(value)), value)
    if criterion.kind == "yes_no":
        return "Да" if value else "Нет"
    text = f"{value:,}".replace(",", " ")
    return f"{text} {criterion.unit}".strip()


class SalesRows:
    """Disputes with their decisions, measurement visits (done, cancelled, rescheduled, upcoming)
    and measurements with objection tags."""

    NAME = "sales"

    @classmethod
    def available(cls, ctx):
        return True

    def __init__(self, ctx):
        self.ctx = ctx
        by_code = dict(ObjectionTag.objects.values_list("code", "pk"))
        self.tags = {role: by_code[code] for role, code in ctx.words.roles["objection"].items() if code in by_code}
        self.visit_ids = IdCounter(Visit)
        self.measurement_ids = IdCounter(Measurement)
        self.disputes = sales_bulk.dispute_rows_writer()
        self.visits = sales_bulk.visit_rows_writer()
        self.measurements = sales_bulk.measurement_rows_writer()
        self.objections = sales_bulk.measurement_objection_rows_writer()

    def collect(self, story, batch):
        facts, row, now = story.facts, story.row, self.ctx.now
        dispute = facts.get("dispute")
        if dispute is not None:
            batch.rows("disputes").append(
                (
                    story.lead_id,
                    dispute["reason"],
                    dispute["comment"],
                    dispute["raised_by"],
                    dispute["raised_at"],
                    dispute["qualifier"],
                    dispute["sales_rep"],
                    dispute.get("decision", "pending"),
                    dispute.get("decided_by"),
                    dispute.get("decided_at"),
                    dispute.get("note", ""),
                    dispute.get("upheld_action", ""),
                    dispute.get("counts_against", ""),
                    dispute.get("counts_against_user"),
                )
            )
        rep = row["sales_rep_id"] or (facts["handoff"][2] if "handoff" in facts else None)
        address = row["address"] or f"{row['city']}, адрес уточнить"
        previous = None
        done_visit = None
        for visit in facts.get("visits", ()):
            visit_id = self.visit_ids.take()
            start = visit["start"]
            reminded = (
                start - 14 * HOUR if start - 14 * HOUR <= now and visit["status"] in ("scheduled", "done") else None
            )
            details = start - 3 * HOUR if start - 3 * HOUR <= now and visit["status"] in ("scheduled", "done") else None
            rescheduled_from = previous if previous is not None and previous[1] == "rescheduled" else None
            series = sales_bulk.bulk_visit_series(visit_id, rescheduled_from and rescheduled_from[2])
            batch.rows("visits").append(
                (
                    visit_id,
                    story.lead_id,
                    rep,
                    start,
                    start + 90 * MINUTE,
                    address,
                    "",
                    visit["status"],
                    visit["booked_by"],
                    rescheduled_from and rescheduled_from[0],
                    visit["changed"],
                    reminded,
                    details,
                    visit["booked_at"],
                    visit["changed"] or visit["booked_at"],
                    *series,
                )
            )
            if visit["status"] == "done":
                done_visit = visit_id
            previous = (visit_id, visit["status"], series)
        measurement = facts.get("measurement")
        if measurement is not None:
            measurement_id = self.measurement_ids.take()
            due = self.ctx.local_date(measurement["at"]) + timedelta(days=3)
            batch.rows("measurements").append(
                (
                    measurement_id,
                    story.lead_id,
                    done_visit,
                    measurement["quote"],
                    "Сравнивает с другими салонами" if measurement["objections"] else "",
                    "Отправить дизайн-проект и смету",
                    due,
                    rep,
                    measurement["at"],
                )
            )
            for code in measurement["objections"]:
                if code in self.tags:
                    batch.rows("objections").append((measurement_id, self.tags[code]))

    def write(self, batch):
        self.disputes.write(batch.rows("disputes"))
        self.visits.write(batch.rows("visits"))
        self.measurements.write(batch.rows("measurements"))
        self.objections.write(batch.rows("objections"))

    def models(self):
        return [writer.model for writer in (self.disputes, self.visits, self.measurements, self.objections)]

    def finish(self):
        sales_bulk.visit_and_measurement_ids_reset()


EXTRAS = [ChecklistAnswers, SalesRows]
