"""A small data set whose KPIs are computed by hand in tests/reports/test_selectors.py.

Moscow time (UTC+3). Period B = March 2025 (L1…L10), period A = February 2025 (F1, F2).
Minutes below are received → claimed → first call; SLA deadlines are received +15 / +20 minutes.

    L1  q1→r1  claim +2  call +5   qualified, handed off, accepted, measured (price), won 360 000 on 10.03
    L2  q1→r1  claim +1  call +10  … won 240 000 on 12.03
    L3  q2→r2  claim +10 call +30  … measured (price, competitor), lost 15.03 (price)
    L4  q2→r2  claim +3  call +12  handed off, not accepted yet
    L5  q1     claim +5  call +20  disqualified (modular)
    L6  q2     claim +1  call +4   disqualified; source avito
    L7  —      never called (breach passed)
    L8  q2     claim +20 call +21  still qualifying
    L9  q2     claim +2  call +5   handed off to r2 07.03, dispute upheld against q2 → back to qualifying
    L10 q1→r1  claim +1  call +3   handed off, dispute upheld against q1 (10.03), handed off again 11.03,
                                   accepted, measured, won 500 000 on 20.03 → q1's bonus for it is clawed back
    F1  q1     claim +30 call +40  disqualified (February)
    F2  q1→r1  claim +10 call +20  handed off, accepted, measured, lost (February)
"""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from leadflow import roles
from leadflow.models import HandoffState, LeadStatus, Reason
from sales.models import Dispute, Measurement, ObjectionTag
from tests.factories import LeadFactory, make_user, qualification_team, reason, sales_team, source

MSK = ZoneInfo("Europe/Moscow")


def at(month, day, hour, minute=0, year=2025):
    return datetime(year, month, day, hour, minute, tzinfo=MSK)


def _lead(received, *, claim=None, call=None, **fields):
    values = {
        "received_at": received,
        "sla_warn_at": received + timedelta(minutes=15),
        "sla_breach_at": received + timedelta(minutes=20),
        "claimed_at": received + timedelta(minutes=claim) if claim is not None else None,
        "first_call_at": received + timedelta(minutes=call) if call is not None else None,
        "region": "Москва",
    }
    values.update(fields)
    # the credit the services record: the holder made the first call; who handed off had qualified it
    if values["first_call_at"] is not None:
        values.setdefault("first_called_by", values.get("qualifier"))
    if values.get("handed_off_by") is not None:
        values.setdefault("qualified_by", values["handed_off_by"])
    return LeadFactory(**values)


def _measure(lead, rep, tags):
    measurement = Measurement.objects.create(
        lead=lead, quote_amount=lead.quote_amount, recorded_by=rep, recorded_at=lead.measured_at
    )
    measurement.objections.set(ObjectionTag.objects.filter(code__in=tags))


def _upheld(lead, *, qualifier, rep, raised, decided):
    return Dispute.objects.create(
        lead=lead,
        reason=reason(Reason.Kind.DISPUTE, "modular"),
        comment="Модульная",
        raised_by=rep,
        raised_at=raised,
        qualifier=qualifier,
        sales_rep=rep,
        decision=Dispute.Decision.UPHELD,
        decided_at=decided,
        counts_against=Dispute.CountsAgainst.QUALIFIER,
        counts_against_user=qualifier,
        upheld_action=Dispute.UpheldAction.RETURNED,
    )


