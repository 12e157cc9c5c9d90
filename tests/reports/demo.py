"""A few hundred believable leads over February–March 2025 for the browser test's screenshots.

Deterministic (seeded); bulk-inserted rows, not a hand-computed set (that is tests/reports/dataset.py).
"""

import random
from datetime import timedelta
from decimal import Decimal

from leadflow import roles
from leadflow.models import HandoffState, Lead, LeadStatus, Reason, Source
from sales.models import Measurement, ObjectionTag
from tests.factories import make_user, qualification_team

from .dataset import at

QUALIFIERS = [("Анна", "Иванова", 0.42), ("Борис", "Петров", 0.36), ("Вера", "Смирнова", 0.40), ("Глеб", "Орлов", 0.15)]
REPS = [("Роман", "Сидоров"), ("Сергей", "Кузнецов"), ("Тимур", "Волков")]


def build(leads_per_day=9, seed=6):
    rng = random.Random(seed)
    team = qualification_team()
    qualifiers = [
        make_user(roles.QUALIFIER, username=f"demo_q{i}", first_name=first, last_name=last)
        for i, (first, last, _rate) in enumerate(QUALIFIERS)
    ]
    reps = [
        make_user(roles.SALES_REP, username=f"demo_r{i}", first_name=first, last_name=last)
        for i, (first, last) in enumerate(REPS)
    ]
    sources = list(Source.objects.filter(code__in=["website", "avito", "yandex_direct", "call_tracking"]))
    lose = list(Reason.objects.filter(kind=Reason.Kind.LOSE))
    disq = list(Reason.objects.filter(kind=Reason.Kind.DISQUALIFY))
    rows = []
    for day in range(59):  # 1 Feb … 31 Mar 2025
        month, date = (2, day + 1) if day < 28 else (3, day - 27)
        pilot = month == 3  # the two-team model started in March: faster calls
        for n in range(leads_per_day + rng.randint(-3, 3)):
            received = at(
                month, date, rng.choice([9, 10, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]), rng.randint(0, 59)
            )
            index = rng.randrange(len(qualifiers))
            qualifier = qualifiers[index]
            win_rate = QUALIFIERS[index][2] if pilot else 0.2
            claim = rng.randint(0, 6 if pilot else 25)
            call = claim + rng.randint(1, 9 if pilot else 30)
            if pilot and rng.random() < 0.12:  # a queue peak or a long call elsewhere
                call += rng.randint(8, 25)
            if received.hour >= 19 or received.weekday() >= 5:  # thinner evening and weekend shifts
                claim += rng.randint(0, 8)
                call += rng.randint(2, 12)
            fields = {
                "phone": f"+7916{day:03d}{n:04d}",
                "source": rng.choice(sources),
                "qualification_team": team,
                "received_at": received,
                "region": rng.choice(["Москва", "Москва", "Москва", "Московская область"]),
                "product_interest": "custom",
                "sla_warn_at": received + timedelta(minutes=15),
                "sla_breach_at": received + timedelta(minutes=20),
                "qualifier": qualifier,
                "first_called_by": qualifier,
                "claimed_at": received + timedelta(minutes=claim),
                "first_call_at": received + timedelta(minutes=call),
            }
            if rng.random() < 0.55:
                reason = rng.choice(disq)
                fields.update(
                    status=LeadStatus.DISQUALIFIED,
                    disqualify_reason=reason,
                    disqualified_at=received + timedelta(minutes=call + 8),
                    closed_at=received + timedelta(minutes=call + 8),
                )
            else:
                rep = rng.choice(reps)
                handed = received + timedelta(minutes=call + 15)
                fields.update(
                    qualified_at=handed - timedelta(minutes=5),
                    qualified_by=qualifier,
                    handed_off_by=qualifier,
                    handed_off_at=handed,
                    sales_rep=rep,
                    status=LeadStatus.HANDED_OFF,
                    handoff_state=HandoffState.PENDING,
                )
                if rng.random() < 0.88:
                    fields.update(handoff_state=HandoffState.ACCEPTED, accepted_at=handed + timedelta(hours=2))
                    measured = handed + timedelta(days=rng.randint(1, 4))
                    fields.update(
                        status=LeadStatus.MEASURED,
                        measured_at=measured,
                        quote_amount=Decimal(rng.randrange(280, 620) * 1000),
                    )
                    closed = measured + timedelta(days=rng.randint(2, 12))
                    if rng.random() < win_rate:
                        fields.update(
                            status=LeadStatus.WON,
                            closed_at=closed,
                            deal_amount=fields["quote_amount"] * Decimal("0.92"),
                            deal_date=closed.date(),
                        )
                    elif rng.random() < 0.6:
                        fields.update(status=LeadStatus.LOST, closed_at=closed, lose_reason=rng.choice(lose))
            rows.append(Lead(**fields))
    Lead.objects.bulk_create(rows)
    tags = list(ObjectionTag.objects.all())
    for lead in rows:
        if lead.measured_at is None:
            continue
        measurement = Measurement.objects.create(
            lead=lead, quote_amount=lead.quote_amount, recorded_by=lead.sales_rep, recorded_at=lead.measured_at
        )
        measurement.objections.set(rng.sample(tags, k=rng.choice([0, 0, 1, 1, 2])))
    return {"qualifiers": qualifiers, "reps": reps}
