"""Intake on PostgreSQL in one round trip (issue 14 §1, docs/decisions.md "Intake in one round trip").

The ORM path (`intake._lead_receive`) costs BEGIN, the phone lock, the duplicate SELECT, three INSERTs
(lead, inquiry, history) and COMMIT: seven round trips and ~1 ms of Python building INSERTs over the
lead's 55 columns. Here the same work is one query string of two statements, run in autocommit as one
implicit transaction (or inside the caller's):

    SELECT pg_advisory_xact_lock(hashtext(phone));      -- serialise intake per phone, as before
    WITH intake_in AS (the values: one JSON document),
         intake_found AS (the lead of an earlier delivery of this external id, the newest open lead of
                          this phone: read after the lock, so a delivery that just committed is seen),
         intake_created AS (INSERT the lead only when both are missing, RETURNING its id),
         intake_target AS (the new lead, or the open lead a repeat attaches to),
         intake_inquiry AS (INSERT the inquiry for the target: is_repeat when attached),
         intake_logged AS (INSERT its history row: received, or repeat inquiry)
    SELECT 'created' | 'attached' | 'duplicate', the lead's id

The two statements are separate because PostgreSQL takes a statement's snapshot when it starts: a check
in the statement that waited for the lock would not see the rows the lock's holder committed meanwhile.
Each statement of one query string gets its own snapshot, and all of them run in one transaction, so
the lock is held until the commit, as before.

The second statement is prepared once per database connection (`PREPARE … EXECUTE`: planning it cost
more than running it), prepared again every REPLAN_EVERY runs so its plan follows the tables, and sent
inline with INTAKE_PREPARED_STATEMENT off. The SQL is built once per process from the models (column
lists, types, the lead's constant defaults as literals); each call sends its own values, through the
fields' `get_db_prep_save` where that changes them, as one JSON document, its only parameter: the driver
quoted ~40 parameters one by one in ~60 µs, `json.dumps` takes a tenth of that, and the plan reads each
value with `->>` and casts it to its column's type. What the rows hold is what the ORM path writes,
field by field (tests/leadflow/test_intake_sql.py).
"""

import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone
from django_fsm_log.models import StateLog

from ..models import OPEN_STATUSES, Inquiry, Lead, LeadEvent, LeadStatus, SlaState
from .intake import INTAKE_LEAD_FIELDS, history_texts

# The columns of a new lead that intake sets; every other column gets the model's default, which is
# the same for every new lead (checked when the statement is built).
_LEAD_FIXED = (
    "phone",
    "source",
    "external_id",
    "received_at",
    "qualification_team",
    "sla_warn_at",
    "sla_breach_at",
    "sla_state",
    "status",
    "updated_at",
)
_LEAD_SET = (*_LEAD_FIXED, *INTAKE_LEAD_FIELDS)
_INQUIRY_SET = (
    "source",
    "external_id",
    "received_at",
    "channel",
    "message",
    "payload",
    "consent_at",
    "consent_basis",
    "consent_policy",
)


@dataclass(frozen=True)
class _Statement:
    sql: str  # the lock and the statement, with the values inline (INTAKE_PREPARED_STATEMENT off)
    name: str  # of the prepared statement
    prepare_sql: str  # PREPARE name AS the statement, once per database connection
    execute_sql: str  # the lock and EXECUTE name(the document)
    lead_keys: tuple  # (key in the document, field name) of each field a new lead sends: ("lead.<name>", name)
    fields: tuple  # the lead's attnames, in the order of row_of_values
    row_of_values: tuple  # per attname: ("id",), ("set", field name) or ("default", the Python value)


_COMPILED = {}  # (database alias, with an external id) → _Statement
_COMPILING = threading.Lock()


@dataclass(frozen=True)
class Received:
    kind: str  # "created", "attached" or "duplicate"
    lead: Lead | None  # read back (attached, duplicate), or None: a new lead is built from `new_lead` when used
    new_lead: "NewLead | None" = None


@dataclass(frozen=True)
class NewLead:
    """A new lead's row as it was sent: the lead is built from it when asked for, not read back."""

    pk: int
    status: str
    received_at: datetime
    statement: _Statement
    values: dict  # the lead's values sent, by field name

    def lead(self):
        columns = [
            self.pk if how[0] == "id" else self.values[how[1]] if how[0] == "set" else how[1]
            for how in self.statement.row_of_values
        ]
        return Lead.from_db(connection.alias, self.statement.fields, columns)


