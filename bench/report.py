"""Turns measured rows into the table, the "N x echo" sentences and the JSON file; collects machine facts."""

from __future__ import annotations

import json
import logging
import os
import platform
import sqlite3
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.load import LoadResult

ECHO = "echo"
OVERSIZED_TURN = "28k-tab request"
PARSE_NORMAL = "parse: phrase"
PARSE_TABS = "parse: 28k tabs"
PARSE_WORST = "parse: worst 60 chars"
# Rows compared with each other rather than with echo: (slower, baseline, what the ratio says).
COMPARISONS = [(PARSE_TABS, PARSE_NORMAL, "the booking-request parser on 28,000 tabs vs an ordinary request"),
               (PARSE_WORST, PARSE_NORMAL, "the recognizer's costliest input (60 characters of 1-1-) vs a request"),
               (OVERSIZED_TURN, "help turn", "a 28,000-tab request turn vs a help turn")]


@dataclass(frozen=True)
class Row:
    """One measured row, with its ratios to the echo floor at the same concurrency (same run)."""

    name: str
    unit: str  # "turns" or "calls"
    concurrency: int
    count: int
    failures: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    per_second: float
    p50_x_echo: float
    p95_x_echo: float
    p99_x_echo: float
    per_second_x_echo: float
    stopped_by_time_limit: bool
    failure_examples: tuple[str, ...]


def _ratio(value: float, floor: float) -> float:
    return value / floor if floor > 0 else 0.0


def ratio_text(ratio: float) -> str:
    """3.1x, 12x, 0.04x: two significant figures, enough to compare and no more."""
    return f"{ratio:.2g}x" if ratio < 10 else f"{ratio:.0f}x"


def build_rows(results: list[tuple[LoadResult, str]]) -> list[Row]:
    """Ratios are taken against the echo row of the same concurrency, or the single-worker echo row."""
    floors = {result.concurrency: result for result, _ in results if result.name == ECHO}
    rows = []
    for result, unit in results:
        floor = floors.get(result.concurrency) or floors[1]
        rows.append(Row(
            name=result.name, unit=unit, concurrency=result.concurrency, count=result.turns,
            failures=result.failures, p50_ms=result.p50_ms, p95_ms=result.p95_ms, p99_ms=result.p99_ms,
            per_second=result.per_second,
            p50_x_echo=_ratio(result.p50_ms, floor.p50_ms), p95_x_echo=_ratio(result.p95_ms, floor.p95_ms),
            p99_x_echo=_ratio(result.p99_ms, floor.p99_ms),
            per_second_x_echo=_ratio(result.per_second, floor.per_second),
            stopped_by_time_limit=result.stopped_by_time_limit,
            failure_examples=tuple(result.failure_examples),
        ))
    return rows


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_facts(database: str, database_version: str) -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "platform": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "database": database,
        "database_version": database_version,
        "sqlite_library": sqlite3.sqlite_version,
        "botbuilder": _version("botbuilder-core"),
        "aiohttp": _version("aiohttp"),
    }


def format_table(rows: list[Row], machine: dict[str, Any]) -> str:
    header = (f"{'row':<16} {'conc':>4} {'count':>6} {'fail':>4} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
              f"{'per s':>9} {'p50 x echo':>10} {'p95 x echo':>10} {'p99 x echo':>10} {'rate / echo':>11}")
    lines = [
        f"Rendezvous benchmark, {machine['date']}: {machine['cores']} cores ({machine['cpu']}), "
        f"{machine['python']}, {machine['platform']}",
        f"database: {machine['database']} {machine['database_version']}; botbuilder {machine['botbuilder']}, "
        f"aiohttp {machine['aiohttp']}; all traffic on loopback",
        "",
        header,
        "-" * len(header),
    ]
    for row in rows:
        lines.append(
            f"{row.name:<16} {row.concurrency:>4} {row.count:>6} {row.failures:>4} {row.p50_ms:>8.2f} "
            f"{row.p95_ms:>8.2f} {row.p99_ms:>8.2f} {row.per_second:>9.1f} {row.p50_x_echo:>9.2f}x "
            f"{row.p95_x_echo:>9.2f}x {row.p99_x_echo:>9.2f}x {row.per_second_x_echo:>10.2f}x"
        )
    lines.append("")
    for row in rows:
        if row.name == ECHO:
            continue
        lines.append(f"{row.name} (concurrency {row.concurrency}): p50 = {ratio_text(row.p50_x_echo)} echo p50, "
                     f"p99 = {ratio_text(row.p99_x_echo)} echo p99, {row.per_second:.1f} {row.unit}/s = "
                     f"{ratio_text(row.per_second_x_echo)} echo's rate")
    lines.extend(comparison_lines(rows))
    for row in rows:
        if row.stopped_by_time_limit:
            lines.append(f"NOTE {row.name} (concurrency {row.concurrency}) hit the time limit after {row.count} "
                         f"{row.unit}")
        if row.failures:
            lines.append(f"FAILED {row.failures} {row.unit} in {row.name} (concurrency {row.concurrency}), e.g. "
                         + "; ".join(row.failure_examples))
    return "\n".join(lines) + "\n"


def comparisons(rows: list[Row]) -> list[tuple[str, int, float]]:
    """(what is compared, concurrency, p50 ratio) for each compared pair measured at the same concurrency."""
    by_name = {(row.name, row.concurrency): row for row in rows}
    found = []
    for slower, baseline, meaning in COMPARISONS:
        for concurrency in sorted({row.concurrency for row in rows}):
            row, base = by_name.get((slower, concurrency)), by_name.get((baseline, concurrency))
            if row is not None and base is not None:
                found.append((meaning, concurrency, _ratio(row.p50_ms, base.p50_ms)))
    return found


def comparison_lines(rows: list[Row]) -> list[str]:
    return [f"{meaning} (concurrency {concurrency}): p50 = {ratio_text(ratio)}"
            for meaning, concurrency, ratio in comparisons(rows)]


def write_json(path: Path, rows: list[Row], machine: dict[str, Any], settings: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"machine": machine, "settings": settings, "rows": [asdict(row) for row in rows],
                "comparisons_p50": [{"what": meaning, "concurrency": concurrency, "ratio": ratio}
                                    for meaning, concurrency, ratio in comparisons(rows)]}
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def publish(text: str, output: Path, report: Any, log: logging.Logger) -> None:
    """Prints a benchmark's table and keeps its figures as JSON at `output` (data/bench/ by default)."""
    sys.stdout.write(text)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    log.info("results written to %s", output)


def quiet_logging(log: logging.Logger) -> None:
    """Only warnings from the bot's modules; the benchmark's own progress lines at INFO."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log.setLevel(logging.INFO)
