"""A real Celery worker in a subprocess, for the reliability tests (not a test module: no test_ prefix).

`Worker` runs `celery -A tests.reliability.worker_app worker` on a broker URL (the private redis-server)
and the test PostgreSQL database, in its own process group, logging to `<stall_dir>/worker.log`;
worker_app.py writes the marks (`ready`, `prerun-…`, `postrun-…`) the tests wait on.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)
APP_NAME = "reliab-worker"
BROKER_DB = 3


def _database_url():
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or 5432
    return f"postgres://{auth}@{host}:{port}/{db['NAME']}?application_name={APP_NAME}"


class Worker:
    """`celery -A tests.reliability.worker_app worker` in its own process group.

    `args` are extra command-line options (e.g. `-B`), `env` extra environment (e.g. SLA_SWEEP_SECONDS).
    """

    def __init__(self, broker_url, stall_dir, *, visibility_timeout=None, args=(), env=None):
        self.broker_url = broker_url
        self.stall_dir = stall_dir
        self.visibility_timeout = visibility_timeout
        self.args = list(args)
        self.env = dict(env or {})
        self.process = None

    def start(self, timeout=60):
        (self.stall_dir / "ready").unlink(missing_ok=True)
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),  # the test database (test_<name>), where the test's rows are
            "CELERY_BROKER_URL": self.broker_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "RELIAB_STALL_DIR": str(self.stall_dir),
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "leadflow.settings",
            **self.env,
        }
        if self.visibility_timeout:
            env["RELIAB_VISIBILITY_TIMEOUT"] = str(self.visibility_timeout)
        self.log = open(self.stall_dir / "worker.log", "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "tests.reliability.worker_app", "worker"]
            + ["--pool=prefork", "--concurrency=1", "--without-gossip", "--without-mingle", "--loglevel=INFO"]
            + self.args,
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(lambda: (self.stall_dir / "ready").exists(), timeout, "the worker to start", self)
        return self

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def kill(self):
        """SIGKILL the worker and its pool children at once (a crash, the OOM killer, a lost machine)."""
        if self.alive():
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self):
        if self.alive():
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()

    def output(self, tail=3000):
        return (self.stall_dir / "worker.log").read_text(errors="replace")[-tail:]


def wait_for(condition, timeout, what, worker=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if worker is not None and worker.process.poll() is not None:
            raise AssertionError(f"the worker exited while waiting for {what}:\n{worker.output()}")
        time.sleep(0.05)
    raise AssertionError(
        f"timed out after {timeout} s waiting for {what}" + (f":\n{worker.output()}" if worker else "")
    )


def marks(stall_dir, prefix):
    return sorted(path.name for path in stall_dir.glob(f"{prefix}-*"))
