"""The Celery app for the worker subprocesses of test_worker_killed.py: the project's app, unchanged,
plus hooks the test steers through files in RELIAB_STALL_DIR (not a test module: no test_ prefix).

- `ready` is written when the worker is ready to consume.
- Each sla_check writes `prerun-<pid>-<task id>` before it runs and `postrun-<pid>-<task id>` after
  it returned (its transaction committed) but before the message is acknowledged (acks_late).
- While a file `stall` exists, the process stays in task_postrun: committed, not acknowledged, so a
  SIGKILL then is the worst moment for a duplicate.
- RELIAB_VISIBILITY_TIMEOUT shortens how long Redis keeps an unacknowledged message of a dead worker
  (1 hour in production: there the SLA sweep is what catches up, every minute).
"""

import os
import time
from pathlib import Path

from celery.signals import task_postrun, task_prerun, worker_ready

from leadflow.celery import app

STALL_DIR = Path(os.environ["RELIAB_STALL_DIR"])
if os.environ.get("RELIAB_VISIBILITY_TIMEOUT"):
    app.conf.broker_transport_options = {
        **app.conf.broker_transport_options,
        "visibility_timeout": float(os.environ["RELIAB_VISIBILITY_TIMEOUT"]),
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    }


def _mark(name):
    (STALL_DIR / name).write_text(str(os.getpid()))


@worker_ready.connect
def _ready(**kwargs):
    _mark("ready")


@task_prerun.connect
def _prerun(task_id=None, task=None, **kwargs):
    if task.name == "qualification.tasks.sla_check":
        _mark(f"prerun-{os.getpid()}-{task_id}")


@task_postrun.connect
def _postrun(task_id=None, task=None, **kwargs):
    if task.name != "qualification.tasks.sla_check":
        return
    _mark(f"postrun-{os.getpid()}-{task_id}")
    deadline = time.monotonic() + 60  # bounded: the test kills us long before
    while (STALL_DIR / "stall").exists() and time.monotonic() < deadline:
        time.sleep(0.05)


__all__ = ["app"]
