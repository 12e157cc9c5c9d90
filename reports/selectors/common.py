"""What every KPI selector shares: the period, the filters, the viewer's scope, people's names.

Selectors return plain dicts of aggregated rows (one row per group, never per lead); the pages in
reports.pages turn them into tables and charts.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

SECONDS_PER_MINUTE = 60.0


@dataclass(frozen=True)
class Period:
    """[start, end) in aware datetimes."""

    start: datetime
    end: datetime

    def q(self, field_name, prefix=""):
        return Q(**{f"{prefix}{field_name}__gte": self.start, f"{prefix}{field_name}__lt": self.end})


@dataclass(frozen=True)
class Scope:
    """Which leads and whose people the viewer may see.

    `lead_q` is a Q over Lead; `team_ids` limits per-person rows to these teams (None: all);
    `extra_people_team_ids` are other teams whose people the role may see on some pages
    (a sales manager sees the qualifiers who hand off to their team, to arbitrate).
    """

    lead_q: Q = field(default_factory=Q)
    team_ids: frozenset | None = None
    extra_people_team_ids: frozenset = frozenset()

    @property
    def sees_all(self):
        return self.team_ids is None

    def leads(self, prefix=""):
        return _prefixed(self.lead_q, prefix)

    def people_q(self, user_prefix="", include_extra=False):
        """Q over a user FK (`user_prefix` like 'handed_off_by__'); everyone when the scope sees all."""
        if self.team_ids is None:
            return Q()
        teams = set(self.team_ids) | (set(self.extra_people_team_ids) if include_extra else set())
        return Q(**{f"{user_prefix}profile__team__in": teams})


@dataclass(frozen=True)
class ReportFilter:
    period: Period
    team_id: int | None = None
    person_id: int | None = None
    source_id: int | None = None
    region: str = ""

    def lead_q(
        self, prefix="", person_fields=("qualifier", "first_called_by", "qualified_by", "handed_off_by", "sales_rep")
    ):
        q = Q()
        if self.team_id:
            q &= Q(**{f"{prefix}qualification_team_id": self.team_id}) | Q(
                **{f"{prefix}sales_rep__profile__team_id": self.team_id}
            )
        if self.person_id:
            person = Q()
            for name in person_fields:
                person |= Q(**{f"{prefix}{name}_id": self.person_id})
            q &= person
        if self.source_id:
            q &= Q(**{f"{prefix}source_id": self.source_id})
        if self.region:
            q &= Q(**{f"{prefix}region__iexact": self.region})
        return q


def _prefixed(q, prefix):
    if not prefix:
        return q
    clone = Q()
    clone.connector, clone.negated = q.connector, q.negated
    clone.children = [
        _prefixed(child, prefix) if isinstance(child, Q) else (f"{prefix}{child[0]}", child[1]) for child in q.children
    ]
    return clone


def person_label(first_name, last_name, username):
    full = f"{first_name or ''} {last_name or ''}".strip()
    return full or username or "—"


class _NameOfGroup(Subquery):
    """A scalar subquery over the grouped columns only: not itself a GROUP BY key (Django would group
    by it, running it for every lead)."""

    def get_group_by_cols(self):
        return []


def name_of_group(model, fk_column, field):
    """The `field` of the `model` row a grouped row's `fk_column` points to, by a subquery per result row."""
    return _NameOfGroup(model.objects.filter(pk=OuterRef(fk_column)).values(field)[:1])


def user_names(fk):
    """Annotations naming the user FK `fk` of grouped rows (`<fk>_first_name`, `_last_name`, `_username`;
    read with label_from(row, f"{fk}_")): a scalar subquery per result row, after grouping on the id
    alone, instead of joining auth_user to every lead (the year's economics pairs: 0.74 → 0.26 s)."""
    User = get_user_model()
    return {f"{fk}_{name}": name_of_group(User, f"{fk}_id", name) for name in ("first_name", "last_name", "username")}


def user_name_fields(prefix):
    """values() names for a user FK, e.g. 'handed_off_by__' → first/last/username."""
    return (f"{prefix}first_name", f"{prefix}last_name", f"{prefix}username")


# Per-qualifier rows credit the work, not the current holder (a released claim clears `qualifier`):
# speed to the one who made the first call, the funnel to the one who qualified the lead, else the
# one holding or closing it, else the first caller; see docs/reports.md.
SPEED_CREDIT = ("first_called_by", "qualifier")
FUNNEL_CREDIT = ("qualified_by", "qualifier", "first_called_by")


def credited_person_id(fields):
    """The first person set among the user FKs `fields`. Grouped on the ids alone, the names come
    from one query for the rows (users_by_id): joining auth_user once per field made the year's
    funnel 50 % slower."""
    return Coalesce(*[f"{name}_id" for name in fields])


def label_from(row, prefix):
    return person_label(row.get(f"{prefix}first_name"), row.get(f"{prefix}last_name"), row.get(f"{prefix}username"))


def ratio(numerator, denominator):
    """numerator / denominator as a float, None when the denominator is 0 (shown as “—”)."""
    if not denominator:
        return None
    return float(numerator or 0) / float(denominator)


def minutes(seconds):
    return None if seconds is None else seconds / SECONDS_PER_MINUTE


def users_by_id(ids):
    User = get_user_model()
    return {
        row["pk"]: person_label(row["first_name"], row["last_name"], row["username"])
        for row in User.objects.filter(pk__in=ids).values("pk", "first_name", "last_name", "username")
    }


def label_credited(rows, *, nobody):
    """Name the rows grouped by `credited_id` (one query), `nobody` for the row of no one."""
    names = users_by_id([row["credited_id"] for row in rows if row["credited_id"]])
    for row in rows:
        row["label"] = names.get(row["credited_id"], nobody) if row["credited_id"] else nobody
    return rows
