"""The load test (bench.conversations) runs end to end with tiny numbers; its timings are never judged here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench.conversations import main


def _run(tmp_path: Path, *options: str) -> tuple[int, dict[str, Any]]:
    output = tmp_path / "conversations.json"
    exit_code = main(["--conversations", "3", "--seconds", "2", "--database", "sqlite", "--retry-every", "2",
                      "--output", str(output), *options])
    return exit_code, json.loads(output.read_text(encoding="utf-8"))


def test_a_tiny_load_run_books_without_errors_or_duplicates_and_reports_memory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exit_code, report = _run(tmp_path)

    assert exit_code == 0, report
    assert report["errors"] == 0 and report["duplicates"] == 0, report
    assert report["bookings"] >= 3 and report["repeated_clicks"] >= 1
    assert {"find times", "book"} <= set(report["per_kind"])
    for answered in ("first_answer_ms", "final_answer_ms"):
        assert 0 < report[answered]["p50"] <= report[answered]["p95"] <= report[answered]["p99"]
    for moment in ("after start-up", "before load", "after load"):
        assert report["bot_memory_kib"][moment]["VmRSS"] > 0
    assert report["bot_log_error_lines"] == 0
    printed = capsys.readouterr().out
    assert "errors: 0    duplicates: 0" in printed and "bot resident memory" in printed


def test_turns_past_the_bots_deadline_count_as_late_not_as_errors_and_the_updated_card_carries_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Every Graph answer comes 0.2 s late and the bot's deadline is 0.05 s: each search and booking must
    # answer "still working" first and its real card later, through the Bot Connector.
    exit_code, report = _run(tmp_path, "--turn-deadline", "0.05", "--microsoft-latency", "0.2")

    assert exit_code == 0, report
    assert report["errors"] == 0 and report["duplicates"] == 0, report
    assert report["bookings"] >= 3 and report["repeated_clicks"] >= 1  # booked from cards that arrived late
    for kind in ("find times", "book"):
        assert report["per_kind"][kind]["late"] == report["per_kind"][kind]["turns"] > 0, report["per_kind"]
    assert report["late_clicks_answered_by"]["card updated"] >= report["per_kind"]["book"]["turns"]
    assert report["late_clicks_answered_by"]["new message"] == 0
    assert report["settings"]["turn_deadline"] == 0.05
    assert report["bot_log_error_lines"] == 0
    assert "turns answered 'still working', then late:" in capsys.readouterr().out
