"""The load test (bench.conversations) runs end to end with tiny numbers; its timings are never judged here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.conversations import main


def test_a_tiny_load_run_books_without_errors_or_duplicates_and_reports_memory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "conversations.json"

    exit_code = main(["--conversations", "3", "--seconds", "2", "--database", "sqlite", "--retry-every", "2",
                      "--output", str(output)])

    report = json.loads(output.read_text(encoding="utf-8"))
    assert exit_code == 0, report
    assert report["errors"] == 0 and report["duplicates"] == 0, report
    assert report["bookings"] >= 3 and report["repeated_clicks"] >= 1
    assert {"find times", "book"} <= set(report["per_kind"])
    assert 0 < report["p50_ms"] <= report["p95_ms"] <= report["p99_ms"]
    for moment in ("after start-up", "before load", "after load"):
        assert report["bot_memory_kib"][moment]["VmRSS"] > 0
    assert report["bot_log_error_lines"] == 0
    printed = capsys.readouterr().out
    assert "errors: 0    duplicates: 0" in printed and "bot resident memory" in printed