def receive_in_one_round_trip(
    *, source, phone, external_id, channel, received_at, payload, consent, fields, team, warn_at, breach_at
):
    """Save one inquiry as `intake._lead_receive` does, in one round trip; the caller handles the
    IntegrityError of a concurrent delivery of the same external id (nothing is saved then)."""
    statement = _COMPILED.get((connection.alias, bool(external_id))) or _compile(bool(external_id))
    now = timezone.now()
    lead_values = {
        "phone": phone,
        "source": source.pk,
        "external_id": external_id,
        "received_at": received_at,
        "qualification_team": team.pk,
        "sla_warn_at": warn_at,
        "sla_breach_at": breach_at,
        "sla_state": SlaState.PENDING.value,
        "status": LeadStatus.NEW.value,
        "updated_at": now,
    }
    for key in INTAKE_LEAD_FIELDS:
        value = fields.get(key)
        lead_values[key] = _LEAD_DEFAULTS[key] if value is None else value
    inquiry_values = {
        "source": source.pk,
        "external_id": external_id,
        "received_at": received_at,
        "channel": channel,
        "message": fields.get("message") or "",
        "payload": payload,
        **consent,
    }
    received_text, repeat_text = history_texts(source.name, channel)
    document = {
        # (a string, number or None, most values, goes as it is without a call)
        **{
            key: value if value is None or type(value) in _AS_IS else _sendable(Lead, name, value)
            for key, name in statement.lead_keys
            for value in (lead_values[name],)
        },
        **{
            key: value if value is None or type(value) in _AS_IS else _sendable(Inquiry, name, value)
            for key, name in _INQUIRY_KEYS
            for value in (inquiry_values[name],)
        },
        "history.at": _sendable(Lead, "received_at", received_at),
        "history.received": LeadEvent.RECEIVED.value,
        "history.repeated": LeadEvent.REPEAT_INQUIRY.value,
        "history.content_type": ContentType.objects.get_for_model(Lead).pk,
        "history.received_text": received_text,
        "history.repeat_text": repeat_text,
    }
    kind, lead_id = _run(statement, [phone, json.dumps(document, ensure_ascii=False)])
    if kind != "created":
        # an attached repeat or a redelivery: its lead as it is now (returning the lead's 55 columns from
        # the statement cost every new lead more than this read costs the rarer cases)
        return Received(kind=kind, lead=Lead.objects.get(pk=lead_id))
    # the row holds what was sent: the new lead is built from it when asked for, not read back
    new_lead = NewLead(lead_id, lead_values["status"], received_at, statement, lead_values)
    return Received(kind=kind, lead=None, new_lead=new_lead)


def _run(statement, params):
    """The row of the statement: prepared once per connection (PostgreSQL then plans it once, not ~0.5 ms
    per lead), unless INTAKE_PREPARED_STATEMENT is off (a pooler in transaction mode, docs/operations.md).
    A prepared statement the session lost (DISCARD ALL, a pooler's other server connection) is prepared
    again and the lead sent once more: nothing was saved by the refused EXECUTE."""
    if not settings.INTAKE_PREPARED_STATEMENT:
        return _fetch(statement.sql, params)
    try:
        _prepare(statement)
        return _fetch(statement.execute_sql, params)
    except DatabaseError as exc:  # psycopg2 raises this code as an OperationalError
        if getattr(exc.__cause__, "pgcode", None) != _NO_SUCH_PREPARED_STATEMENT:
            raise
        _prepared_here().pop(statement.name, None)
        _prepare(statement)
        return _fetch(statement.execute_sql, params)


_NO_SUCH_PREPARED_STATEMENT = "26000"  # invalid_sql_statement_name
# PostgreSQL plans a prepared statement for good at its sixth run, with the table sizes of that moment: on
# a new database the lookups become sequential scans of near-empty tables, and stay so as they grow (no
# ANALYZE invalidates the plan while autovacuum has not run). Preparing again after this many runs makes
# the plan follow the tables: between two plans a table grows by at most this many leads per process.
REPLAN_EVERY = 1000


def _fetch(sql, params):
    with connection.cursor() as cursor:
        if connection.in_atomic_block:
            # a savepoint: a concurrent delivery's IntegrityError leaves the caller's work intact
            with transaction.atomic():
                cursor.execute(sql, params)
                return cursor.fetchone()
        cursor.execute(sql, params)
        return cursor.fetchone()


def _prepare(statement):
    prepared = _prepared_here()
    runs = prepared.get(statement.name)
    if runs is None or runs >= REPLAN_EVERY:
        with connection.cursor() as cursor:
            if runs is not None:
                cursor.execute(f"DEALLOCATE {statement.name}")
            cursor.execute(statement.prepare_sql)
        runs = 0
    prepared[statement.name] = runs + 1


