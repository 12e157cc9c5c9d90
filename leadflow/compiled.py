"""Querysets whose SQL is compiled once per process and connection, then run with each call's values.

Compiling a queryset (joins, select list, ORDER BY) costs far more CPU than the database spends on a
lookup by primary key: the lead card's lead with its eight joined tables took ~3.5 ms to compile for
0.5 ms of SQL (docs/performance.md, issue 14). `compiled_query(name, build, *args)` builds the queryset
once with stand-in values, compiles it, notes where each stand-in sits among the parameters, and keeps
the compiler; every later call swaps the stand-ins for its own values and runs the same statement
through Django's own iterable, so the model instances (and their `select_related` relations) are
exactly what the queryset itself gives.

Rules for `build`: the same queryset shape whatever the values (no `if` on an argument), every argument
used as a plain query parameter (a pk, a string compared as is), nothing evaluated, and every other value
in it a constant (a variable it closes over is compiled in once: pass it as an argument instead). The cache lives on
the connection object (one per thread), so a compiler never crosses threads.
"""

import copy
import itertools

from django.db import connections

_stand_ins = itertools.count(1)


def compiled_query(name, build, *args, using="default"):
    """The model instances of `build(*args)`, its SQL compiled once (per connection) under `name`."""
    connection = connections[using]
    cache = connection.__dict__.setdefault("_leadflow_compiled", {})
    key = (name, getattr(build, "__code__", build))  # a name given to two builds by mistake keeps both apart
    entry = cache.get(key)
    if entry is None:
        entry = cache[key] = _compile(build, len(args), using)
    queryset, compiler, sql, params, slots = entry
    values = list(params)
    for position, index in slots:
        values[position] = args[index]
    run = copy.copy(compiler)
    run.as_sql = lambda *a, **k: (sql, tuple(values))
    chained = queryset._chain()
    chained.query.get_compiler = lambda *a, **k: run
    return list(chained)


def _compile(build, arity, using):
    stand_ins = [_stand_in() for _ in range(arity)]
    queryset = build(*stand_ins).using(using)
    compiler = queryset.query.get_compiler(using=using)
    sql, params = compiler.as_sql()
    # a stand-in is an integer; a text column gets it as a string
    where = {value: index for index, stand_in in enumerate(stand_ins) for value in (stand_in, str(stand_in))}
    slots = [(position, where[value]) for position, value in enumerate(params) if _hashable(value) and value in where]
    missing = set(range(arity)) - {index for _position, index in slots}
    if missing:
        raise ValueError(f"compiled_query: arguments {sorted(missing)} are not plain parameters of the statement")
    return queryset, compiler, sql, tuple(params), slots


def _hashable(value):
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _stand_in():
    """A value no constant of a statement has, distinct per argument, and a valid 32-bit positive integer
    (Django turns an out-of-range integer lookup into an empty result, with no SQL to keep)."""
    return 2_000_000_000 + next(_stand_ins)
