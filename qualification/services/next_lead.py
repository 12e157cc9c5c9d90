"""The "Next lead" claim on PostgreSQL in one statement (docs/decisions.md, docs/performance.md, issue 14 §3).

The ORM path (`claims._claim_next_skip_locked`) costs BEGIN, the pick, the history INSERT, the claim's
UPDATE and COMMIT, and ~1.3 ms of Python (the 55-column model, django-fsm and django-fsm-log per press).
Here the same work is one autocommit statement with data-modifying CTEs, compiled once per process:

    WITH next_callback AS (the actor's due callback, earliest first, LIMIT 1),
         next_pick AS (the team's claimable leads in queue order, LIMIT 1 FOR UPDATE SKIP LOCKED,
                       only when there is no due callback),
         next_claimed AS (UPDATE the picked lead: status, qualifier, claimed_at, last_activity_at,
                          updated_at, RETURNING the row),
         next_logged AS (INSERT its history row, as django-fsm-log writes it for `claim`)
    SELECT the callback's row or the claimed one

The callback and the pick are compiled from the selectors (`due_callbacks`, `claimable_leads`), so the
queue order has one definition. What the ORM path checks for a picked lead holds by construction (the
team is the actor's, the status is new, the qualifier is the actor: `can_qualify` was checked by the
caller); a due callback still goes through `access.ensure_team_member` as `_claim_locked` does. The
claim sends no notification and schedules no task: the lead's columns and its history row are all of
it (tests/qualification/test_claim_next_sql.py holds both equal to the ORM path's, field by field).
"""

import enum
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm_log.models import StateLog

from leadflow import access
from leadflow.models import Lead, LeadEvent, LeadStatus

from .. import selectors


class _Slot(enum.Enum):
    """A parameter filled in at each press; the statement is compiled with a stand-in for it."""

    NOW = enum.auto()
    USER = enum.auto()
    TEAM = enum.auto()
    CONTENT_TYPE = enum.auto()
    DESCRIPTION = enum.auto()


_STAND_INS = {  # values no real row has, recognised in the compiled parameters by type and value
    _Slot.NOW: datetime(2000, 1, 1, tzinfo=UTC),
    _Slot.USER: -2_000_000_001,
    _Slot.TEAM: -2_000_000_002,
}


@dataclass(frozen=True)
class _Statement:
    sql: str
    params: tuple  # constants, and _Slot members where a press puts its own value
    fields: tuple  # the lead's attnames in the order of the row returned (after the "claimed" flag)


_COMPILED = {}  # database alias → _Statement
_COMPILING = threading.Lock()  # one compile per process, not one per thread that presses first


def claim_next_in_one_statement(*, actor, team_id):
    """The due callback of `actor` (unchanged) or the team's most urgent claimable lead, claimed for
    `actor` with its history row, in one statement; None when there is neither. Runs in autocommit (or
    inside the caller's transaction)."""
    statement = _COMPILED.get(connection.alias) or _compile()
    values = {
        _Slot.NOW: timezone.now(),
        _Slot.USER: actor.pk,
        _Slot.TEAM: team_id,
        _Slot.CONTENT_TYPE: ContentType.objects.get_for_model(Lead).pk,
        _Slot.DESCRIPTION: _("Next lead"),
    }
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, [values[p] if type(p) is _Slot else p for p in statement.params])
        row = cursor.fetchone()
    if row is None:
        return None
    claimed, *columns = row
    lead = Lead.from_db(connection.alias, statement.fields, columns)
    if not claimed:  # the actor's due callback: theirs already
        access.ensure_team_member(lead=lead, actor=actor)
        return lead
    Lead.qualifier.field.set_cached_value(lead, actor)  # as the ORM path's `prepare` leaves it
    return lead


def _compile():
    with _COMPILING:
        return _COMPILED.get(connection.alias) or _compile_locked()


