"""What the page counts per lead: the flags (hand-off, upheld, bought later), the sums, the latest answers."""

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    FloatField,
    Func,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from leadflow.db import Seconds
from leadflow.models import Lead, LeadStatus
from qualification.models import LeadAnswer
from sales.models import Dispute, Visit

DEFAULT_BANDS = {"budget": (150_000, 250_000, 400_000, 700_000), "timeline": (1, 3, 6, 12)}


def min_handoffs():
    """Under this many hand-offs a row gets no verdict ("not enough data")."""
    return getattr(settings, "CRITERIA_MIN_HANDOFFS", 30)


def stale_raw_leads():
    """Up to this many leads on the days changed since the rollup's last refresh are read raw (exact); past
    it the page shows the rollup as of the refresh (reports.rollup.day_plan)."""
    return getattr(settings, "CRITERIA_STALE_RAW_LEADS", 20_000)


def visit_hours():
    """The length of a visit for a measured lead without a recorded visit (the visits' own length otherwise)."""
    return getattr(settings, "CRITERIA_VISIT_HOURS", 2.0)


# attribute → (label, the lead's field the rows group by)
ATTRIBUTES = {
    "product_interest": (_("Product type (from the request)"), "product_interest"),
    "region": (_("Region"), "region"),
    "source": (_("Source"), "source_id"),
    "utm_campaign": (_("UTM campaign"), "utm_campaign"),
}
FIGURE_KEYS = ("leads", "handoffs", "upheld", "measured", "won", "disqualified", "comeback")


def _upheld(prefix=""):
    """Whether a dispute on the lead was upheld: `pk IN (the upheld disputes' leads)`, uncorrelated, so
    PostgreSQL hashes the few upheld disputes once instead of probing them per lead and per figure."""
    upheld = Dispute.objects.filter(decision=Dispute.Decision.UPHELD).values("lead_id")
    return Q(**{f"{prefix}pk__in": upheld})


def _came_back_won(prefix=""):
    """A disqualified lead not won itself whose phone came back as a later lead that was won; only
    disqualified leads probe the later leads (the others are False without a lookup)."""
    later_won = Exists(
        Lead.objects.filter(
            phone=OuterRef(f"{prefix}phone"), received_at__gt=OuterRef(f"{prefix}received_at"), status=LeadStatus.WON
        )
    )
    disqualified_not_won = Q(**{f"{prefix}disqualified_at__isnull": False}) & ~Q(**{f"{prefix}status": LeadStatus.WON})
    return Case(When(disqualified_not_won, then=later_won), default=Value(False), output_field=BooleanField())


def figure_q(figure, prefix=""):
    """The Q of the leads a figure counts, over leads annotated by `with_flags` (prefix for LeadAnswer)."""
    p = prefix
    handed = Q(**{f"{p}handed_off_at__isnull": False}) | Q(is_upheld=True)
    won = Q(**{f"{p}status": LeadStatus.WON})
    disqualified = Q(**{f"{p}disqualified_at__isnull": False})
    return {
        "leads": Q(),
        "handoffs": handed,
        "upheld": Q(is_upheld=True),
        "measured": Q(**{f"{p}measured_at__isnull": False}),
        "won": won,
        "disqualified": disqualified,
        "comeback": disqualified & (won | Q(came_back_won_flag=True)),
    }[figure]


def _flag(expression):
    """An EXISTS as a plain boolean column: aggregating over a Subquery annotation makes Django wrap
    the whole query in a subquery (and lose the annotation on PostgreSQL); a wrapped one stays inline."""
    return ExpressionWrapper(expression, output_field=BooleanField())


def _done_visits(prefix=""):
    return Visit.objects.filter(lead_id=OuterRef(f"{prefix}pk"), status=Visit.Status.DONE).order_by().values("lead_id")


def with_flags(queryset, prefix="", *, visits=False):
    """Leads (prefix "") or answers (prefix "lead__") annotated with what the figures need; `visits`: also
    the lead's done visits and their length in seconds (the rule what-if's hours)."""
    lead = prefix or ""
    queryset = queryset.annotate(is_upheld=_flag(_upheld(lead)), came_back_won_flag=_flag(_came_back_won(lead)))
    if visits:
        done = _done_visits(lead)
        queryset = queryset.annotate(
            done_visits=Coalesce(Subquery(done.annotate(n=Count("pk")).values("n")), 0),
            done_seconds=Coalesce(
                Subquery(done.annotate(s=Sum(Seconds("ends_at", "starts_at"))).values("s")),
                Value(0.0),
                output_field=FloatField(),
            ),
        )
    return queryset


def aggregates(prefix="", *, visits=False):
    counted = {
        key: Count(f"{prefix}pk", filter=figure_q(key, prefix)) if key != "leads" else Count(f"{prefix}pk")
        for key in FIGURE_KEYS
    }
    counted["revenue"] = Sum(f"{prefix}deal_amount", filter=figure_q("won", prefix))
    if visits:
        handed = figure_q("handoffs", prefix)
        measured = Q(**{f"{prefix}measured_at__isnull": False})
        counted["handed_measured"] = Count(f"{prefix}pk", filter=handed & measured)
        counted["visits"] = Sum("done_visits", filter=handed)
        counted["visit_seconds"] = Sum("done_seconds", filter=handed)
        counted["measured_no_visit"] = Count(f"{prefix}pk", filter=handed & measured & Q(done_visits=0))
    return counted


class JsonNumber(Func):
    """A JSON answer as a number: NULL for a string or a boolean on PostgreSQL (a plain cast of a jsonb
    string fails, and the planner may evaluate it on other questions' answers before the code filter);
    SQLite's CAST of a text is harmless (0)."""

    template = "CAST(%(expressions)s AS REAL)"
    output_field = FloatField()

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(CASE WHEN jsonb_typeof({sql}) = 'number' THEN ({sql})::double precision END)", (*params, *params)


def latest_answers():
    """Each lead's latest answer per question (no answer to the same code in a later version)."""
    newer = LeadAnswer.objects.filter(
        lead_id=OuterRef("lead_id"),
        criterion__code=OuterRef("criterion__code"),
        checklist_version__gt=OuterRef("checklist_version"),
    )
    return LeadAnswer.objects.filter(~Exists(newer))
