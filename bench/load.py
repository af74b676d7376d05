"""A closed-loop load generator: C workers each send one turn at a time until N turns are done.

Only the turn itself is timed. A workload may do untimed preparation before a turn (e.g. ask for
suggestions so there is a slot to book) and checks each answer after the clock has stopped, so a turn
that "succeeded" with the wrong answer is counted as a failure, not as a fast turn.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger(__name__)


class TurnFailed(Exception):
    """The turn answered, but not with what a user would have seen on success."""


class Workload(Protocol):
    async def prepare(self, worker: int) -> Any:
        """Untimed set-up for the worker's next turn; its result is handed to `turn`."""

    async def turn(self, worker: int, prepared: Any) -> Any:
        """The timed part: one request and its answer."""

    async def check(self, worker: int, prepared: Any, answer: Any) -> None:
        """Untimed: raises TurnFailed when the answer is not the expected one."""


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (fraction in (0, 1]) of the samples; 0.0 when there are none."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass
class LoadResult:
    """What one row of the benchmark measured."""

    name: str
    concurrency: int
    latencies_ms: list[float] = field(default_factory=list)
    failures: int = 0
    wall_seconds: float = 0.0
    stopped_by_time_limit: bool = False
    failure_examples: list[str] = field(default_factory=list)

    @property
    def turns(self) -> int:
        return len(self.latencies_ms)

    @property
    def p50_ms(self) -> float:
        return percentile(self.latencies_ms, 0.50)

    @property
    def p95_ms(self) -> float:
        return percentile(self.latencies_ms, 0.95)

    @property
    def p99_ms(self) -> float:
        return percentile(self.latencies_ms, 0.99)

    @property
    def per_second(self) -> float:
        """Successful turns per second of wall time (preparation time included in the wall time)."""
        return self.turns / self.wall_seconds if self.wall_seconds > 0 else 0.0

    def absorb(self, part: LoadResult) -> None:
        """Adds another measurement of the same row (the same workload at the same concurrency)."""
        self.latencies_ms.extend(part.latencies_ms)
        self.failures += part.failures
        self.wall_seconds += part.wall_seconds
        self.stopped_by_time_limit = self.stopped_by_time_limit or part.stopped_by_time_limit
        self.failure_examples.extend(part.failure_examples[:3 - len(self.failure_examples)])

    def record_failure(self, reason: str) -> None:
        self.failures += 1
        if len(self.failure_examples) < 3:
            self.failure_examples.append(reason)


async def run_load(name: str, workload: Workload, *, turns: int, concurrency: int,
                   time_limit: float) -> LoadResult:
    """Runs `turns` turns over `concurrency` workers; no new turn starts after `time_limit` seconds."""
    if turns < 1 or concurrency < 1:
        raise ValueError("turns and concurrency must be at least 1")
    result = LoadResult(name, concurrency)
    started = time.perf_counter()
    deadline = started + time_limit
    remaining = turns

    async def worker(index: int) -> None:
        nonlocal remaining
        while remaining > 0:
            if time.perf_counter() >= deadline:
                result.stopped_by_time_limit = True
                return
            remaining -= 1  # claimed before any await, so workers never overshoot the count
            try:
                prepared = await workload.prepare(index)
                begin = time.perf_counter()
                answer = await workload.turn(index, prepared)
                elapsed_ms = (time.perf_counter() - begin) * 1000
                await workload.check(index, prepared, answer)
            except TurnFailed as failed:
                result.record_failure(str(failed))
                continue
            except Exception as exc:  # a benchmark reports what broke and carries on with the other turns
                log.warning("%s: a turn raised %s", name, type(exc).__name__, exc_info=exc)
                result.record_failure(type(exc).__name__)
                continue
            result.latencies_ms.append(elapsed_ms)

    await asyncio.gather(*(worker(index) for index in range(min(concurrency, turns))))
    result.wall_seconds = time.perf_counter() - started
    return result
