"""Bulk row insertion: COPY on PostgreSQL, executemany elsewhere (the demo generator's 100k leads in ~40 s).

The machinery (RowWriter, reset_sequence) is shared infrastructure; each app owns the bulk path of
its own tables in its `bulk.py` (the column order of its rows and a `*_rows_writer()`), so a caller
such as the demo app never names another app's tables or columns. This module is the core's: leads,
inquiries and the lead history (django-fsm-log's StateLog rows).

Rows are plain tuples in the published `*_COLUMNS` order; timestamps are integer POSIX seconds (UTC), dates are
`date` objects, JSON values are Python objects. No model instances: a million leads must stay cheap.
"""

import io
import json
from datetime import UTC, date, datetime

from django.db import connection, models
from django_fsm_log.models import StateLog

from .models import Inquiry, Lead

BATCH_SIZE = 5000

LEAD_COLUMNS = [  # Lead rows, in this order
    "id",
    "name",
    "phone",
    "email",
    "city",
    "region",
    "address",
    "source_id",
    "external_id",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "product_interest",
    "message",
    "received_at",
    "status",
    "qualification_team_id",
    "qualifier_id",
    "first_called_by_id",
    "qualified_by_id",
    "handed_off_by_id",
    "sales_rep_id",
    "claimed_at",
    "last_activity_at",
    "first_call_at",
    "callback_at",
    "qualified_at",
    "disqualified_at",
    "handed_off_at",
    "accepted_at",
    "acceptance_due_at",
    "acceptance_overdue_notified_at",
    "measured_at",
    "closed_at",
    "criteria_passed",
    "disqualify_reason_id",
    "handoff_state",
    "quote_amount",
    "deal_amount",
    "deal_date",
    "lose_reason_id",
    "competitor",
    "outcome_note",
    "sla_warn_at",
    "sla_breach_at",
    "sla_state",
    "sla_warned_at",
    "sla_breached_at",
    "is_archived",
    "merged_into_id",
    "updated_at",
]
INQUIRY_COLUMNS = ["lead_id", "source_id", "external_id", "received_at", "channel", "message", "payload", "is_repeat"]
STATE_LOG_COLUMNS = [  # the lead history (StateLog), in this order
    "content_type_id",
    "object_id",
    "source_state",
    "state",
    "transition",
    "by_id",
    "description",
    "timestamp",
]


def lead_rows_writer():
    return RowWriter(Lead, LEAD_COLUMNS)


def inquiry_rows_writer():
    return RowWriter(Inquiry, INQUIRY_COLUMNS)


def history_rows_writer():
    return RowWriter(StateLog, STATE_LOG_COLUMNS)


def lead_ids_reset():
    """After writing leads with explicit ids."""
    reset_sequence(Lead)


_TEXT, _DATETIME, _DATE, _BOOL, _JSON, _OTHER = range(6)


def _kind(field):
    if isinstance(field, models.DateTimeField):
        return _DATETIME
    if isinstance(field, models.DateField):
        return _DATE
    if isinstance(field, models.BooleanField):
        return _BOOL
    if isinstance(field, models.JSONField):
        return _JSON
    if isinstance(field, models.CharField | models.TextField):
        return _TEXT
    return _OTHER


class _TimestampText:
    """'YYYY-MM-DD HH:MM:SS' of integer UTC seconds, cached per day (millions of calls)."""

    _clock = None

    def __init__(self):
        self._days = {}
        if _TimestampText._clock is None:
            _TimestampText._clock = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400)]

    def __call__(self, ts):
        day, second = divmod(ts, 86400)
        text = self._days.get(day)
        if text is None:
            text = self._days[day] = datetime.fromtimestamp(day * 86400, UTC).strftime("%Y-%m-%d ")
        return text + self._clock[second]


class RowWriter:
    """Insert tuples into `model`'s table. `columns` are field attnames (e.g. 'lead_id')."""

    def __init__(self, model, columns):
        self.model = model
        self.columns = list(columns)
        fields = {field.attname: field for field in model._meta.concrete_fields}
        # Columns added to the model later get their default, so a new field never breaks seeding.
        self.fill = tuple(
            _default(field) for name, field in fields.items() if name not in self.columns and not field.primary_key
        )
        self.columns += [name for name, field in fields.items() if name not in self.columns and not field.primary_key]
        self.kinds = [_kind(fields[name]) for name in self.columns]
        self.db_columns = [fields[name].column for name in self.columns]
        self.timestamp = _TimestampText()
        self.postgres = connection.vendor == "postgresql"
        self.rows = 0

    def write(self, rows):
        for start in range(0, len(rows), BATCH_SIZE):
            batch = rows[start : start + BATCH_SIZE]
            if self.fill:
                batch = [row + self.fill for row in batch]
            if self.postgres:
                self._copy(batch)
            else:
                self._insert(batch)
            self.rows += len(batch)

    def _copy(self, rows):
        buffer = io.StringIO()
        kinds = self.kinds
        stamp = self.timestamp
        for row in rows:
            parts = []
            for value, kind in zip(row, kinds, strict=True):
                if value is None:
                    parts.append("\\N")
                elif kind in (_TEXT, _JSON):
                    text = value if kind == _TEXT else _json(value)
                    parts.append(
                        text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
                    )
                elif kind == _DATETIME:
                    parts.append(stamp(value) + "+00")
                elif kind == _BOOL:
                    parts.append("t" if value else "f")
                elif kind == _DATE:
                    parts.append(value.isoformat())
                else:
                    parts.append(str(value))
            buffer.write("\t".join(parts))
            buffer.write("\n")
        buffer.seek(0)
        quote = connection.ops.quote_name
        sql = f"COPY {quote(self.model._meta.db_table)} ({', '.join(quote(c) for c in self.db_columns)}) FROM STDIN"
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(sql, buffer)  # the psycopg2 cursor under Django's wrapper

    def _insert(self, rows):
        kinds = self.kinds
        stamp = self.timestamp
        converted = []
        for row in rows:
            values = []
            for value, kind in zip(row, kinds, strict=True):
                if value is None:
                    values.append(None)
                elif kind == _DATETIME:
                    values.append(stamp(value))
                elif kind == _JSON:
                    values.append(_json(value))
                elif kind == _BOOL:
                    values.append(bool(value))
                elif kind == _DATE:
                    values.append(value.isoformat() if isinstance(value, date) else value)
                else:
                    values.append(value)
            converted.append(values)
        quote = connection.ops.quote_name
        placeholders = ", ".join(["%s"] * len(self.columns))
        sql = (
            f"INSERT INTO {quote(self.model._meta.db_table)} ({', '.join(quote(c) for c in self.db_columns)}) "
            f"VALUES ({placeholders})"
        )
        with connection.cursor() as cursor:
            cursor.executemany(sql, converted)


def _default(field):
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return int(datetime.now(UTC).timestamp())
    value = field.get_default()
    if isinstance(value, datetime):
        return int(value.timestamp())
    return value


def _json(value):
    return json.dumps(value, ensure_ascii=False)


def reset_sequence(model):
    """After inserting explicit ids, move the id sequence past them (PostgreSQL; SQLite needs nothing)."""
    from django.core.management.color import no_style

    statements = connection.ops.sequence_reset_sql(no_style(), [model])
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
