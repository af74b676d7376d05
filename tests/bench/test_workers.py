"""bench.workers runs end to end with tiny numbers on PostgreSQL; its timings are never judged here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.workers import main
from tests.conftest import require_postgres


def test_a_tiny_workers_run_reports_every_row_and_keeps_outlooks_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    require_postgres()
    output = tmp_path / "workers.json"

    exit_code = main(["--conversations", "2", "--seconds", "2", "--distinct", "4", "--output", str(output)])

    report = json.loads(output.read_text(encoding="utf-8"))
    assert exit_code == 0, report
    assert report["one_worker"]["turns_per_second"] > 0 and report["two_workers"]["turns_per_second"] > 0
    burst = report["two_workers"]["one_mailbox"]
    assert 1 <= burst["peak_in_flight"] <= 4 and burst["answered_429"] == 0
    assert report["graph_calls_per_booking"] == {"bookings": 10, "free/busy reads": 2.0, "creates": 1.0,
                                                 "other": 0.0}
    assert report["memory"]["rss_mib_after"] > 0 and report["memory"]["failed"] == 0
    assert "2 workers / 1 worker (throughput)" in capsys.readouterr().out
