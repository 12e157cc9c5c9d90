"""Database expressions the selectors of every app need on both PostgreSQL and SQLite (the one place for them).

`Seconds(end, start)`: the duration between two timestamps in seconds, as a float, in SQL.

`Percentile(expr, fraction)`: the continuous percentile (linear interpolation between the two
nearest ranks, the definition of PostgreSQL's `percentile_cont`) as an ordinary aggregate, so it
sits in the same GROUP BY query as the counts and honours `filter=`.

- PostgreSQL: `percentile_cont(f) WITHIN GROUP (ORDER BY expr) FILTER (WHERE …)`.
- SQLite has no percentile aggregate. The documented fallback is an application-defined aggregate
  (`sqlite3.Connection.create_aggregate`, the same mechanism Django itself uses for STDDEV/VARIANCE
  on SQLite), registered on every new SQLite connection. SQLite streams only the one duration
  column of each group into it; no lead rows are built in Python and the query count is the same
  as on PostgreSQL. The interpolation is identical, so both databases give the same figures.
"""

import math

from django.db.backends.signals import connection_created
from django.db.models import Aggregate, FloatField, Func

SQLITE_PERCENTILE = "leadflow_percentile"


class Seconds(Func):
    """end - start in seconds (NULL when either is NULL)."""

    output_field = FloatField()
    arity = 2

    def as_sql(self, compiler, connection, **extra_context):  # PostgreSQL and others with intervals
        return super().as_sql(
            compiler,
            connection,
            template="CAST(EXTRACT(EPOCH FROM (%(expressions)s)) AS double precision)",
            arg_joiner=" - ",
            **extra_context,
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra_context,
        )


class Percentile(Aggregate):
    name = "Percentile"
    output_field = FloatField()

    def __init__(self, expression, fraction, **extra):
        fraction = float(fraction)
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be within [0, 1]")
        self.fraction = fraction
        super().__init__(expression, **extra)

    def _with_template(self, template, compiler, connection, **extra_context):
        # Aggregate.as_sql passes its own `template=` when a filter is given: set it on a copy.
        clone = self.copy()
        clone.template = template
        return super(Percentile, clone).as_sql(compiler, connection, **extra_context)

    def as_sql(self, compiler, connection, **extra_context):
        template = f"percentile_cont({self.fraction!r}) WITHIN GROUP (ORDER BY %(expressions)s)"
        return self._with_template(template, compiler, connection, **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        template = f"{SQLITE_PERCENTILE}(%(expressions)s, {self.fraction!r})"
        return self._with_template(template, compiler, connection, **extra_context)


def percentile_cont(values, fraction):
    """PostgreSQL's percentile_cont over a list (None ignored); None for an empty list."""
    ordered = sorted(v for v in values if v is not None)
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    lower = math.floor(position)
    upper = math.ceil(position)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


class _SqlitePercentile:
    """step/finalize protocol of sqlite3.create_aggregate."""

    def __init__(self):
        self.values = []
        self.fraction = 0.5

    def step(self, value, fraction):
        self.fraction = fraction
        if value is not None:
            self.values.append(float(value))

    def finalize(self):
        return percentile_cont(self.values, self.fraction)


def register_sqlite_functions(sender=None, connection=None, **kwargs):
    if connection is not None and connection.vendor == "sqlite":
        connection.connection.create_aggregate(SQLITE_PERCENTILE, 2, _SqlitePercentile)


def install():
    connection_created.connect(register_sqlite_functions, dispatch_uid="leadflow.sqlite_percentile")
    # A connection opened before the app registry was ready needs it too.
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        if conn.vendor == "sqlite" and conn.connection is not None:
            register_sqlite_functions(connection=conn)


def analyze(*models, using="default"):
    """Refresh the planner's statistics of the tables a bulk write just filled (seed, import, bench).

    Autovacuum analyses a table only after 10 % of its rows changed, and not at once: a COPY of a
    million leads, or an import that adds thousands of new leads to a queue of two thousand, leaves
    PostgreSQL planning with the old row counts and value distributions (docs/operations.md). SQLite's
    ANALYZE feeds its planner too. Each model's table once, in the order given.
    """
    from django.db import connections

    connection = connections[using]
    tables = list(dict.fromkeys(model._meta.db_table for model in models))
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    return tables
