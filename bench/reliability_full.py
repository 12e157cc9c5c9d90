"""The reliability tests of tests/reliability/ at full size (the suite runs them scaled down in CI).

10,000 leads from 20 concurrent clients, each delivery sent twice (20,000 posts) on a live server;
the broker outage with 200 posts per phase; 1,000 hypothesis examples per fuzz test and per schemathesis
operation; the worker-kill tests as they are. Prints one table. Needs PostgreSQL and redis-server:

    DATABASE_URL=postgres://postgres@127.0.0.1/leadflow_reliab .venv/bin/python bench/reliability_full.py

Sizes: RELIABILITY_N, RELIABILITY_OUTAGE_POSTS, RELIABILITY_FUZZ_EXAMPLES, RELIABILITY_SCHEMATHESIS_EXAMPLES.
"""

import ast
import os
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import print_table, require_postgres  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FULL = {
    "RELIABILITY_N": "10000",
    "RELIABILITY_OUTAGE_POSTS": "200",
    "RELIABILITY_FUZZ_EXAMPLES": "1000",
    "RELIABILITY_SCHEMATHESIS_EXAMPLES": "1000",
}


def main():
    require_postgres("reliability_full")
    env = {**os.environ, **{k: os.environ.get(k, v) for k, v in FULL.items()}, "CI": "true"}
    # the suite replays a fixed sequence of examples; here hypothesis explores afresh on every run
    env.setdefault("HYPOTHESIS_PROFILE", "wide")
    # the `redis` marker wants a Redis broker URL; the tests themselves start their own redis-server
    env.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/13")
    started = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "--durations=0", "tests/reliability"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    out = run.stdout
    rows = []
    for line in out.splitlines():
        if line.startswith("intake concurrency:"):
            head, _, summary = line.partition(": {")
            figures = ast.literal_eval("{" + summary)
            rows.append(
                [
                    head.split(": ", 1)[1],
                    figures["posts"],
                    figures["statuses"],
                    f"{figures['posts_per_second']}/s",
                    f"p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, max {figures['max_ms']} ms",
                ]
            )
        elif re.match(r"^(up|killed|hung|back): \{", line):
            phase, _, summary = line.partition(": ")
            figures = ast.literal_eval(summary)
            rows.append(
                [
                    f"broker {phase}",
                    figures["posts"],
                    figures["statuses"],
                    f"{figures['posts_per_second']}/s",
                    f"p50 {figures['p50_ms']} ms, max {figures['max_ms']} ms",
                ]
            )
        elif "fuzz:" in line:
            name, _, rest = line.partition(": ")
            count, _, statuses = rest.partition(", status counts ")
            rows.append([name, count.split()[0], statuses, "", ""])
        elif line.startswith("schemathesis:"):
            total = line.split(":", 1)[1].split(" requests")[0].strip()
            per_operation = line.split("; ")[1]
            rows.append(["schemathesis", total, per_operation, "", "no failure"])
        elif line.startswith(("pool child killed", "worker killed")):
            rows.append([line.split(":")[0], "", "", "", line.split(": ", 1)[1]])
    print_table("Reliability at full size", ["test", "requests", "answers", "rate", "latency / result"], rows)
    durations = [line for line in out.splitlines() if re.match(r"^\d+\.\d+s call ", line)]
    print("\n".join(durations[:12]))
    print(out.strip().splitlines()[-1] if out.strip() else run.stderr[-2000:])
    print(f"total {elapsed:.0f} s, exit {run.returncode}")
    if run.returncode:
        print(out[-6000:])
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
