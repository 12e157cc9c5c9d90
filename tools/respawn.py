"""Run a command and start it again whenever it exits, until told to stop: `make run`'s Procfile.

    python tools/respawn.py [--delay SECONDS] -- COMMAND [ARGS...]

honcho stops every process as soon as one exits; wrapped in this, a crashed worker, beat or web
comes back by itself after a pause (--delay, 1 s, doubling up to 30 s while it keeps crashing, back
to the first pause once it ran for a minute). Ctrl-C still stops everything at once: honcho sends
SIGTERM to this process's group (this process and the command); we forward SIGTERM (idempotent for
celery and runserver) in case only we were signalled, wait for the command's own clean shutdown
and exit with its status, without starting it again. Standard library only, no Django import.
"""

import argparse
import os
import signal
import subprocess
import sys
import time

MAX_DELAY = 30.0
HEALTHY_AFTER = 60.0  # a run this long resets the pause to the first one


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=1.0, help="first pause before a restart, in seconds")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")
    label = " ".join(os.path.basename(part) for part in command[:4])
    state = {"stop": None, "child": None}

    def on_signal(signum, frame):
        state["stop"] = signum
        child = state["child"]
        if child is not None and child.poll() is None and signum != signal.SIGINT:
            # Ctrl-C in a terminal reaches the whole foreground group already; a second SIGINT
            # would turn celery's warm shutdown into a cold one
            child.send_signal(signum)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, on_signal)

    delay = args.delay
    while True:
        started = time.monotonic()
        child = state["child"] = subprocess.Popen(command)
        if state["stop"] is not None and state["stop"] != signal.SIGINT and child.poll() is None:
            child.send_signal(state["stop"])  # the stop came while it was being started
        code = child.wait()
        if state["stop"] is not None:
            return 0 if code in (0, -state["stop"]) else code
        ran = time.monotonic() - started
        if ran >= HEALTHY_AFTER:
            delay = args.delay
        print(
            f"respawn: {label} exited with {code} after {ran:.1f} s; starting it again in {delay:g} s",
            file=sys.stderr,
            flush=True,
        )
        resume = time.monotonic() + delay
        while state["stop"] is None and time.monotonic() < resume:
            time.sleep(0.05)
        if state["stop"] is not None:
            return 0
        delay = min(delay * 2, MAX_DELAY)


if __name__ == "__main__":
    sys.exit(main())
