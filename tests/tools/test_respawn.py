"""tools/respawn.py (make run's supervisor): a command that dies is started again by itself; a
SIGTERM (what honcho sends on Ctrl-C) stops the command cleanly and is never followed by a restart.

Real subprocesses, so real (bounded) waits on conditions: time-machine cannot move another process's clock.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RESPAWN = [sys.executable, str(ROOT / "tools" / "respawn.py"), "--delay", "0.05", "--"]


def wait_for(condition, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError("timed out")


@pytest.fixture
def spawn(tmp_path):
    started = []

    def run(script):
        process = subprocess.Popen(
            RESPAWN + [sys.executable, "-c", script],
            cwd=tmp_path,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own group, like honcho gives it
        )
        started.append(process)
        return process

    yield run
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def runs(tmp_path):
    return len((tmp_path / "runs").read_text()) if (tmp_path / "runs").exists() else 0


CRASHES = "open('runs', 'a').write('x'); raise SystemExit(3)"
SERVES = (  # counts its run once its SIGTERM handler is in place
    "import signal, time, sys\n"
    "def stop(signum, frame):\n"
    "    open('stopped', 'a').write(str(signum)); sys.exit(0)\n"
    "signal.signal(signal.SIGTERM, stop)\n"
    "open('runs', 'a').write('x')\n"
    "time.sleep(60)\n"
)


def test_a_command_that_exits_is_started_again(spawn, tmp_path):
    process = spawn(CRASHES)
    wait_for(lambda: runs(tmp_path) >= 3)
    assert process.poll() is None  # still supervising
    os.killpg(process.pid, signal.SIGTERM)
    assert process.wait(timeout=5) in (0, 3)  # it stops (3: the command was exiting on its own just then)
    assert "exited with 3" in process.stderr.read()


def test_sigterm_to_the_group_stops_the_command_cleanly_and_promptly_without_a_restart(spawn, tmp_path):
    process = spawn(SERVES)
    wait_for(lambda: runs(tmp_path) == 1)
    started = time.monotonic()
    os.killpg(process.pid, signal.SIGTERM)  # honcho on Ctrl-C
    assert process.wait(timeout=5) == 0
    assert time.monotonic() - started < 2
    assert (tmp_path / "stopped").read_text().startswith(str(int(signal.SIGTERM)))  # its own clean shutdown
    assert runs(tmp_path) == 1


def test_sigterm_to_the_supervisor_alone_is_passed_on(spawn, tmp_path):
    process = spawn(SERVES)
    wait_for(lambda: runs(tmp_path) == 1)
    os.kill(process.pid, signal.SIGTERM)
    assert process.wait(timeout=5) == 0
    assert (tmp_path / "stopped").exists()
    assert runs(tmp_path) == 1
