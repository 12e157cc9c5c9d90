"""Where the product runs, whatever dies is started again: docker-compose restart policies and
`make run`'s Procfile (each process under tools/respawn.py, exec'd so honcho's signals reach it)."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_compose_restarts_every_long_running_service_and_checks_web_and_worker():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name in ("postgres", "redis", "web", "worker", "beat"):
        assert services[name]["restart"] == "unless-stopped", name
    assert services["migrate"]["restart"] == "no"  # a one-shot
    assert "healthcheck" in services["web"] and "healthcheck" in services["worker"]
    assert "inspect ping" in " ".join(services["worker"]["healthcheck"]["test"])


def test_every_procfile_process_runs_under_respawn():
    lines = [line for line in (ROOT / "Procfile").read_text().splitlines() if line.strip()]
    assert {line.split(":", 1)[0] for line in lines} == {"web", "worker", "beat"}
    for line in lines:
        command = line.split(":", 1)[1].split()
        assert command[:4] == ["exec", ".venv/bin/python", "tools/respawn.py", "--"], line
