"""Fixtures of the reliability tests: a private redis-server this test session starts, stops, kills and
restarts (never the machine's Redis on 6379), and a switch of the Celery app onto it."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

from tests.conftest import _need

REDIS_SERVER = os.environ.get("REDIS_SERVER_BIN") or shutil.which("redis-server") or "/usr/bin/redis-server"
PORTS = range(6390, 6400)


def _free(port):
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class RedisServer:
    """One redis-server process on 127.0.0.1:port, no persistence: kill() and start() simulate an outage."""

    def __init__(self, port, workdir):
        self.port = port
        self.workdir = workdir
        self.process = None

    def url(self, db=0):
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self, timeout=10):
        assert self.process is None or self.process.poll() is not None, "already running"
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            + ["--dir", self.workdir, "--daemonize", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ping():
                return self
            time.sleep(0.05)
        raise RuntimeError(f"redis-server on port {self.port} did not answer within {timeout} s")

    def ping(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self):
        """SIGKILL: the port closes at once, connections are reset (what a crashed or stopped Redis looks like)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def freeze(self):
        """SIGSTOP: the port stays open but nothing answers (a hung Redis, a network black hole)."""
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self):
        self.process.send_signal(signal.SIGCONT)

    def queue_length(self, db, queue="celery"):
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port, db=db, socket_timeout=2)
        try:
            return client.llen(queue)
        finally:
            client.close()


@pytest.fixture(scope="session")
def redis_server_session():
    """The private redis-server, started once per session (on the first free port of 6390-6399)."""
    if not os.path.exists(REDIS_SERVER):
        return None
    port = next((p for p in PORTS if _free(p)), None)
    if port is None:
        return None
    with tempfile.TemporaryDirectory(prefix="reliab-redis-") as workdir:
        server = RedisServer(port, workdir)
        server.start()
        yield server
        server.thaw() if server.process.poll() is None else None
        server.kill()


@pytest.fixture
def redis_server(redis_server_session):
    """The private redis-server, running and empty at the start of the test (a killed one is restarted)."""
    _need(redis_server_session is not None, f"redis-server at {REDIS_SERVER} and a free port in 6390-6399")
    server = redis_server_session
    if server.process.poll() is not None:
        server.start()
    yield server
    if server.process.poll() is None:
        server.thaw()
    else:
        server.start()
    import redis

    redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=5).flushall()


@pytest.fixture
def stall_dir(tmp_path):
    """Where worker_app.py writes its marks and the worker its log."""
    return tmp_path


@pytest.fixture
def workers(redis_server, stall_dir):
    """Start workers (worker_harness.Worker) on the private Redis; every one is stopped and its database
    sessions ended after."""
    from django.db import connection

    from .worker_harness import APP_NAME, BROKER_DB, Worker

    started = []

    def start(**kwargs):
        worker = Worker(redis_server.url(BROKER_DB), stall_dir, **kwargs).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
    with connection.cursor() as cursor:  # a killed child's backend may linger; the test database must drop
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = %s AND datname = current_database()",
            [APP_NAME],
        )