def _prepared_here():
    """The statements prepared in this database session and how often each ran since: a new connection
    (CONN_MAX_AGE, a reconnect) starts with none. Kept on this thread's DatabaseWrapper (`connections[…]`):
    `django.db.connection` is a proxy shared by every thread."""
    wrapper = connections[connection.alias]
    wrapper.ensure_connection()
    raw = wrapper.connection
    state = wrapper.__dict__.get("_leadflow_prepared")
    if state is None or state[0] is not raw:
        state = wrapper.__dict__["_leadflow_prepared"] = (raw, {})
    return state[1]


def _sendable(model, name, value):
    """The value as the field sends it to the database, as a JSON value of the statement's document: a
    string, number, flag or None as it is (what get_db_prep_save returns for them on PostgreSQL), a JSON
    field's value as it is (the document is its encoding), a datetime in ISO 8601 with its offset, after
    the field has made a naive one aware (and warned), as it does for the ORM."""
    if value is None or type(value) in _AS_IS or name in _JSON[model]:
        return value
    if type(value) is not datetime or value.tzinfo is None:
        value = _FIELDS[model][name].get_db_prep_save(value, connection)
    return value.isoformat() if isinstance(value, datetime) else value


_FIELDS = {model: {f.name: f for f in model._meta.concrete_fields} for model in (Lead, Inquiry)}
_JSON = {
    model: {name for name, f in fields.items() if f.get_internal_type() == "JSONField"}
    for model, fields in _FIELDS.items()
}
_AS_IS = (str, int, bool)
_INQUIRY_KEYS = tuple((f"inquiry.{name}", name) for name in _INQUIRY_SET)
_LEAD_DEFAULTS = {name: Lead._meta.get_field(name).get_default() for name in _LEAD_SET}


def _typed(field, value_sql):
    """`value_sql` cast to the column's type (an INSERT … SELECT gives its values no type of their own):
    text, not varchar(n), for strings: an explicit cast to varchar(n) cuts a long value silently, the
    INSERT's own assignment refuses it ("value too long"), as the ORM's INSERT does."""
    db_type = field.cast_db_type(connection)
    return f"CAST({value_sql} AS {'text' if db_type.startswith('varchar') else db_type})"


def _value_of(key, field=None):
    """The SQL of the document's value `key` (as text; a JSON field's as jsonb): the statement's one
    parameter is a JSON document of every value (`json.dumps` once costs a tenth of what the driver spent
    quoting ~40 parameters one by one)."""
    if field is not None and field.get_internal_type() == "JSONField":
        if field.encoder is not None:
            raise RuntimeError(f"intake: {field} has its own JSON encoder; the document is encoded by json.dumps")
        return f"(i.\"j\" -> '{key}')"
    return f"(i.\"j\" ->> '{key}')"


def _compile(with_external_id):
    with _COMPILING:
        return _COMPILED.get((connection.alias, with_external_id)) or _compile_locked(with_external_id)


