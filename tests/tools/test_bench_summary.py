"""`make bench` ends with one table: each script's figures with their reference, ratio, target and verdict."""

import json
import subprocess
import sys
from pathlib import Path

from bench import _common
from bench.run import print_summary

ROOT = Path(__file__).resolve().parents[2]


def test_a_figure_recorded_by_a_script_lands_in_the_closing_table(tmp_path, monkeypatch, capsys):
    path = tmp_path / "summary.jsonl"
    monkeypatch.setenv("BENCH_SUMMARY", str(path))
    _common.summary("intake", "100 leads/s", reference="minimal 400 req/s", ratio="0.25×", target="≥ 0.5×", met=False)
    _common.summary("queue page p95", "42.0 ms", target="< 100 ms", met=True)
    _common.summary("seed time", "300 s")

    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [line["verdict"] for line in lines] == ["MISSED", "met", ""]
    print_summary(lines)
    table = capsys.readouterr().out
    intake_row = next(row for row in table.splitlines() if row.split()[1:2] == ["intake"])
    assert "minimal 400 req/s" in intake_row and "0.25×" in intake_row and intake_row.rstrip().endswith("MISSED")
    assert "queue page p95" in table and "seed time" in table


def test_without_the_runner_a_script_records_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv("BENCH_SUMMARY", raising=False)
    monkeypatch.chdir(tmp_path)
    _common.summary("intake", "1 lead/s", met=True)
    assert list(tmp_path.iterdir()) == []


def test_the_runner_prints_the_table_after_the_scripts(tmp_path):
    """bench/run.py with a script that only records a figure: the table follows that script's output."""
    script = ROOT / "bench" / "zz_summary_probe.py"
    script.write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nfrom bench._common import summary\n"
        "print('probe ran')\nsummary('probe figure', '7 units', reference='3 units', ratio='2.33×', met=True)\n"
    )
    try:
        result = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "run.py"), "zz_summary_probe"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        )
    finally:
        script.unlink()
    out = result.stdout
    assert out.index("probe ran") < out.index("Summary: every figure")
    assert "probe figure" in out and "2.33×" in out and "met" in out.split("Summary: every figure")[1]