def build():
    qteam, steam = qualification_team(), sales_team()
    people = {
        "q1": make_user(roles.QUALIFIER, username="anna", first_name="Анна", last_name="Иванова"),
        "q2": make_user(roles.QUALIFIER, username="boris", first_name="Борис", last_name="Петров"),
        "qlead": make_user(roles.QUALIFICATION_LEAD, username="qlead", first_name="Ольга", last_name="Лидова"),
        "r1": make_user(roles.SALES_REP, username="roman", first_name="Роман", last_name="Сидоров"),
        "r2": make_user(roles.SALES_REP, username="sergey", first_name="Сергей", last_name="Кузнецов"),
        "manager": make_user(roles.SALES_MANAGER, username="manager", first_name="Мария", last_name="Продажина"),
        "director": make_user(roles.DIRECTOR, username="director", first_name="Дмитрий", last_name="Директоров"),
    }
    q1, q2, r1, r2 = people["q1"], people["q2"], people["r1"], people["r2"]
    lose_price = reason(Reason.Kind.LOSE, "price")
    modular = reason(Reason.Kind.DISQUALIFY, "modular")

    def won(received, *, claim, call, qualifier, rep, handed, accepted, measured, closed, amount, quote, **extra):
        return _lead(
            received,
            claim=claim,
            call=call,
            status=LeadStatus.WON,
            qualifier=qualifier,
            handed_off_by=qualifier,
            sales_rep=rep,
            criteria_passed=True,
            qualified_at=handed - timedelta(minutes=10),
            handed_off_at=handed,
            handoff_state=HandoffState.ACCEPTED,
            accepted_at=accepted,
            measured_at=measured,
            closed_at=closed,
            quote_amount=Decimal(quote),
            deal_amount=Decimal(amount),
            deal_date=closed.date(),
            **extra,
        )

    leads = {}
    leads["L1"] = won(
        at(3, 3, 10), claim=2, call=5, qualifier=q1, rep=r1, handed=at(3, 3, 10, 30), accepted=at(3, 3, 11),
        measured=at(3, 5, 12), closed=at(3, 10, 12), amount="360000", quote="400000",
    )  # fmt: skip
    leads["L2"] = won(
        at(3, 3, 11), claim=1, call=10, qualifier=q1, rep=r1, handed=at(3, 3, 11, 40), accepted=at(3, 3, 12, 40),
        measured=at(3, 6, 12), closed=at(3, 12, 12), amount="240000", quote="260000",
    )  # fmt: skip
    leads["L3"] = _lead(
        at(3, 4, 10), claim=10, call=30, status=LeadStatus.LOST, qualifier=q2, handed_off_by=q2, sales_rep=r2,
        qualified_at=at(3, 4, 10, 50), handed_off_at=at(3, 4, 11), handoff_state=HandoffState.ACCEPTED,
        accepted_at=at(3, 4, 13), measured_at=at(3, 7, 10), quote_amount=Decimal("300000"),
        closed_at=at(3, 15, 12), lose_reason=lose_price,
    )  # fmt: skip
    leads["L4"] = _lead(
        at(3, 4, 12), claim=3, call=12, status=LeadStatus.HANDED_OFF, qualifier=q2, handed_off_by=q2, sales_rep=r2,
        qualified_at=at(3, 4, 12, 30), handed_off_at=at(3, 4, 12, 40), handoff_state=HandoffState.PENDING,
    )  # fmt: skip
    leads["L5"] = _lead(
        at(3, 5, 9), claim=5, call=20, status=LeadStatus.DISQUALIFIED, qualifier=q1, disqualify_reason=modular,
        disqualified_at=at(3, 5, 9, 30), closed_at=at(3, 5, 9, 30),
    )  # fmt: skip
    leads["L6"] = _lead(
        at(3, 5, 15), claim=1, call=4, status=LeadStatus.DISQUALIFIED, qualifier=q2, disqualify_reason=modular,
        disqualified_at=at(3, 5, 15, 10), closed_at=at(3, 5, 15, 10), source=source("avito"),
    )  # fmt: skip
    leads["L7"] = _lead(at(3, 6, 10))
    leads["L8"] = _lead(at(3, 6, 11), claim=20, call=21, status=LeadStatus.QUALIFYING, qualifier=q2)
    leads["L9"] = _lead(
        at(3, 7, 9), claim=2, call=5, status=LeadStatus.QUALIFYING, qualifier=q2, handed_off_by=q2,
    )  # fmt: skip
    _upheld(leads["L9"], qualifier=q2, rep=r2, raised=at(3, 7, 12), decided=at(3, 7, 15))
    leads["L10"] = won(
        at(3, 10, 10), claim=1, call=3, qualifier=q1, rep=r1, handed=at(3, 11, 10), accepted=at(3, 11, 11),
        measured=at(3, 12, 10), closed=at(3, 20, 10), amount="500000", quote="520000",
    )  # fmt: skip
    _upheld(leads["L10"], qualifier=q1, rep=r1, raised=at(3, 10, 12), decided=at(3, 10, 14))
    _measure(leads["L1"], r1, ["price"])
    _measure(leads["L2"], r1, [])
    _measure(leads["L3"], r2, ["price", "competitor"])
    _measure(leads["L10"], r1, [])

    leads["F1"] = _lead(
        at(2, 10, 10), claim=30, call=40, status=LeadStatus.DISQUALIFIED, qualifier=q1, disqualify_reason=modular,
        disqualified_at=at(2, 10, 11), closed_at=at(2, 10, 11),
    )  # fmt: skip
    leads["F2"] = _lead(
        at(2, 11, 10), claim=10, call=20, status=LeadStatus.LOST, qualifier=q1, handed_off_by=q1, sales_rep=r1,
        qualified_at=at(2, 11, 10, 40), handed_off_at=at(2, 11, 11), handoff_state=HandoffState.ACCEPTED,
        accepted_at=at(2, 11, 12), measured_at=at(2, 14, 12), quote_amount=Decimal("310000"),
        closed_at=at(2, 20, 12), lose_reason=lose_price,
    )  # fmt: skip
    return {"people": people, "leads": leads, "qteam": qteam, "steam": steam}