def _compile_locked(with_external_id):
    qn = connection.ops.quote_name
    lead_table, inquiry_table, log_table = (qn(m._meta.db_table) for m in (Lead, Inquiry, StateLog))
    lead_fields = [f for f in Lead._meta.concrete_fields if not f.primary_key]
    template = Lead()  # a new lead's defaults: what the ORM path leaves in every column intake does not set
    slots, values_sql = [], []
    for field in lead_fields:
        if field.name in _LEAD_SET:
            slots.append(field.name)
            values_sql.append(_typed(field, _value_of(f"lead.{field.name}", field)))
            continue
        if callable(field.default) and field.has_default():
            raise RuntimeError(f"intake: Lead.{field.name} has a per-instance default; add it to _LEAD_SET")
        # the same for every new lead: written into the statement, not sent with each one
        constant = field.get_db_prep_save(getattr(template, field.attname), connection)
        literal = connection.ops.compose_sql("%s", [constant])
        if "%" in literal:  # the statement's parameters are %s: a literal % would be read as one
            raise RuntimeError(f"intake: Lead.{field.name}'s default {constant!r} has a %; send it as a parameter")
        values_sql.append(_typed(field, literal))

    column = {f.name: qn(f.column) for f in Lead._meta.concrete_fields}
    inquiry_fields = [Inquiry._meta.get_field(name) for name in _INQUIRY_SET]
    log = {f.name: qn(f.column) for f in StateLog._meta.concrete_fields}
    open_statuses = ", ".join(f"'{status.value}'" for status in OPEN_STATUSES)
    delivery = (
        # `<> ''` as the unique index's condition: a prepared statement's generic plan knows no value, so
        # without it the partial index is out of reach and the lookup reads every inquiry of the source
        f"(SELECT {qn('lead_id')} FROM {inquiry_table}"
        f" WHERE {qn('source_id')} = {_typed(Inquiry._meta.get_field('source'), _value_of('inquiry.source'))}"
        f" AND {qn('external_id')} = {_value_of('inquiry.external_id')} AND {qn('external_id')} <> '' LIMIT 1)"
        if with_external_id
        else "CAST(NULL AS bigint)"
    )
    lock = "SELECT pg_advisory_xact_lock(hashtext(%s));"
    main = f"""WITH "intake_in" AS (SELECT CAST(%s AS jsonb) AS "j"),
        "intake_found" AS (
            SELECT {delivery} AS "delivery",
                (SELECT {column["id"]} FROM {lead_table} WHERE {column["phone"]} = {_value_of("lead.phone")}
                 AND {column["status"]} IN ({open_statuses}) AND NOT {column["is_archived"]}
                 ORDER BY {column["received_at"]} DESC LIMIT 1) AS "open"
            FROM "intake_in" i
        ),
        "intake_created" AS (
            INSERT INTO {lead_table} ({", ".join(qn(f.column) for f in lead_fields)})
            SELECT {", ".join(values_sql)}
            FROM "intake_found", "intake_in" i WHERE "delivery" IS NULL AND "open" IS NULL
            RETURNING {column["id"]}, {column["status"]}
        ),
        "intake_target" AS (
            SELECT {column["id"]} AS "id", {column["status"]} AS "status", false AS "repeat" FROM "intake_created"
            UNION ALL
            SELECT l.{column["id"]}, l.{column["status"]}, true FROM {lead_table} l
            JOIN "intake_found" f ON l.{column["id"]} = f."open" WHERE f."delivery" IS NULL
        ),
        "intake_inquiry" AS (
            INSERT INTO {inquiry_table} ({qn("lead_id")}, {", ".join(qn(f.column) for f in inquiry_fields)},
                {qn("is_repeat")})
            SELECT t."id", {", ".join(_typed(f, _value_of(f"inquiry.{f.name}", f)) for f in inquiry_fields)}, t."repeat"
            FROM "intake_target" t, "intake_in" i
        ),
        "intake_parameters" ("at", "received", "repeated", "content_type", "received_text", "repeat_text") AS (
            SELECT CAST({_value_of("history.at")} AS timestamp with time zone), {_value_of("history.received")},
                {_value_of("history.repeated")}, CAST({_value_of("history.content_type")} AS integer),
                {_value_of("history.received_text")}, {_value_of("history.repeat_text")}
            FROM "intake_in" i
        ),
        "intake_logged" AS (
            INSERT INTO {log_table} ({log["timestamp"]}, {log["by"]}, {log["source_state"]}, {log["state"]},
                {log["transition"]}, {log["content_type"]}, {log["object_id"]}, {log["description"]})
            SELECT p."at", NULL, t."status", t."status",
                CASE WHEN t."repeat" THEN p."repeated" ELSE p."received" END, p."content_type", t."id",
                CASE WHEN t."repeat" THEN p."repeat_text" ELSE p."received_text" END
            FROM "intake_target" t, "intake_parameters" p
        )
        SELECT 'created', {column["id"]} FROM "intake_created"
        UNION ALL
        SELECT CASE WHEN "delivery" IS NOT NULL THEN 'duplicate' ELSE 'attached' END, COALESCE("delivery", "open")
        FROM "intake_found" WHERE COALESCE("delivery", "open") IS NOT NULL"""
    assert main.count("%s") == 1, "the statement takes one parameter, its document"
    digest = hashlib.sha1(main.encode()).hexdigest()[:12]  # another build of the statement, another name
    name = f"leadflow_intake_{'delivery' if with_external_id else 'phone'}_{digest}"
    statement = _Statement(
        sql=f"{lock}\n{main}",
        name=name,
        prepare_sql=f"PREPARE {name} (jsonb) AS {main.replace('%s', '$1')}",
        execute_sql=f"{lock}\nEXECUTE {name}(%s)",
        lead_keys=tuple((f"lead.{name}", name) for name in slots),
        fields=tuple(f.attname for f in Lead._meta.concrete_fields),
        row_of_values=tuple(
            ("id",)
            if f.primary_key
            else ("set", f.name)
            if f.name in _LEAD_SET
            else ("default", getattr(template, f.attname))
            for f in Lead._meta.concrete_fields
        ),
    )
    _COMPILED[(connection.alias, with_external_id)] = statement
    return statement
