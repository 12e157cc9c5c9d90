"""Shared by the benchmark scripts: the PostgreSQL guard, percentiles and the printed table."""

import json
import os
import socket
import sys
import time
from pathlib import Path

DB_HINT = (
    "create one with `psql -h 127.0.0.1 -U postgres -c 'create database leadflow_perf_bench'`, then\n"
    "    DATABASE_URL=postgres://postgres@127.0.0.1/leadflow_perf_bench .venv/bin/python bench/run.py"
)


def require_postgres(script):
    """Exit with a clear message unless DATABASE_URL names a PostgreSQL database (SQLite figures mean nothing
    here: one writer at a time, no row locks, no COPY). Returns the URL."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        shown = url or "unset (the SQLite default)"
        print(f"{script}: refusing to run: DATABASE_URL is {shown}; this benchmark needs PostgreSQL.\n    {DB_HINT}")
        sys.exit(2)
    return url


def setup_scratch_django(script, *, fills):
    """The page benchmarks' start: PostgreSQL whose name says "bench" (the script `fills` it with demo
    leads), the bench settings (DEBUG off), Django set up. Exits with 2 and a message otherwise."""
    url = require_postgres(script)
    if "bench" not in url.rsplit("/", 1)[-1]:
        print(f"{script}: refusing to run: the database name must contain 'bench' (it gets {fills}).")
        sys.exit(2)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings_bench"
    import django

    django.setup()


def seed_demo_up_to(leads, *, lead="", analyze="leadflow_lead"):
    """Top the database up to `leads` demo leads (`seed_demo`, COPY) and ANALYZE `analyze`; returns (the
    number of leads now, ", seeded in N s (… leads/s)" or ""). `analyze=None`: seed with
    `--no-analyze` and leave the statistics as a bulk load leaves them (the "as loaded" state)."""
    from django.core.management import call_command
    from django.db import connection

    from leadflow.models import Lead

    existing = Lead.objects.count()
    seeded = ""
    if existing < leads:
        how = "seed_demo (COPY)" if analyze else "seed_demo --no-analyze (COPY)"
        print(f"{lead}{existing:,} leads: seeding {leads:,} with {how}…", flush=True)
        started = time.perf_counter()
        call_command("seed_demo", leads=leads, no_analyze=not analyze, verbosity=0)
        spent = time.perf_counter() - started
        seeded = f", seeded in {spent:.0f} s ({(leads - existing) / spent:,.0f} leads/s)"
        existing = Lead.objects.count()
    if analyze:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {analyze}".strip())
    return existing, seeded


def summary(figure, result, *, reference="", ratio="", target="", met=None):
    """One line of `make bench`'s closing table: a figure, its reference measured in the same run, the ratio,
    the target and whether it was met. Written as a JSON line to $BENCH_SUMMARY (bench/run.py sets it and
    prints the table after the last script); a script run alone just prints nothing more."""
    path = os.environ.get("BENCH_SUMMARY")
    if not path:
        return
    verdict = "" if met is None else ("met" if met else "MISSED")
    line = {"script": Path(sys.argv[0]).stem, "figure": figure, "result": result, "reference": reference}
    line |= {"ratio": ratio, "target": target, "verdict": verdict}
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(line, ensure_ascii=False) + "\n")


def percentile(values, share):
    """Nearest-rank percentile of `values` (share in 0..1)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, int(round(share * len(ordered) + 0.4999)))
    return ordered[min(rank, len(ordered)) - 1]


def ms(seconds):
    return f"{seconds * 1000:.1f}"


def print_table(title, header, rows):
    """A plain aligned table (numbers right-aligned), easy to paste into Markdown by hand."""
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]

    def line(row):
        out = []
        for i, cell in enumerate(row):
            numeric = cell.replace(".", "").replace(",", "").replace("×", "").replace("%", "").strip().isdigit()
            out.append(cell.rjust(widths[i]) if numeric else cell.ljust(widths[i]))
        return "  ".join(out).rstrip()

    print()
    print(title)
    print(line(cells[0]))
    print("  ".join("-" * w for w in widths))
    for row in cells[1:]:
        print(line(row))
    print(flush=True)


def wait_for_port(host, port, *, timeout=30.0, process=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode} before listening on {host}:{port}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"nothing listens on {host}:{port} after {timeout:.0f} s")


def free_port(start, end, host="127.0.0.1"):
    """The first port of [start, end) where nothing listens (the benchmark's own range)."""
    for port in range(start, end):
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a past run's TIME_WAIT is no owner
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return port
    raise SystemExit(f"no free port in {start}-{end - 1}")


def cpu_seconds(pids):
    """{pid: user + system CPU seconds used so far} for the processes `pids` still alive (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime (fields 14 and 15 of stat)
    return used


def cpu_delta(before, after):
    """CPU seconds spent between two `cpu_seconds` readings (a process started meanwhile counts whole)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def child_pids(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            return [int(p) for p in handle.read().split()]
    except OSError:
        return []