def _compile_locked():
    alias = connection.alias
    qn = connection.ops.quote_name
    gate = RawSQL('NOT EXISTS (SELECT 1 FROM "next_callback")', (), output_field=BooleanField())
    callback = selectors.due_callbacks(user_id=_STAND_INS[_Slot.USER], now=_STAND_INS[_Slot.NOW])[:1]
    pick = (
        selectors.claimable_leads(team_id=_STAND_INS[_Slot.TEAM], now=_STAND_INS[_Slot.NOW])
        .filter(gate)
        .select_for_update(skip_locked=True, of=("self",))
        .values("pk")[:1]
    )
    with transaction.atomic(using=alias, savepoint=False):  # Django compiles FOR UPDATE only in a transaction
        compiler = callback.query.get_compiler(using=alias)
        callback_sql, callback_params = compiler.as_sql()
        pick_sql, pick_params = pick.query.get_compiler(using=alias).as_sql()
    if compiler.get_converters([column for column, _sql, _alias in compiler.select]):
        # `Lead.from_db` below takes the values as the driver returns them, as no lead field converts today
        raise RuntimeError("next lead: a lead field converts its database value; build the lead through the ORM")

    fields = Lead._meta.concrete_fields
    column = {f.name: qn(f.column) for f in fields}
    lead_table = qn(Lead._meta.db_table)
    row_columns = ", ".join(qn(f.column) for f in fields)
    log = {f.name: qn(f.column) for f in StateLog._meta.concrete_fields}
    sql = f"""
        WITH "next_callback" AS ({callback_sql}),
        "next_pick" ("id") AS ({pick_sql}),
        "next_claimed" AS (
            UPDATE {lead_table}
            SET {column["status"]} = %s, {column["qualifier"]} = %s, {column["claimed_at"]} = %s,
                {column["last_activity_at"]} = %s, {column["updated_at"]} = %s
            FROM "next_pick"
            WHERE {lead_table}.{column["id"]} = "next_pick"."id"
              AND {lead_table}.{column["status"]} = %s AND {lead_table}.{column["qualifier"]} IS NULL
            RETURNING {", ".join(f"{lead_table}.{qn(f.column)}" for f in fields)}
        ),
        "next_logged" AS (
            INSERT INTO {qn(StateLog._meta.db_table)} ({log["timestamp"]}, {log["by"]}, {log["source_state"]},
                {log["state"]}, {log["transition"]}, {log["content_type"]}, {log["object_id"]}, {log["description"]})
            SELECT {column["claimed_at"]}, {column["qualifier"]}, %s, %s, %s, %s, {column["id"]}, %s
            FROM "next_claimed"
        )
        SELECT false, {row_columns} FROM "next_callback"
        UNION ALL
        SELECT true, {row_columns} FROM "next_claimed"
    """
    params = (
        *_slots(callback_params, _Slot.USER, _Slot.NOW),
        *_slots(pick_params, _Slot.TEAM, _Slot.NOW),
        *(LeadStatus.QUALIFYING.value, _Slot.USER, _Slot.NOW, _Slot.NOW, _Slot.NOW, LeadStatus.NEW.value),
        *(LeadStatus.NEW.value, LeadStatus.QUALIFYING.value, LeadEvent.CLAIM.value),
        *(_Slot.CONTENT_TYPE, _Slot.DESCRIPTION),
    )
    statement = _Statement(sql=sql.strip(), params=params, fields=tuple(f.attname for f in fields))
    _COMPILED[alias] = statement
    return statement


def _slots(params, *expected):
    """The compiled parameters with each stand-in replaced by its slot. Matched by type and value
    (`False == 0` stays a constant); a stand-in that is not found means the selectors changed how they
    pass it, and the statement would run with the stand-in: refuse to compile."""
    by_value = {(type(value), value): slot for slot, value in _STAND_INS.items()}
    found = [by_value.get((type(value), value), value) for value in params]
    missing = [slot for slot in expected if slot not in found]
    if missing:
        raise RuntimeError(f"next lead: stand-ins {missing} not found in the compiled parameters")
    return found
