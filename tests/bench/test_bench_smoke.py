"""The benchmark runs end to end with tiny numbers and reports every row; its timings are never judged here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.run import main

ROWS = {"echo", "help turn", "find-times turn", "book turn", "28k-tab request"}
CALL_ROWS = {"slot finder", "slots: 20 people", "slots: 20, again", "slots: 20 at 3pm",
             "parse: phrase", "parse: 28k tabs",
             "parse: worst 60 chars"}  # pure CPU, one worker


def test_a_tiny_run_reports_every_row_with_positive_figures(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "latest.json"

    exit_code = main(["--turns", "5", "--concurrency", "2", "--slot-calls", "20", "--output", str(output)])

    assert exit_code == 0
    report = json.loads(output.read_text(encoding="utf-8"))
    rows = report["rows"]
    assert {(row["name"], row["concurrency"]) for row in rows} == (
        {(name, level) for name in ROWS for level in (1, 2)} | {(name, 1) for name in CALL_ROWS}
    )
    for row in rows:
        assert row["failures"] == 0, row
        assert row["count"] == (20 if row["name"] in CALL_ROWS else 5), row
        for figure in ("p50_ms", "p95_ms", "p99_ms", "per_second", "p50_x_echo", "p99_x_echo", "per_second_x_echo"):
            assert row[figure] > 0, (row["name"], figure)
        assert row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"]
    machine = report["machine"]
    assert machine["cores"] > 0 and machine["python"] and machine["database"] == "sqlite"
    table = capsys.readouterr().out
    assert "help turn (concurrency 2): p50 = " in table and "x echo p50" in table
    for name in ROWS | CALL_ROWS:
        assert name in table
    assert "28,000 tabs vs an ordinary request (concurrency 1): p50 = " in table
    assert [c["what"] for c in report["comparisons_p50"]].count("a 28,000-tab request turn vs a help turn") == 2
