"""bench/intake_load.py: a round interleaves the two endpoints in slices taken in turns, and a round's
figures are its slices' sums, so a ratio within the round compares the same stretch of the machine."""

import pytest

from bench import intake_load


@pytest.fixture
def fake_machine(monkeypatch):
    """wrk, /proc and pg_stat_activity replaced: each slice answers from a script, CPU grows per call."""
    calls = []
    clock = {"cpu": 0.0}

    def wrk(_wrk, _port, path, _token, seconds, *, connections):
        label = "intake" if path == intake_load.INTAKE_PATH else "minimal"
        calls.append((label, seconds, connections))
        n = len(calls)
        clock["cpu"] += 1.0 if label == "intake" else 0.5
        return {
            "requests": 100 * n,
            "duration_us": seconds * 1_000_000,
            "status": 1 if n == 3 else 0,
            "connect": 0,
            "read": 0,
            "write": 0,
            "timeout": 0,
            "p50": 1000 * n,
            "p95": 2000 * n,
            "p99": 3000 * n,
        }

    monkeypatch.setattr(intake_load, "_wrk", wrk)
    monkeypatch.setattr(intake_load, "child_pids", lambda pid: [1])
    monkeypatch.setattr(intake_load, "_backend_pids", lambda: [2])
    monkeypatch.setattr(intake_load, "cpu_seconds", lambda pids: clock["cpu"])
    monkeypatch.setattr(intake_load, "cpu_delta", lambda before, after: after - before)
    return calls


class _Server:
    pid = 0


def test_a_round_takes_the_endpoints_in_turns_and_sums_its_slices(fake_machine, monkeypatch):
    monkeypatch.setattr(intake_load, "SLICES", 4)

    measured = intake_load._round("wrk", 8400, "key", _Server(), 16, 20)

    labels = [label for label, _, _ in fake_machine]
    assert labels == ["minimal", "intake", "intake", "minimal", "minimal", "intake", "intake", "minimal"]
    assert {(seconds, connections) for _, seconds, connections in fake_machine} == {(5, 16)}
    # slices 1, 4, 5, 8 were minimal's; 2, 3, 6, 7 intake's (requests 100 × the slice's number)
    assert measured["minimal"]["requests"] == 100 * (1 + 4 + 5 + 8)
    assert measured["intake"]["requests"] == 100 * (2 + 3 + 6 + 7)
    assert measured["intake"]["duration_us"] == measured["minimal"]["duration_us"] == 20_000_000
    assert measured["intake"]["errors"] == 1 and measured["minimal"]["errors"] == 0  # slice 3's non-2xx
    assert measured["intake"]["p95"] == [4000, 6000, 12000, 14000]
    # CPU: each slice's own (both /proc readings are taken around it), twice for app and db
    assert measured["intake"]["app_cpu"] == 4 * 1.0 and measured["minimal"]["db_cpu"] == 4 * 0.5


def test_one_slice_is_the_former_round_one_block_of_each(fake_machine, monkeypatch):
    monkeypatch.setattr(intake_load, "SLICES", 1)

    measured = intake_load._round("wrk", 8400, "key", _Server(), 1, 10)

    assert [(label, seconds) for label, seconds, _ in fake_machine] == [("minimal", 10), ("intake", 10)]
    assert measured["intake"]["requests"] == 200
