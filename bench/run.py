"""`make bench`: run every benchmark script under bench/ and let each print its figures.

Benchmarks need PostgreSQL (and Redis for the broker ones): set DATABASE_URL to a scratch database,
e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/leadflow_bench make bench. `queue_order_sim` is pure
Python (a simulation of the queue order, no database): `.venv/bin/python bench/run.py queue_order_sim`.
Pass script names to run only some: `.venv/bin/python bench/run.py sla_sweep reports_bench`.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # bench._common for the summary table
# modules of bench/ that are not benchmarks: the runner, the package, the bench server's settings and URLs;
# and claim_cost.py, a diagnostic run by hand (it ANALYZEs, which would spoil queue_page's "as loaded" state)
NOT_BENCHMARKS = {"run.py", "__init__.py", "settings_bench.py", "minimal_urls.py", "claim_cost.py"}
# queue_page measures its pages "as loaded" (the statistics a bulk load leaves) before it ANALYZEs: it runs
# before the scripts that ANALYZE the tables they read (criteria_bench, staffing_bench, …)
FIRST = ("queue_page",)


def main(argv):
    wanted = set(argv)
    scripts = sorted(p for p in HERE.glob("*.py") if p.name not in NOT_BENCHMARKS and not p.name.startswith("_"))
    scripts.sort(key=lambda p: p.stem not in FIRST)  # stable: the rest stay in name order
    if wanted:
        scripts = [p for p in scripts if p.stem in wanted]
    failures = 0
    with tempfile.TemporaryDirectory() as scratch:
        summary = Path(scratch) / "summary.jsonl"
        env = dict(os.environ, PYTHONPATH=str(HERE.parent), BENCH_SUMMARY=str(summary))
        for script in scripts:
            print(f"\n=== {script.stem} ===", flush=True)
            started = time.perf_counter()
            code = subprocess.call([sys.executable, str(script)], cwd=HERE.parent, env=env)
            print(f"--- {script.stem}: exit {code}, {time.perf_counter() - started:.1f} s", flush=True)
            failures += code != 0
        lines = summary.read_text(encoding="utf-8").splitlines() if summary.exists() else []
    print_summary([json.loads(line) for line in lines])
    return 1 if failures else 0


def print_summary(lines):
    """The one table of `make bench`: every figure with its reference from the same run, ratio and target."""
    from bench._common import print_table

    if not lines:
        return
    columns = ("script", "figure", "result", "reference", "ratio", "target", "verdict")
    print_table(
        "Summary: every figure, its reference measured in the same run, the ratio and the target",
        columns,
        [tuple(line[column] for column in columns) for line in lines],
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
